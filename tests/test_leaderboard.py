"""The leaderboard, the experts' decisions and an annotator's own statistics: periods in
the site's time zone, ordering, anonymous boards, who may read what, and that a blind
project's board tells an annotator nothing about another answer or a task's outcome."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone

from wavetag.annotations import gold_checks
from wavetag.annotations.batches import claim_batch
from wavetag.annotations.leaderboard import period_start, project_leaderboard
from wavetag.annotations.models import Annotation
from wavetag.annotations.my_stats import HIDDEN, my_stats
from wavetag.annotations.services import adjudicate, save_annotation
from wavetag.projects.builtin import ICU_ALARM
from wavetag.projects.models import Task

from .factories import call, icu_team

pytestmark = pytest.mark.django_db

ZONES = ("Asia/Shanghai", "America/New_York")
PERIODS = ("day", "week", "month", "all")
CHOICE_VALUES = {c["value"] for f in ICU_ALARM["fields"] for c in f.get("choices", [])}


@pytest.fixture
def w(icu_alarms: Any, ecg_record: Any) -> Any:
    """The ICU team (k=2, batches of 1, two tasks): lead (admin), judge (adjudicator),
    ann1, ann2; outsider in another project; root, site admin."""
    return icu_team()


def answer(w: Any, user: Any, decision: str) -> Task:
    """Claim the user's next task and submit ``decision`` for it."""
    (task,) = claim_batch(w.project, user)
    save_annotation(task, user, {"decision": decision})
    task.refresh_from_db()
    return task


def submitted_at(user: Any, when: datetime) -> None:
    Annotation.objects.filter(user=user).update(submitted_at=when)


def board(client: Client, w: Any, who: str, period: str = "all") -> dict[str, Any]:
    status, body = call(
        client, "get", f"/api/v1/projects/{w.project.pk}/leaderboard?period={period}", w.h[who]
    )
    assert status == 200, body
    return body


def rows(body: dict[str, Any]) -> list[tuple[str, int]]:
    return [(r["user"], r["tasks"]) for r in body["items"]]


def strings(value: Any) -> set[str]:
    """Every string in a JSON document, keys included."""
    if isinstance(value, dict):
        return set(value) | {s for v in value.values() for s in strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in strings(v)}
    return {value} if isinstance(value, str) else set()


