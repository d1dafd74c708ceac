"""The adjudication page of a beat-correction task (Django's test client): who may open
it, the disagreement list, resolving one and in bulk through its forms."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.test import Client

from wavetag.annotations.models import BeatDisagreement

pytestmark = pytest.mark.django_db


def page(client: Client, w: SimpleNamespace, who: str) -> object:
    client.force_login(getattr(w, who))
    return client.get(f"/tasks/{w.task.pk}/adjudicate/")


class TestAdjudicationPage:
    def test_lists_the_disagreements(self, client: Client, conflict: SimpleNamespace) -> None:
        response = page(client, conflict, "judge")
        assert response.status_code == 200
        html = response.content.decode()
        for d in BeatDisagreement.objects.filter(task=conflict.task):
            assert f'data-testid="disagreement-{d.pk}"' in html
        assert 'data-testid="bulk-form"' in html and 'data-testid="beat-stats"' in html
        assert "N / V" in html
        # Each annotator's notes and set, beside the disagreements.
        assert 'data-testid="beat-notes"' in html and "Signal quality: A: good" in html
        assert f"task{conflict.task.pk}-ann2" in html
        # The viewer opens on the first disagreement.
        config = response.context["config"]
        first = BeatDisagreement.objects.filter(task=conflict.task).order_by("time").first()
        assert config["window"]["start"] < first.time < config["window"]["end"]

    def test_annotators_and_outsiders_cannot(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        assert page(client, conflict, "ann1").status_code == 403
        assert page(client, conflict, "outsider").status_code == 404

    def test_resolve_one_then_the_rest_in_bulk(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        w = conflict
        client.force_login(w.judge)
        url = f"/tasks/{w.task.pk}/adjudicate/"
        label = BeatDisagreement.objects.get(task=w.task, kind="label")
        response = client.post(url, {"id": str(label.pk), "action": "label", "label": "V"})
        assert response.status_code == 302
        label.refresh_from_db()
        assert label.resolution == {"action": "label", "label": "V"}
        response = client.post(url, {"bulk": "1", "kind": "missing", "action": "take:ann2"})
        assert response.status_code == 302
        w.task.refresh_from_db()
        assert w.task.status == "adjudicated"
        assert b'data-testid="final-set"' in client.get(url).content

    def test_bad_input_is_shown_not_a_500(self, client: Client, conflict: SimpleNamespace) -> None:
        client.force_login(conflict.judge)
        url = f"/tasks/{conflict.task.pk}/adjudicate/"
        for bad in ("x", "\u00b2"):  # "²" is a digit that int() refuses
            response = client.post(url, {"id": bad, "action": "drop"})
            assert response.status_code == 400 and b"id: must be" in response.content
        response = client.post(url, {"bulk": "1", "action": "take:nobody"})
        assert response.status_code == 400 and b"annotator" in response.content
        assert not BeatDisagreement.objects.filter(
            task=conflict.task, resolution__isnull=False
        ).exists()


class TestProjectPage:
    def test_experts_see_the_beat_agreement(
        self, client: Client, conflict: SimpleNamespace
    ) -> None:
        client.force_login(conflict.judge)
        html = client.get(f"/projects/{conflict.project.pk}/").content.decode()
        assert 'data-testid="beat-agreement"' in html and "Se 1.0000" in html
        client.force_login(conflict.ann1)
        html = client.get(f"/projects/{conflict.project.pk}/").content.decode()
        assert 'data-testid="beat-agreement"' not in html
