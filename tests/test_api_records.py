"""The records API: authentication, listing, windows (values, buckets, edges, errors)."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import wfdb
from django.test import Client

from wavetag.accounts import models as token_models
from wavetag.accounts.models import ApiToken
from wavetag.records.models import Record
from wavetag.signal.codec import decode_delta_varint

from .factories import bearer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(api_records: list[Record]) -> dict[str, Record]:
    return {r.name: r for r in Record.objects.all()}


@pytest.fixture
def admin_headers() -> dict[str, str]:
    return bearer(make_user("admin", staff=True, password=None))


def get(client: Client, url: str, headers: dict[str, str], **params: Any) -> Any:
    return client.get(url, params, **headers)


def window(
    client: Client, headers: dict[str, str], record: Record, **params: Any
) -> dict[str, Any]:
    response = get(client, f"/api/v1/records/{record.pk}/window", headers, **params)
    assert response.status_code == 200, response.content[:300]
    return json.loads(response.content)


class TestAuthentication:
    @pytest.mark.parametrize(
        "path",
        [
            "/api/v1/datasets",
            "/api/v1/records",
            "/api/v1/records/{id}",
            "/api/v1/records/{id}/window?start=0&end=1",
            "/api/v1/records/{id}/annotations?set=atr",
        ],
    )
    def test_every_endpoint_needs_credentials(
        self, client: Client, records: dict[str, Record], path: str
    ) -> None:
        url = path.format(id=records["100"].pk)
        assert client.get(url).status_code == 401
        assert client.get(url, HTTP_AUTHORIZATION="Bearer wt_not-a-token").status_code == 401
        assert client.get(url, HTTP_AUTHORIZATION="Basic Zm9vOmJhcg==").status_code == 401

    def test_token_and_session_both_work(self, client: Client, records: dict[str, Record]) -> None:
        user = make_user("staff", staff=True)
        assert get(client, "/api/v1/records", bearer(user)).status_code == 200
        client.force_login(user)
        assert client.get("/api/v1/records").status_code == 200

    def test_inactive_user_token_refused(self, client: Client, records: dict[str, Record]) -> None:
        user = make_user("gone", staff=True)
        headers = bearer(user)
        assert get(client, "/api/v1/records", headers).status_code == 200  # now remembered
        user.is_active = False
        user.save()
        assert get(client, "/api/v1/records", headers).status_code == 401

    def test_deleted_token_refused_at_once(self, client: Client, records: dict[str, Any]) -> None:
        headers = bearer(make_user("revoked", staff=True))
        assert get(client, "/api/v1/records", headers).status_code == 200
        ApiToken.objects.all().delete()
        assert get(client, "/api/v1/records", headers).status_code == 401

    def test_change_made_by_another_process_counts_within_seconds(
        self, client: Client, records: dict[str, Record], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A bulk update sends no signal, like a change made by another server process.
        user = make_user("elsewhere", staff=True)
        headers = bearer(user)
        assert get(client, "/api/v1/records", headers).status_code == 200
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        assert get(client, "/api/v1/records", headers).status_code == 200  # still remembered
        later = time.monotonic() + token_models.TOKEN_CACHE_SECONDS + 0.1
        monkeypatch.setattr(token_models, "_now", lambda: later)
        assert get(client, "/api/v1/records", headers).status_code == 401

    def test_user_outside_any_project_sees_nothing(
        self, client: Client, records: dict[str, Record]
    ) -> None:
        headers = bearer(make_user("someone"))
        body = json.loads(get(client, "/api/v1/records", headers).content)
        assert body == {"items": [], "count": 0}
        assert get(client, f"/api/v1/records/{records['100'].pk}", headers).status_code == 404
        url = f"/api/v1/records/{records['100'].pk}/window"
        assert get(client, url, headers, start=0, end=1).status_code == 404

    def test_ids_out_of_any_range_are_not_found(
        self, client: Client, records: dict[str, Record], admin_headers: dict[str, str]
    ) -> None:
        for rid in (0, -1, 2**63, 2**70):
            url = f"/api/v1/records/{rid}/window"
            response = get(client, url, admin_headers, start=0, end=1)
            assert response.status_code in (404, 422), (rid, response.status_code)

    def test_openapi_schema_is_served(self, client: Client, admin_headers: dict[str, str]) -> None:
        response = client.get("/api/v1/openapi.json")
        assert response.status_code == 200
        schema = json.loads(response.content)
        assert "/api/v1/records/{record_id}/window" in schema["paths"]
        assert "bearer" in json.dumps(schema["components"]["securitySchemes"]).lower()


class TestListing:
    def test_records_list_shape(self, client: Client, records, admin_headers) -> None:
        body = json.loads(get(client, "/api/v1/records", admin_headers, dataset="api").content)
        assert body["count"] == 2
        by_name = {item["name"]: item for item in body["items"]}
        assert set(by_name) == {"100", "03700181"}
        item = by_name["03700181"]
        assert set(item) == {"id", "name", "dataset", "duration", "channels"}
        assert item["dataset"] == "api"
        assert item["duration"] == pytest.approx(600.0)
        assert [c["fs"] for c in item["channels"]] == [500.0, 125.0, 125.0]
        assert set(item["channels"][0]) == {"index", "name", "units", "fs"}

    def test_record_detail_has_annotation_sets(self, client, records, admin_headers) -> None:
        body = json.loads(
            get(client, f"/api/v1/records/{records['100'].pk}", admin_headers).content
        )
        assert body["annotation_sets"][0]["name"] == "atr"
        assert body["annotation_sets"][0]["origin"] == "reference"

    def test_comments_only_for_site_admins(self, client, records, admin_headers) -> None:
        url = f"/api/v1/records/{records['v221l'].pk}"
        body = json.loads(get(client, url, admin_headers).content)
        assert "True alarm" in body["comments"]

    def test_annotations_in_a_span(self, client, records, admin_headers, data_dir: Path) -> None:
        url = f"/api/v1/records/{records['100'].pk}/annotations"
        body = json.loads(get(client, url, admin_headers, set="atr", start=10, end=20).content)
        ann = wfdb.rdann(str(data_dir / "mitdb/100"), "atr")
        t = ann.sample / 360.0
        assert body["count"] == int(((t >= 10) & (t < 20)).sum())
        assert [i["symbol"] for i in body["items"]] == [
            s for s, tt in zip(ann.symbol, t, strict=True) if 10 <= tt < 20
        ]


class TestWindow:
    def test_raw_window_equals_source(self, client, records, admin_headers, data_dir) -> None:
        ref = wfdb.rdrecord(str(data_dir / "mitdb/100"), sampfrom=3600, sampto=7200)
        body = window(client, admin_headers, records["100"], start=10, end=20, max_points=4000)
        assert body["start"] == 10 and body["end"] == 20
        for ch in body["channels"]:
            assert ch["kind"] == "raw"
            assert ch["t0"] == pytest.approx(10.0)
            assert ch["step"] == pytest.approx(1 / 360)
            np.testing.assert_allclose(ch["values"], ref.p_signal[:, ch["index"]], atol=1e-6)

    def test_minmax_buckets_are_exact(self, client, records, admin_headers, data_dir) -> None:
        ref = wfdb.rdrecord(str(data_dir / "mitdb/100"), channels=[0]).p_signal[:, 0]
        n = len(ref)
        for start, end, max_points in [
            (0, 1805.6, 2000),
            (13.37, 600.1, 1000),
            (100, 160, 999),
            (0, 5, 7),
        ]:
            body = window(
                client,
                admin_headers,
                records["100"],
                start=start,
                end=end,
                channels="0",
                max_points=max_points,
            )
            (ch,) = body["channels"]
            assert ch["kind"] == "minmax"
            buckets = len(ch["min"])
            assert max_points / 2 <= buckets <= max_points
            size = round(ch["step"] * 360)
            first = round(ch["t0"] * 360)
            assert first <= round(start * 360) and first % size == 0
            assert start - ch["t0"] < ch["step"] + 1e-9
            for b in range(buckets):
                span = ref[first + b * size : min(n, first + (b + 1) * size)]
                assert ch["min"][b] == pytest.approx(span.min(), abs=1e-6)
                assert ch["max"][b] == pytest.approx(span.max(), abs=1e-6)
            # The buckets cover the whole requested span.
            assert ch["t0"] + buckets * ch["step"] >= min(end, n / 360) - 1e-9

    def test_edges_of_the_record(self, client, records, admin_headers, data_dir) -> None:
        ref = wfdb.rdrecord(str(data_dir / "mitdb/100"), sampfrom=649_990).p_signal
        body = window(client, admin_headers, records["100"], start=649_990 / 360, end=99999)
        for ch in body["channels"]:
            np.testing.assert_allclose(ch["values"], ref[:, ch["index"]], atol=1e-6)
        first = window(client, admin_headers, records["100"], start=0, end=1 / 360, channels="1")
        assert len(first["channels"][0]["values"]) == 1

    def test_multi_frequency_channels(self, client, records, admin_headers, data_dir) -> None:
        ref = wfdb.rdrecord(str(data_dir / "mimicdb/03700181"), smooth_frames=False)
        body = window(client, admin_headers, records["03700181"], start=2, end=4, max_points=5000)
        for ch, phys in zip(body["channels"], ref.e_p_signal, strict=True):
            fs = ch["fs"]
            expected = phys[int(2 * fs) : int(4 * fs)]
            values = np.array([np.nan if v is None else v for v in ch["values"]])
            np.testing.assert_allclose(values, expected, rtol=1e-7, atol=1e-9)
        assert [len(ch["values"]) for ch in body["channels"]] == [1000, 250, 250]

    def test_invalid_samples_are_null(self, client, records, admin_headers) -> None:
        # The skewed RESP channel of 03700181 ends in 4 missing samples.
        body = window(
            client, admin_headers, records["03700181"], start=599.9, end=600, channels="2"
        )
        assert body["channels"][0]["values"][-4:] == [None] * 4

    def test_binary_matches_json(self, client, records, admin_headers) -> None:
        for params in ({"start": 10, "end": 20}, {"start": 0, "end": 1800, "max_points": 500}):
            as_json = window(client, admin_headers, records["03700181"], **params)
            response = get(
                client,
                f"/api/v1/records/{records['03700181'].pk}/window",
                admin_headers,
                format="binary",
                **params,
            )
            assert response["Content-Type"] == "application/octet-stream"
            decoded = decode_binary(response.content)
            for a, b in zip(as_json["channels"], decoded["channels"], strict=True):
                assert a["kind"] == b["kind"] and a["t0"] == b["t0"] and a["step"] == b["step"]
                for key in ("values", "min", "max"):
                    if key in a:
                        x = np.array([np.nan if v is None else v for v in a[key]])
                        np.testing.assert_allclose(b[key], x, atol=1e-6)
            points = sum(
                len(c.get("values", [])) + 2 * len(c.get("min", [])) for c in as_json["channels"]
            )
            # The target for the wire: at most 2 bytes a number, header included.
            assert len(response.content) <= 2 * points, (len(response.content), points)

    @pytest.mark.parametrize(
        "params",
        [
            {"start": "abc", "end": 1},
            {"start": 0},
            {"start": 5, "end": 5},
            {"start": 5, "end": 1},
            {"start": -1, "end": 1},
            {"start": 99999, "end": 100000},
            {"start": "nan", "end": 1},
            {"start": 0, "end": "inf"},
            {"start": 0, "end": 1, "max_points": 0},
            {"start": 0, "end": 1, "max_points": 10**9},
            {"start": 0, "end": 1, "max_points": "many"},
            {"start": 0, "end": 1, "channels": "7"},
            {"start": 0, "end": 1, "channels": "x"},
            {"start": 0, "end": 1, "channels": "-1"},
            {"start": 0, "end": 1, "channels": "\u00b2"},
            {"start": 0, "end": 1, "max_points": "\u00b2"},
            {"start": "\u00b2", "end": 1},
            {"start": 0, "end": 1, "format": "xml"},
        ],
    )
    def test_malformed_parameters_get_4xx(self, client, records, admin_headers, params) -> None:
        response = get(
            client, f"/api/v1/records/{records['100'].pk}/window", admin_headers, **params
        )
        assert 400 <= response.status_code < 500, response.content
        assert json.loads(response.content)["detail"]

    def test_unknown_record_is_404(self, client, records, admin_headers) -> None:
        assert (
            get(client, "/api/v1/records/999999/window", admin_headers, start=0, end=1).status_code
            == 404
        )
        assert get(client, "/api/v1/records/abc", admin_headers).status_code in (404, 422)


def decode_binary(data: bytes) -> dict[str, Any]:
    assert data[:4] == b"WTW2"
    (length,) = struct.unpack("<I", data[4:8])
    header = json.loads(data[8 : 8 + length])
    assert (8 + length) % 8 == 0
    body = data[8 + length :]
    for ch in header["channels"]:
        dtype = np.dtype(ch["dtype"]).newbyteorder("<")
        count = ch["count"]
        arrays = []
        for offset, size in zip(ch["offsets"], ch["lengths"], strict=True):
            if ch["encoding"] == "delta-varint":
                digital = decode_delta_varint(body[offset : offset + size], count)
            else:
                assert ch["encoding"] == "raw" and size == count * dtype.itemsize
                digital = np.frombuffer(body, dtype, count, offset)
            physical = (digital.astype(np.float64) - ch["baseline"]) / ch["gain"]
            if ch["invalid"] is not None:
                physical[digital == ch["invalid"]] = np.nan
            arrays.append(physical)
        assert len(arrays) == (2 if ch["kind"] == "minmax" else 1)
        if ch["kind"] == "minmax":
            ch["min"], ch["max"] = arrays
        else:
            ch["values"] = arrays[0]
    return header


class TestAnnotationListing:
    def test_events_only_and_the_one_before_a_time(
        self, client: Client, records: dict[str, Record], admin_headers: dict[str, str], data_dir
    ) -> None:
        ann = wfdb.rdann(str(data_dir / "mitdb" / "100"), "atr")
        marks = [
            (round(s / ann.fs, 6), c)
            for s, c in zip(ann.sample, ann.symbol, strict=True)
            if c not in ("N", "L", "R", "e", "j")
        ]
        url = f"/api/v1/records/{records['100'].pk}/annotations"
        body = json.loads(get(client, url, admin_headers, set="atr", events_only="true").content)
        got = [(round(i["time"], 6), i["symbol"]) for i in body["items"]]
        assert got == marks and body["count"] == len(marks)
        assert {"A", "V", "+"} <= {c for _, c in got}
        # The latest event before a time, as the viewer's "[" asks for it.
        t = marks[5][0]
        params = {"set": "atr", "events_only": "true", "end": t - 1e-3, "order": "desc", "limit": 1}
        body = json.loads(get(client, url, admin_headers, **params).content)
        assert [round(i["time"], 6) for i in body["items"]] == [marks[4][0]]
        response = get(client, url, admin_headers, set="atr", order="sideways")
        assert response.status_code == 422 and "order" in json.loads(response.content)["detail"]