class TestPeriods:
    @pytest.mark.parametrize("zone", ZONES)
    def test_period_starts_are_local_midnights(self, settings: Any, zone: str) -> None:
        settings.TIME_ZONE = zone
        tz = ZoneInfo(zone)
        # Thursday 10 December 2026, 00:30 local: still Wednesday in UTC for Shanghai,
        # already Thursday in UTC for New York.
        now = datetime(2026, 12, 10, 0, 30, tzinfo=tz)
        assert period_start("day", now) == datetime(2026, 12, 10, tzinfo=tz)
        assert period_start("week", now) == datetime(2026, 12, 7, tzinfo=tz)
        assert period_start("month", now) == datetime(2026, 12, 1, tzinfo=tz)
        assert period_start("all", now) is None

    @pytest.mark.parametrize("zone", ZONES)
    def test_2359_and_0001_local_fall_in_different_days(
        self, w: Any, settings: Any, zone: str
    ) -> None:
        settings.TIME_ZONE = zone
        tz = ZoneInfo(zone)
        answer(w, w.ann1, "True")
        answer(w, w.ann1, "False")
        first, second = Annotation.objects.filter(user=w.ann1).order_by("id")
        # Tuesday 1 December 2026 23:59 and Wednesday 2 December 00:01, local time.
        Annotation.objects.filter(pk=first.pk).update(
            submitted_at=datetime(2026, 12, 1, 23, 59, tzinfo=tz)
        )
        Annotation.objects.filter(pk=second.pk).update(
            submitted_at=datetime(2026, 12, 2, 0, 1, tzinfo=tz)
        )
        now = datetime(2026, 12, 2, 12, 0, tzinfo=tz)
        mine = {p: my_stats(w.project, w.ann1, p, now=now) for p in PERIODS}
        assert [mine[p]["tasks"] for p in PERIODS] == [1, 2, 2, 2]
        assert mine["all"]["per_day"][-2:] == [1, 1] and sum(mine["all"]["per_day"]) == 2
        assert [str(d) for d in mine["all"]["days"][-2:]] == ["2026-12-01", "2026-12-02"]
        top = project_leaderboard(w.project, w.ann1, "day", now=now)["items"][0]
        assert (top["user"], top["tasks"], top["per_day"][-2:]) == ("ann1", 1, [1, 1])
        # The 1st of the month at 00:01 is in the month; the last day of the one before,
        # at 23:59, is not.
        now = datetime(2026, 12, 2, 0, 30, tzinfo=tz)
        Annotation.objects.filter(pk=first.pk).update(
            submitted_at=datetime(2026, 11, 30, 23, 59, tzinfo=tz)
        )
        Annotation.objects.filter(pk=second.pk).update(
            submitted_at=datetime(2026, 12, 1, 0, 1, tzinfo=tz)
        )
        assert my_stats(w.project, w.ann1, "month", now=now)["tasks"] == 1

    @pytest.mark.parametrize("zone", ZONES)
    def test_the_api_counts_today_since_local_midnight(
        self, w: Any, client: Client, settings: Any, zone: str
    ) -> None:
        settings.TIME_ZONE = zone
        answer(w, w.ann1, "True")
        answer(w, w.ann1, "False")
        first, second = Annotation.objects.filter(user=w.ann1).order_by("id")
        now = timezone.now()
        midnight = period_start("day", now)
        assert midnight is not None
        Annotation.objects.filter(pk=first.pk).update(submitted_at=midnight - timedelta(minutes=1))
        Annotation.objects.filter(pk=second.pk).update(
            submitted_at=min(midnight + timedelta(minutes=1), now)
        )
        day, everything = board(client, w, "ann2", "day"), board(client, w, "ann2", "all")
        assert day["time_zone"] == zone
        assert rows(day)[0] == ("ann1", 1) and rows(everything)[0] == ("ann1", 2)
        assert everything["items"][0]["per_day"][-2:] == [1, 1]

    def test_an_unknown_period_is_refused_naming_it(self, w: Any, client: Client) -> None:
        url = f"/api/v1/projects/{w.project.pk}/leaderboard?period=year"
        status, body = call(client, "get", url, w.h["ann1"])
        assert status == 400 and "period" in body["detail"]
        client.force_login(w.ann1)
        assert client.get(f"/projects/{w.project.pk}/leaderboard/?period=year").status_code == 400


class TestOrdering:
    def test_most_tasks_first_then_name_members_without_answers_last(
        self, w: Any, client: Client
    ) -> None:
        answer(w, w.ann2, "True")
        answer(w, w.ann2, "False")
        answer(w, w.ann1, "True")
        body = board(client, w, "lead")
        assert rows(body) == [("ann2", 2), ("ann1", 1), ("judge", 0), ("lead", 0)]
        assert [r["rank"] for r in body["items"]] == [1, 2, 3, 3]
        assert [r["you"] for r in body["items"]] == [False, False, False, True]
        assert all(len(r["per_day"]) == len(body["days"]) == 30 for r in body["items"])

    def test_equal_counts_share_a_rank_in_name_order(self, w: Any, client: Client) -> None:
        answer(w, w.ann2, "True")
        answer(w, w.ann1, "True")
        body = board(client, w, "judge")
        assert rows(body)[:2] == [("ann1", 1), ("ann2", 1)]
        assert [r["rank"] for r in body["items"]] == [1, 1, 3, 3]

    def test_site_wide_board_covers_the_viewers_projects(self, w: Any, client: Client) -> None:
        answer(w, w.ann1, "True")
        _, mine = call(client, "get", "/api/v1/leaderboard", w.h["ann1"])
        assert rows(mine) == [("ann1", 1), ("ann2", 0), ("judge", 0), ("lead", 0)]
        _, theirs = call(client, "get", "/api/v1/leaderboard?period=week", w.h["outsider"])
        assert rows(theirs) == [("outsider", 0)]
        _, everyone = call(client, "get", "/api/v1/leaderboard?period=day", w.h["root"])
        assert [u for u, _ in rows(everyone)] == ["ann1", "ann2", "judge", "lead", "outsider"]


