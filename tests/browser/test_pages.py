"""Pages in a real browser: log in, find a dataset, open a record."""

from __future__ import annotations

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def imported(mitdb_100) -> None:
    """mitdb 100 in dataset mitdb."""


class TestLogin:
    def test_log_in_and_reach_a_record(self, make_page, live_server, imported) -> None:
        make_user("cardio", staff=True, password="a long password 1")
        page, errors = make_page()
        page.goto("/")
        assert "/login/" in page.url
        page.fill("input[name=username]", "cardio")
        page.fill("input[name=password]", "a long password 1")
        page.click("form:has(input[name=password]) button[type=submit]")
        page.click("text=mitdb")
        page.click("text=100")
        assert page.url.endswith("/records/1/") or "/records/" in page.url
        errors.check()

    def test_wrong_password_is_refused(self, make_page, live_server) -> None:
        make_user("cardio", password="a long password 1")
        page, _ = make_page()
        page.goto("/login/")
        page.fill("input[name=username]", "cardio")
        page.fill("input[name=password]", "wrong")
        page.click("form:has(input[name=password]) button[type=submit]")
        assert page.locator(".error").is_visible()
