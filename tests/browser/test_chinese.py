"""Pages in Chinese: chosen by the browser's language or the switch, and the check that
finds English left on a page (``tests/browser/chinese.py``) finds it."""

from __future__ import annotations

import pytest

from tests.browser.chinese import english_left
from tests.factories import make_user
from wavetag.accounts.models import Preferences

pytestmark = pytest.mark.django_db(transaction=True)


class TestChineseCheck:
    def test_it_reports_english_and_skips_data(self, make_page) -> None:
        page, errors = make_page(locale="zh-CN")
        page.set_content(
            """<title>记录</title><body>
            <p>心电图 <b>QRS</b> 120 ms, V1</p>
            <p translate="no">record 100 of Alice</p><code>wavetag import</code>
            <button aria-label="Close the panel">×</button>
            <p>保存 for later</p></body>"""
        )
        left = english_left(page)
        assert len(left) == 2, left
        assert any("Close the panel" in x for x in left) and any("later" in x for x in left)
        # Leaving out the button leaves its English out; inside the <b> there is none.
        assert [x for x in english_left(page, skip="button") if "Close" in x] == []
        assert len(english_left(page, skip="button")) == 1
        assert english_left(page, within="b") == []


class TestSwitch:
    def test_the_browser_language_and_the_header_switch(self, make_page) -> None:
        user = make_user("li", password=None)
        page, errors = make_page(user, locale="zh-CN")
        page.goto("/account/")
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.get_by_role("button", name="退出登录").is_visible()
        # The switch names English in English; pressing it keeps the reader on the page.
        page.get_by_test_id("language-en").click()
        page.wait_for_url("**/account/")
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.get_by_role("button", name="Log out").is_visible()
        assert Preferences.objects.get(user=user).language == "en"
        page.get_by_test_id("language-zh-hans").click()
        page.wait_for_url("**/account/")
        assert page.get_by_role("button", name="退出登录").is_visible()
        errors.check()