class TestAnonymous:
    @pytest.fixture
    def anon(self, w: Any) -> Any:
        w.project.leaderboard_anonymous = True
        w.project.save()
        answer(w, w.ann1, "True")
        answer(w, w.ann1, "False")
        answer(w, w.ann2, "True")
        return w

    def test_ranks_without_names_but_your_own(self, anon: Any, client: Client) -> None:
        body = board(client, anon, "ann2")
        assert [(r["user"], r["you"]) for r in body["items"]] == [
            ("#1", False),
            ("ann2", True),
            ("#3", False),
            ("#3", False),
        ]
        judge = board(client, anon, "judge")
        assert [r["user"] for r in judge["items"]] == ["#1", "#2", "judge", "#3"]

    def test_admins_still_see_names(self, anon: Any, client: Client) -> None:
        for who in ("lead", "root"):
            assert [u for u, _ in rows(board(client, anon, who))] == [
                "ann1",
                "ann2",
                "judge",
                "lead",
            ]

    def test_the_site_wide_board_does_not_undo_it(self, anon: Any, client: Client) -> None:
        _, body = call(client, "get", "/api/v1/leaderboard", anon.h["ann2"])
        assert [r["user"] for r in body["items"]] == ["#1", "ann2", "#3", "#3"]
        client.force_login(anon.ann2)
        html = client.get("/leaderboard/").content.decode()
        assert "ann1" not in html and "judge" not in html

    def test_the_page_shows_ranks(self, anon: Any, client: Client) -> None:
        client.force_login(anon.ann2)
        html = client.get(f"/projects/{anon.project.pk}/leaderboard/").content.decode()
        assert 'data-testid="row-#1"' in html and 'data-you="1"' in html
        assert "ann1" not in html and "Names are hidden" in html


