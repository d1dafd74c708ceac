"""Texts stored in English and shown in the reader's language: an import job's refusals
and errors (the worker has no reader), the signal core's reasons for a file it cannot
read or a channel it cannot find (it never imports Django), a set's frozen reason;
refusals worded where they are raised (schemas); the CSRF failure page; a language saved
on one device reaching the user's other sessions. Files used: broken/* and mitdb/100 from
$WAVETAG_TEST_DATA."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from wavetag.accounts import preferences
from wavetag.accounts.models import Preferences
from wavetag.analysis.import_jobs import execute_import
from wavetag.analysis.services import request_analysis
from wavetag.analysis.shown import MESSAGES, shown
from wavetag.errors import InvalidInput, StateConflict
from wavetag.projects.beat_schema import check_task_type
from wavetag.records.editing import FINAL, SUBMITTED, frozen_shown
from wavetag.records.models import ImportJob, Record
from wavetag.records.reasons import REASONS, reason_shown
from wavetag.records.refusals import refusal_shown
from wavetag.records.uploads import create_dataset
from wavetag.signal.io import open_recording
from wavetag.signal.io.annotations import read_annotation_file
from wavetag.signal.io.discover import find_records
from wavetag.signal.recording import RecordError

from .factories import bearer, import_ok, make_user
from .signal.format_writers import aecg_xml, ishne_bytes
from .signal.test_io_edf import write_edf
from .test_import import BROKEN as BROKEN_FILES

pytestmark = pytest.mark.django_db

URL = "/api/v1/datasets/uploads/records"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
# Three English words in a row: a sentence left in English (file names and quoted
# values have no spaces).
ENGLISH = re.compile(r"\b[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}\b")
CJK = re.compile(r"[\u4e00-\u9fff]")
# The broken files of the shared data, by name without extension (as they are grouped).
BROKEN = tuple(Path(name).stem for name in BROKEN_FILES)


@pytest.fixture
def keeper(settings: Any, tmp_path: Path) -> dict[str, str]:
    settings.STORE_DIR = tmp_path / "store"
    settings.UPLOAD_DIR = tmp_path / "uploads"
    create_dataset("uploads")
    return bearer(make_user("root", staff=True, password=None))


def upload(client: Client, paths: list[Path], headers: dict[str, str]) -> Any:
    handles = [open(p, "rb") for p in paths]
    try:
        return client.post(URL, {"files": handles}, **headers)
    finally:
        for h in handles:
            h.close()


def broken(data_dir: Path, group: str) -> list[Path]:
    return sorted((data_dir / "broken").glob(group + ".*"))


class TestBrokenFilesUploaded:
    @pytest.mark.parametrize("group", BROKEN)
    def test_the_reason_is_in_chinese(
        self, keeper: dict[str, str], data_dir: Path, client: Client, group: str
    ) -> None:
        response = upload(client, broken(data_dir, group), {**keeper, **ZH})
        assert response.status_code == 400
        (refused,) = response.json()["refused"]
        assert refused["error"].startswith("无法读取 "), refused
        reason = refused["error"].split("：", 1)[1]
        assert CJK.search(reason) and not ENGLISH.search(reason), refused

    def test_and_in_english(self, keeper: dict[str, str], data_dir: Path, client: Client) -> None:
        response = upload(client, broken(data_dir, "truncated_dat"), {**keeper, **EN})
        (refused,) = response.json()["refused"]
        assert refused["error"].startswith("truncated_dat.hea cannot be read: signal file")


class TestImportJobs:
    def job(
        self, client: Client, keeper: dict[str, str], paths: list[Path], settings: Any
    ) -> ImportJob:
        settings.UPLOAD_INLINE_MAX = 0
        response = upload(client, paths, {**keeper, **ZH})
        assert response.status_code == 202
        return execute_import(response.json()["job"])

    def test_refusals_are_kept_in_english_and_shown_in_the_readers_language(
        self, keeper: dict[str, str], data_dir: Path, client: Client, settings: Any
    ) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            z.writestr("../evil.hea", "x")
        archive = Path(settings.UPLOAD_DIR).parent / "climb.zip"
        archive.write_bytes(buffer.getvalue())
        paths = [
            *broken(data_dir, "garbage_fields"),
            *broken(data_dir, "truncated_atr"),
            data_dir / "broken/empty.hea",
            data_dir / "broken/empty.hea",  # sent twice: refused when staged
            archive,
        ]
        job = self.job(client, keeper, paths, settings)
        assert job.status == "failed"
        stored = [job.error, *(r["error"] for r in job.refused)]
        assert not any(CJK.search(text) for text in stored), stored
        url = f"/api/v1/import-jobs/{job.pk}"
        chinese = client.get(url, **keeper, **ZH).json()
        texts = [chinese["error"], *(r["error"] for r in chinese["refused"])]
        assert chinese["error"] == "没有可导入的内容（见被拒绝的文件）"
        assert all(CJK.search(t) and not ENGLISH.search(t) for t in texts), texts
        by_file = {r["file"]: r["error"] for r in chinese["refused"]}
        assert by_file["empty.hea"] in ("同一次上传中发送了两次", "无法读取 empty.hea：头文件为空")
        assert by_file["garbage_fields.hea"] == (
            "无法读取 garbage_fields.hea：第 1 行：信号数 'two' 不是整数"
        )
        english = client.get(url, **keeper, **EN).json()
        assert english["error"] == "nothing could be imported (see refused)"
        assert {r["file"]: r["error"] for r in english["refused"]}["garbage_fields.hea"] == (
            "garbage_fields.hea cannot be read: line 1: number of signals 'two' is not a "
            "whole number"
        )

    def test_a_job_whose_worker_died(
        self, keeper: dict[str, str], data_dir: Path, client: Client, settings: Any
    ) -> None:
        settings.UPLOAD_INLINE_MAX = 0
        response = upload(client, broken(data_dir, "nsig_mismatch"), {**keeper, **ZH})
        job = ImportJob.objects.get(pk=response.json()["job"])
        long_ago = timezone.now() - timedelta(seconds=settings.WORKER_DEAD_AFTER + 1)
        ImportJob.objects.filter(pk=job.pk).update(status="running", heartbeat_at=long_ago)
        chinese = client.get(f"/api/v1/import-jobs/{job.pk}", **keeper, **ZH).json()
        assert chinese["error"].startswith("后台任务进程超过 ")
        assert "no sign of life" in ImportJob.objects.get(pk=job.pk).error
        english = client.get(f"/api/v1/import-jobs/{job.pk}", **keeper, **EN).json()
        assert "no sign of life" in english["error"]

    def test_physionet_download_refusals(self) -> None:
        with translation.override("zh-hans"):
            assert refusal_shown("100.dat: not on the mirror") == "100.dat：镜像中没有此文件"
            assert refusal_shown("download failed: timed out") == "下载失败：timed out"
            assert refusal_shown("100.hea: signal file 100.dat not found") == (
                "100.hea：找不到信号文件 100.dat"
            )
        with translation.override("en"):
            assert refusal_shown("100.dat: not on the mirror") == "100.dat: not on the mirror"


# A sample value for each placeholder of a reason that only takes some values.
SAMPLES = {
    "field": "number of signals",
    "what": "signal file",
    "quantity": "scale",
    "entry": "'x'",
    "kind": "EDF+D",
    "problem": "is empty",
    "reason": "file not found",
}


def chinese(text: str) -> str:
    with translation.override("zh-hans"):
        return reason_shown(text)


def refused(read: Callable[[], object]) -> str:
    with pytest.raises(RecordError) as raised:
        read()
    return str(raised.value)


def ishne(**changes: Any) -> bytes:
    samples = np.zeros((20, 2), dtype=np.int16)
    args: dict[str, Any] = {"fs": 200, "leads": [1, 2], "resolution_nv": [2500, 2500]}
    return ishne_bytes(samples, **{**args, **changes})


class TestEveryReasonOfTheReaders:
    def test_each_reason_is_recognised_as_itself_and_shown_in_chinese(self) -> None:
        for _, message in REASONS.table:
            text = re.sub(r"%\((\w+)\)s", lambda m: SAMPLES.get(m.group(1), "7"), message)
            # No message before it in the table takes its texts.
            first = next(m for p, m in REASONS.table if p.match(text))
            assert first == message, (message, first)
            shown = chinese(text)
            assert CJK.search(shown) and not ENGLISH.search(shown), (text, shown)
            with translation.override("en"):
                assert reason_shown(text) == text

    def reasons(self, tmp_path: Path) -> list[str]:
        """A real refusal of each reader, for a small bad input of each."""

        def write(name: str, content: bytes | str) -> str:
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content)
            else:
                path.write_bytes(content)
            return str(path)

        def opened(name: str, content: bytes | str, **kwargs: Any) -> str:
            path = write(name, content)
            return refused(lambda: open_recording(path, **kwargs))

        good = ishne()
        crc_broken = good[:30] + b"X" + good[31:]  # in the first name: the CRC fails
        edf = write_edf(tmp_path / "source.edf")
        raw = edf.read_bytes()
        discontinuous = raw[:192] + b"EDF+D".ljust(44) + raw[236:]
        unclosed = raw[:236] + b"-1".ljust(8) + raw[244:]
        lead = np.arange(10)
        write("json.csv.json", "[1]")  # the settings beside json.csv
        return [
            # DICOM
            opened("junk.dcm", b"x" * 200),
            opened("cut.dcm", b"\0" * 128 + b"DICM" + b"\2\0\1\0"),
            # SCP-ECG
            opened("tiny.scp", b"x" * 10),
            opened("zero.scp", b"\0" * 200),
            # HL7 aECG
            opened("root.xml", '<?xml version="1.0"?><Other/>'),
            opened("dtd.xml", '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a/>'),
            opened("scale.xml", aecg_xml({"I": lead}, 0.002, [0.0], [0.0])),
            opened("unequal.xml", aecg_xml({"I": lead, "II": lead[:5]}, 0.002, [5, 5], [0, 0])),
            # ISHNE
            opened("junk.ecg", b"x" * 600),
            opened("cut.ecg", good[:-7]),
            opened("crc.ecg", crc_broken),
            opened("fs.ecg", ishne(fs=0)),
            # EDF
            opened("short.edf", b"0       " + b" " * 40),
            opened("version.edf", b"9" * 300),
            opened("discontinuous.edf", discontinuous),
            opened("unclosed.edf", unclosed),
            # CSV
            opened("empty.csv", ""),
            opened("cells.csv", "t,x\n0,1\n0.004,2,3\n"),
            opened("time.csv", "t,x\n0,1\n0,2\n0.008,3\n"),
            opened("word.csv", "t,x\n0,1\n0.004,abc\n"),
            opened("irregular.csv", "t,x\n0,1\n0.004,2\n0.010,3\n0.012,4\n"),
            opened("rate.csv", "x\n1\n2\n"),
            opened("json.csv", "x,y\n1,2\n2,3\n"),
            # WFDB (single and multi-segment records, annotations, RECORDS files)
            opened("slash.hea", "slash 1 360 10\nsub/slash.dat 16 200 12 0 0 0 0 ECG\n"),
            opened("multi.hea", "multi/3 1 360 100\nmulti_1 50\n"),
            opened("seg.hea", "seg/2 1 360 100\nseg_1 50\nseg_2 50\n"),
            opened("fmt.hea", "fmt 1 360 10\nfmt.dat 999 200 12 0 0 0 0 ECG\n"),
            opened("mixed.hea", "mixed 2 360 10\nm.dat 16 200\nm.dat 212 200\n"),
            refused(lambda: read_annotation_file(write("a.atr", b"\1\4"), "atr", 360.0, 10.0)),
            *(str(error) for error in find_records([write("list/RECORDS", "../x\nmissing\n")])[1]),
        ]

    def test_real_refusals_of_every_reader_are_shown_in_chinese(self, tmp_path: Path) -> None:
        reasons = self.reasons(tmp_path)
        assert len(reasons) >= 30
        shown = [(reason, chinese(reason)) for reason in reasons]
        assert [s for s in shown if not CJK.search(s[1]) or ENGLISH.search(s[1])] == []

    def test_the_tutorials_dataset_is_refused_in_chinese(self) -> None:
        text = "x/100.hea: dataset tutorial is the tutorial's; choose another name"
        assert chinese(text) == "x/100.hea：数据集 tutorial 属于教程；请另选一个名称"


class TestRaisedInTheReadersLanguage:
    def test_beat_schema_messages(self) -> None:
        with translation.override("zh-hans"):
            with pytest.raises(InvalidInput) as raised:
                check_task_type({"type": "beats"}, "pairs")
            assert str(raised.value).startswith("tasks: 心搏校正方案生成 record 或 segments")
            with pytest.raises(InvalidInput) as raised:
                check_task_type({"type": "poems"}, "record")
            assert str(raised.value) == "type：必须是 labels, beats 之一"
        with translation.override("en"), pytest.raises(InvalidInput) as raised:
            check_task_type({"type": "labels", "start_set": "atr"}, "record")
        assert str(raised.value) == 'start_set: only for a schema of "type": "beats"'

    def test_a_frozen_sets_reason(self) -> None:
        submitted = SUBMITTED % {"task": 12}
        final = FINAL % {"project": "rhythm"}
        with translation.override("zh-hans"):
            assert frozen_shown(submitted).startswith("这是您对任务 12 已提交的答案")
            assert frozen_shown(final) == "项目 rhythm 的最终心搏：仅由共识和裁定写入"
        with translation.override("en"):
            assert frozen_shown(submitted) == submitted


class TestAnalysisTexts:
    def test_every_message_is_recognised_from_its_english(self) -> None:
        with translation.override("en"):
            assert shown("done: 12 beats") == "done: 12 beats"
        with translation.override("zh-hans"):
            for message in MESSAGES:
                if "%(" not in message:
                    assert CJK.search(shown(message)), message
            assert CJK.search(shown("the record's samples could not be read (file not found)"))
            assert "找不到文件" in shown("the record's samples could not be read (file not found)")

    def test_a_channel_refused_by_the_signal_core(self) -> None:
        text = "channel: the record has no channel named 'Direct_1' (channels: 0 MLII, 1 V5)"
        with translation.override("zh-hans"):
            assert shown(text) == "channel：该记录没有名为 'Direct_1' 的通道（通道：0 MLII, 1 V5）"
        with translation.override("en"):
            assert shown(text) == text


class TestAnAnalysisAlreadyRunning:
    def test_is_refused_in_the_readers_language(
        self, settings: Any, tmp_path: Path, data_dir: Path
    ) -> None:
        settings.STORE_DIR = tmp_path / "store"
        (imported,) = import_ok(data_dir / "mitdb/100", dataset="mitdb")
        record = Record.objects.get(pk=imported.record_id)
        request_analysis(record, None, enqueue=False)
        with translation.override("zh-hans"), pytest.raises(StateConflict) as raised:
            request_analysis(record, None, enqueue=False)
        assert str(raised.value).startswith("记录 100 正在分析中（第 ")
        assert "排队中" in str(raised.value)
        with translation.override("en"), pytest.raises(StateConflict) as raised:
            request_analysis(record, None, enqueue=False)
        assert "record 100 is already being analysed (run " in str(raised.value)


class TestTheCsrfFailurePage:
    def post(self, headers: dict[str, str]) -> Any:
        client = Client(enforce_csrf_checks=True, **headers)
        user = get_user_model().objects.filter(username="wu").first()
        client.force_login(user or make_user("wu", password=None))
        return client.post("/language/", {"language": "en", "next": "/"})

    def test_in_chinese(self) -> None:
        response = self.post(ZH)
        page = response.content.decode()
        assert response.status_code == 403
        assert "表单已过期" in page and "请重新加载页面后再试" in page
        assert "CSRF" not in page and "Traceback" not in page and "DEBUG" not in page
        assert 'class="top"' in page  # the site's own page
        assert 'href="/"' in page  # no page to go back to: the home page

    def test_in_english_with_the_page_to_reload(self) -> None:
        page = self.post({**EN, "HTTP_REFERER": "http://testserver/account/"}).content.decode()
        assert "The form expired" in page and "Reload the page and try again." in page
        assert 'href="http://testserver/account/" data-testid="csrf-reload"' in page
        elsewhere = self.post({**EN, "HTTP_REFERER": "https://evil.example/"}).content.decode()
        assert "evil.example" not in elsewhere

    def test_the_api_still_answers_json(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(make_user("wu", password=None))
        response = client.post("/api/v1/datasets", {}, content_type="application/json")
        assert response.status_code == 403 and "CSRF" in response.json()["detail"]


class TestALanguageSavedElsewhere:
    def test_reaches_the_other_open_session_at_its_next_request(self) -> None:
        user = make_user("sun", password=None)
        phone, laptop = Client(**EN), Client(**EN)
        phone.force_login(user)
        laptop.force_login(user)
        assert "Log out" in laptop.get("/account/").content.decode()
        # Without a change, a request reads no preferences from the database.
        with CaptureQueriesContext(connection) as queries:
            laptop.get("/tutorial/")
        assert not any("accounts_preferences" in q["sql"] for q in queries.captured_queries)
        phone.post("/language/", {"language": "zh-hans", "next": "/account/"})
        assert Preferences.objects.get(user=user).language == "zh-hans"
        assert "退出登录" in laptop.get("/account/").content.decode()
        phone.post("/language/", {"language": "en", "next": "/account/"})
        assert "Log out" in laptop.get("/account/").content.decode()

    def test_a_burst_of_requests_asks_the_cache_once(self, monkeypatch: Any) -> None:
        user = make_user("sun", password=None)
        laptop = Client(**EN)
        laptop.force_login(user)
        reads: list[int] = []
        read = preferences._read_stamp
        monkeypatch.setattr(preferences, "_read_stamp", lambda u: reads.append(1) or read(u))
        preferences._memo.clear()
        for _ in range(5):
            assert laptop.get("/tutorial/").status_code == 200
        assert len(reads) == 1

    def test_a_change_made_by_another_process_shows_when_the_memo_expires(
        self, monkeypatch: Any
    ) -> None:
        user = make_user("sun", password=None)
        laptop = Client(**EN)
        laptop.force_login(user)
        assert "Log out" in laptop.get("/account/").content.decode()
        # Another server process saves Chinese: its row and its stamp, not this memo.
        Preferences.objects.update_or_create(user=user, defaults={"language": "zh-hans"})
        preferences._stamps().set(preferences._stamp_key(user), "elsewhere", timeout=None)
        assert "Log out" in laptop.get("/account/").content.decode()  # within the second
        monkeypatch.setattr(preferences, "STAMP_MEMO_S", 0.0)
        assert "退出登录" in laptop.get("/account/").content.decode()
