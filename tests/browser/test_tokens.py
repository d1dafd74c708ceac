"""An API token from the account page, in a real browser: create it, copy it with the
button, call the API with it, revoke it."""

from __future__ import annotations

import pytest
import requests

from tests.factories import make_user
from wavetag.accounts.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


class TestTokensInTheBrowser:
    def test_create_copy_use_revoke(self, make_page, live_server) -> None:
        user = make_user("cardio", password=None)
        page, errors = make_page(user)
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.goto("/account/")
        page.get_by_test_id("token-name").fill("browser test")
        page.get_by_test_id("token-create").click()
        shown = page.get_by_test_id("new-token").inner_text().strip()
        page.get_by_test_id("copy-token").click()
        page.get_by_text("Copied.").wait_for()
        raw = page.evaluate("navigator.clipboard.readText()")
        assert raw == shown and raw.startswith("wt_")

        # Outside the browser: its requests would carry the session cookie too.
        auth = {"Authorization": f"Bearer {raw}"}
        me = requests.get(f"{live_server.url}/api/v1/me", headers=auth, timeout=30)
        assert me.status_code == 200 and me.json()["username"] == "cardio"

        page.get_by_test_id("back-to-account").click()
        prefix = ApiToken.objects.get(user=user).prefix
        assert raw not in page.content()
        assert page.get_by_test_id(f"token-{prefix}").inner_text().count("browser test") == 1
        page.get_by_test_id(f"token-revoke-{prefix}").click()
        page.get_by_test_id("token-revoke-confirm").click()
        page.get_by_test_id("messages").get_by_text("revoked").wait_for()
        assert page.get_by_test_id("no-tokens").is_visible()
        errors.check()
        gone = requests.get(f"{live_server.url}/api/v1/me", headers=auth, timeout=30)
        assert gone.status_code == 401