class TestRoles:
    @pytest.mark.parametrize(
        "url", ["/api/v1/projects/{P}/leaderboard", "/api/v1/projects/{P}/me/stats"]
    )
    def test_members_read_non_members_get_404(self, w: Any, client: Client, url: str) -> None:
        url = url.format(P=w.project.pk)
        for who, expected in (("outsider", 404), ("anonymous", 401), ("ann1", 200)):
            assert call(client, "get", url, w.h[who])[0] == expected

    def test_decisions_are_for_experts(self, w: Any, client: Client) -> None:
        url = f"/api/v1/projects/{w.project.pk}/decisions"
        expected = {"outsider": 404, "ann1": 403, "judge": 200, "lead": 200, "root": 200}
        assert {who: call(client, "get", url, w.h[who])[0] for who in expected} == expected

    def test_pages(self, w: Any, client: Client) -> None:
        p = w.project.pk
        expected = {
            ("outsider", f"/projects/{p}/leaderboard/"): 404,
            ("outsider", f"/projects/{p}/me/"): 404,
            ("outsider", f"/projects/{p}/decisions/"): 404,
            ("ann1", f"/projects/{p}/decisions/"): 403,
            ("ann1", f"/projects/{p}/leaderboard/"): 200,
            ("ann1", f"/projects/{p}/me/"): 200,
            ("ann1", "/leaderboard/"): 200,
            ("judge", f"/projects/{p}/decisions/"): 200,
        }
        for (who, url), status in expected.items():
            client.force_login(getattr(w, who))
            assert client.get(url).status_code == status, (who, url)
        client.logout()
        assert client.get("/leaderboard/").status_code == 302

    def test_gold_accuracy_is_yours_or_for_experts(
        self, w: Any, client: Client, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        gold = {
            w.ann1.pk: {"checked": 4, "correct": 3, "accuracy": 0.75},
            w.ann2.pk: {"checked": 2, "correct": 1, "accuracy": 0.5},
        }
        calls: list[Any] = []

        def fake(project: Any, *, since: Any = None, until: Any = None) -> Any:
            calls.append(since)
            return gold

        monkeypatch.setattr(gold_checks, "gold_accuracy", fake)
        answer(w, w.ann1, "True")

        def accuracy(who: str, period: str = "all") -> dict[str, Any]:
            return {r["user"]: r["gold_accuracy"] for r in board(client, w, who, period)["items"]}

        assert accuracy("ann1") == {"ann1": 0.75, "ann2": None, "judge": None, "lead": None}
        assert accuracy("ann2") == {"ann1": None, "ann2": 0.5, "judge": None, "lead": None}
        for who in ("judge", "lead", "root"):
            assert accuracy(who, "week") == {"ann1": 0.75, "ann2": 0.5, "judge": None, "lead": None}
        assert calls[-1] == period_start("week")
        _, site = call(client, "get", "/api/v1/leaderboard", w.h["ann2"])
        assert {r["user"]: r["gold_accuracy"] for r in site["items"]}["ann1"] is None
        status, mine = call(client, "get", f"/api/v1/projects/{w.project.pk}/me/stats", w.h["ann1"])
        assert mine["gold"] == {"checked": 4, "correct": 3, "accuracy": 0.75}


class TestBlindLeaksNothing:
    """An annotator reads the same boards, pages and statistics whether the other answer
    to their task agrees with theirs or not; and between before and after that answer,
    only the other's count moves."""

    CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')

    def everything(self, w: Any, client: Client) -> dict[str, Any]:
        p = w.project.pk
        seen: dict[str, Any] = {}
        client.force_login(w.ann1)
        for period in PERIODS:
            for url in (
                f"/api/v1/projects/{p}/leaderboard?period={period}",
                f"/api/v1/leaderboard?period={period}",
                f"/api/v1/projects/{p}/me/stats?period={period}",
            ):
                seen[url] = call(client, "get", url, w.h["ann1"])
            for url in (
                f"/projects/{p}/leaderboard/?period={period}",
                f"/leaderboard/?period={period}",
                f"/projects/{p}/me/?period={period}",
                f"/projects/{p}/?period={period}",
            ):
                response = client.get(url)
                seen[url] = (response.status_code, self.CSRF.sub("", response.content.decode()))
        return seen

    def test_agree_or_conflict_reads_the_same(self, w: Any, client: Client) -> None:
        shared = answer(w, w.ann1, "True")
        before = self.everything(w, client)
        after = {}
        for other, status in (("True", "agreed"), ("False", "conflict")):
            with transaction.atomic():
                (task,) = claim_batch(w.project, w.ann2)
                assert task == shared
                save_annotation(task, w.ann2, {"decision": other})
                task.refresh_from_db()
                assert task.status == status
                after[status] = self.everything(w, client)
                transaction.set_rollback(True)
        assert after["agreed"] == after["conflict"]

        # Only ann2's count (and their bar of today) moved.
        changed = after["agreed"]
        for url, (status, body) in before.items():
            if url.startswith("/api/") and "leaderboard" in url:
                moved = {r["user"]: r for r in changed[url][1]["items"]}
                for row in body["items"]:
                    now = moved[row["user"]]
                    # Ranks follow from the counts alone (1 + how many have more).
                    more = sum(r["tasks"] > now["tasks"] for r in moved.values())
                    assert now.pop("rank") == 1 + more and row.pop("rank")
                    if row["user"] == "ann2":
                        assert now["tasks"] == row["tasks"] + 1
                        assert now["per_day"][-1] == row["per_day"][-1] + 1
                        now = {**now, "tasks": row["tasks"], "per_day": row["per_day"]}
                    assert now == row
                assert {k: v for k, v in body.items() if k != "items"} == {
                    k: v for k, v in changed[url][1].items() if k != "items"
                }
            elif "leaderboard" in url:
                assert status == 200

                def without_ann2(html: str) -> str:
                    """The page but ann2's row, the ranks and the chart of the day totals."""
                    html = re.sub(r'<tr data-testid="row-ann2".*?</tr>', "", html, flags=re.S)
                    html = re.sub(r'<td class="rank">\d+</td>', "", html)
                    return re.sub(r'<figure class="bar-chart">.*?</figure>', "", html, flags=re.S)

                assert without_ann2(changed[url][1]) == without_ann2(body)
            else:
                assert changed[url] == (status, body), url

    def test_no_decision_value_in_any_leaderboard(self, w: Any, client: Client) -> None:
        for user, decision in ((w.ann1, "Uncertain"), (w.ann2, "Reject"), (w.ann1, "True")):
            answer(w, user, decision)
        Annotation.objects.filter(user=w.ann2).update(
            answer={"decision": "Reject", "labels": ["pacing"]}
        )
        for who in ("ann1", "judge", "lead", "root"):
            for period in PERIODS:
                for url in (
                    f"/api/v1/projects/{w.project.pk}/leaderboard?period={period}",
                    f"/api/v1/leaderboard?period={period}",
                ):
                    status, body = call(client, "get", url, w.h[who])
                    assert status == 200 and not strings(body) & CHOICE_VALUES, (who, url)
            client.force_login(getattr(w, who))
            for url in (f"/projects/{w.project.pk}/leaderboard/", "/leaderboard/"):
                html = client.get(url).content.decode()
                found = [v for v in CHOICE_VALUES if re.search(rf"\b{re.escape(v)}\b", html)]
                assert not found, (who, url, found)
        # They are on the experts' decisions.
        status, body = call(
            client, "get", f"/api/v1/projects/{w.project.pk}/decisions", w.h["lead"]
        )
        counts = {r["user"]: r["counts"]["decision"] for r in body["items"]}
        assert counts == {"ann1": {"Uncertain": 1, "True": 1}, "ann2": {"Reject": 1}}


class TestDecisions:
    def test_counts_per_value_and_blind_to_the_tasks_you_annotate(
        self, w: Any, client: Client
    ) -> None:
        first = answer(w, w.ann1, "True")
        answer(w, w.ann2, "False")
        # The judge annotates the second task too (claimed while nobody had answered it,
        # as experts may): ann1's answer to it is not theirs to see.
        (task,) = claim_batch(w.project, w.judge)
        second = answer(w, w.ann1, "Reject")
        assert task == second and first != second
        save_annotation(task, w.judge, {"decision": "True"})
        _, judge = call(client, "get", f"/api/v1/projects/{w.project.pk}/decisions", w.h["judge"])
        assert [f["name"] for f in judge["fields"]] == ["decision"]
        assert {r["user"]: (r["answers"], r["counts"]) for r in judge["items"]} == {
            "ann1": (1, {"decision": {"True": 1}}),
            "ann2": (1, {"decision": {"False": 1}}),
            "judge": (1, {"decision": {"True": 1}}),
        }
        _, lead = call(client, "get", f"/api/v1/projects/{w.project.pk}/decisions", w.h["lead"])
        assert {r["user"]: r["counts"]["decision"] for r in lead["items"]}["ann1"] == {
            "True": 1,
            "Reject": 1,
        }
        client.force_login(w.lead)
        html = client.get(f"/projects/{w.project.pk}/decisions/").content.decode()
        assert html.count('class="slice"') == 4 and 'data-testid="pie-ann1-decision"' in html

    def test_graded_lists_count_their_sure_items(self, w: Any, client: Client) -> None:
        (task,) = claim_batch(w.other, w.outsider)
        diagnoses = [
            {"value": "normal", "grade": "Confirmed"},
            {"value": "pvc", "grade": "Unsure"},
        ]
        save_annotation(task, w.outsider, {"diagnoses": diagnoses})
        _, body = call(client, "get", f"/api/v1/projects/{w.other.pk}/decisions", w.h["root"])
        assert body["items"] == [
            {"user": "outsider", "answers": 1, "counts": {"diagnoses": {"normal": 1}}}
        ]


class TestMyStats:
    def finish(self, w: Any) -> None:
        """ann1 and ann2 agree on the first task (True); on the second ann1 says True,
        ann2 False, and the judge decides False."""
        answer(w, w.ann1, "True")
        answer(w, w.ann2, "True")
        answer(w, w.ann1, "True")
        second = answer(w, w.ann2, "False")
        assert second.status == "conflict"
        adjudicate(second, w.judge, {"decision": "False"})

    def stats(self, client: Client, w: Any, who: str = "ann1") -> dict[str, Any]:
        url = f"/api/v1/projects/{w.project.pk}/me/stats"
        status, body = call(client, "get", url, w.h[who])
        assert status == 200, body
        return body

    def test_agreement_with_final_labels_when_shown(self, w: Any, client: Client) -> None:
        w.project.blind = False
        w.project.save()
        self.finish(w)
        body = self.stats(client, w)
        assert body["tasks"] == 2 and body["per_day"][-1] == 2
        assert body["agreement"] == {"compared": 2, "agreed": 1, "rate": 0.5, "reason": None}
        assert self.stats(client, w, "ann2")["agreement"]["rate"] == 1.0
        client.force_login(w.ann1)
        html = client.get(f"/projects/{w.project.pk}/me/").content.decode()
        assert "50% (1 of 2 final tasks)" in html

    def test_a_blind_project_that_reveals_outcomes(self, w: Any, client: Client) -> None:
        w.project.reveal_outcome = True
        w.project.save()
        self.finish(w)
        assert self.stats(client, w)["agreement"]["rate"] == 0.5

    def test_null_with_the_reason_when_hidden(self, w: Any, client: Client) -> None:
        self.finish(w)
        body = self.stats(client, w)
        assert body["agreement"] == {"compared": 0, "agreed": 0, "rate": None, "reason": HIDDEN}
        assert body["tasks"] == 2
        client.force_login(w.ann1)
        html = client.get(f"/projects/{w.project.pk}/me/").content.decode()
        assert HIDDEN in html

    def test_only_final_tasks_count(self, w: Any, client: Client) -> None:
        w.project.blind = False
        w.project.save()
        answer(w, w.ann1, "True")
        body = self.stats(client, w)
        assert body["agreement"]["compared"] == 0 and body["agreement"]["rate"] is None
        assert body["agreement"]["reason"]
        assert json.dumps(body)  # serialisable as sent


class TestHiddenGoldChecks:
    def test_a_gold_check_counts_as_work_and_as_gold_never_as_a_decision(
        self, w: Any, client: Client
    ) -> None:
        """ann2 and the judge agree on a task that has a gold answer (True); ann1 then gets
        it as a hidden gold check and answers False, in a project that shows outcomes."""
        from wavetag.annotations.gold import save_gold

        w.project.blind = False
        w.project.save()
        task = Task.objects.filter(project=w.project).order_by("id").first()
        assert task is not None
        save_gold(w.project, {"items": [{"task": task.pk, "answer": {"decision": "True"}}]})
        for slot, user in enumerate((w.ann2, w.judge)):
            task.assignments.create(user=user, slot=slot, batch=1, position=0)
            save_annotation(task, user, {"decision": "True"})
        task.assignments.create(user=w.ann1, slot=None, gold=True, batch=1, position=0)
        save_annotation(task, w.ann1, {"decision": "False"})
        task.refresh_from_db()
        assert task.status == "agreed"
        # Counted as gold once settled: when ann1 claims their next batch.
        claim_batch(w.project, w.ann1)

        def row(who: str, user: str) -> dict[str, Any]:
            return next(r for r in board(client, w, who)["items"] if r["user"] == user)

        assert row("ann1", "ann1")["tasks"] == row("ann2", "ann1")["tasks"] == 1
        assert row("ann1", "ann1")["gold_accuracy"] == 0.0
        assert row("ann2", "ann1")["gold_accuracy"] is None
        assert row("lead", "ann1")["gold_accuracy"] == 0.0
        url = f"/api/v1/projects/{w.project.pk}/me/stats"
        mine = call(client, "get", url, w.h["ann1"])[1]
        assert mine["tasks"] == 1 and mine["gold"] == {"checked": 1, "correct": 0, "accuracy": 0.0}
        assert mine["agreement"]["compared"] == 0 and mine["agreement"]["rate"] is None
        assert call(client, "get", url, w.h["ann2"])[1]["agreement"]["rate"] == 1.0
        url = f"/api/v1/projects/{w.project.pk}/decisions"
        decisions = call(client, "get", url, w.h["lead"])[1]
        assert {r["user"] for r in decisions["items"]} == {"ann2", "judge"}
