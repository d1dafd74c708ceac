"""The waveform store: exact windows, streaming writes, atomic publication, bounded reads."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from wavetag.signal.envelope import bucket_sizes
from wavetag.signal.recording import ChannelInfo
from wavetag.signal.storage import Data, LocalStorage
from wavetag.signal.store import (
    TOP_BUCKETS,
    ChannelWindow,
    RecordStore,
    StoreWriter,
    cleanup_temp,
    delete_record,
    list_keys,
)

REPO = Path(__file__).resolve().parents[2]
INV16 = -32768
# small chunks and a low top level make short records exercise many chunks and levels
SMALL = {"chunk_values": 512, "top_buckets": 4}


def channel(
    index: int, n: int, fs: float = 250.0, dtype: str = "int16", invalid: int | None = None
) -> ChannelInfo:
    return ChannelInfo(
        index,
        f"ch{index}",
        "mV",
        fs,
        200.0,
        0,
        n,
        12,
        dtype,
        invalid,  # type: ignore[arg-type]
    )


def signal(n: int, dtype: str = "int16", seed: int = 0, invalid: int | None = None) -> npt.NDArray:
    rng = np.random.default_rng(seed)
    hi = 30000 if dtype == "int16" else 2_000_000_000
    x = (np.cumsum(rng.integers(-300, 301, n)) % hi - hi // 2).astype(dtype)
    spikes = rng.integers(0, n, max(1, n // 500))
    x[spikes] = rng.choice([hi // 2 + 100, -hi // 2 - 100], len(spikes))  # QRS-like peaks
    if invalid is not None:
        x[rng.integers(0, n, max(1, n // 200))] = invalid
        for start in rng.integers(0, n, 5):  # gaps: runs of invalid samples
            x[start : start + int(rng.integers(1, 3000))] = invalid
    return x


def write(
    root: Path | LocalStorage, key: str, infos: list[ChannelInfo], data: list[npt.NDArray],
    block: int = 7919, **kw: int,
) -> RecordStore:  # fmt: skip
    """Write ``data`` in blocks covering ``block`` samples of channel 0 (rates may differ)."""
    with StoreWriter(root, key, infos, **kw) as writer:
        fs0 = infos[0].fs
        n_blocks = -(-len(data[0]) // block)
        for b in range(n_blocks):
            parts = []
            for info, x in zip(infos, data, strict=True):
                ratio = info.fs / fs0
                lo, hi = round(b * block * ratio), round((b + 1) * block * ratio)
                parts.append(x[lo:hi] if b < n_blocks - 1 else x[lo:])
            writer.append(parts)
        writer.commit()
    return RecordStore.open(root, key)


def expected(
    x: npt.NDArray, fs: float, start: float, end: float, max_points: int, invalid: int | None
) -> ChannelWindow | None:
    """The window contract, computed the slow and obvious way (None: no sample)."""
    n = len(x)
    t = np.arange(n) / fs
    idx = np.nonzero((t >= start) & (t < end))[0]
    if len(idx) == 0:
        return None
    first, stop = int(idx[0]), int(idx[-1]) + 1
    if stop - first <= max_points:
        return ChannelWindow(0, "raw", first / fs, 1 / fs, first, stop - first, 1, x[first:stop])
    for size in bucket_sizes(4):
        k0, k1 = first // size, (stop - 1) // size + 1
        if k1 - k0 <= max_points:
            break
    mins, maxs = [], []
    for k in range(k0, k1):
        part = x[k * size : (k + 1) * size]
        valid = part if invalid is None else part[part != invalid]
        mins.append(valid.min() if len(valid) else invalid)
        maxs.append(valid.max() if len(valid) else invalid)
    return ChannelWindow(
        0, "minmax", k0 * size / fs, size / fs, k0, k1 - k0, size,
        min=np.array(mins, x.dtype), max=np.array(maxs, x.dtype),
    )  # fmt: skip


def assert_window(
    store: RecordStore, ch: int, x: npt.NDArray, start: float, end: float, max_points: int
) -> None:
    info = store.channels[ch]
    want = expected(x, info.fs, start, end, max_points, info.invalid)
    if want is None:
        with pytest.raises(ValueError):
            store.window(ch, start, end, max_points)
        return
    got = store.window(ch, start, end, max_points)
    where = f"channel {ch} [{start}, {end}) max_points={max_points}"
    assert (got.channel, got.kind, got.first, got.count, got.bucket) == (
        ch, want.kind, want.first, want.count, want.bucket,
    ), where  # fmt: skip
    assert got.t0 == want.t0 and got.step == pytest.approx(want.step, rel=1e-12), where
    if want.kind == "raw":
        assert got.values is not None and got.values.dtype == x.dtype
        np.testing.assert_array_equal(got.values, want.values, err_msg=where)
    else:
        assert got.min is not None and got.max is not None and got.min.dtype == x.dtype
        assert max_points / 2 <= got.count <= max_points, where
        np.testing.assert_array_equal(got.min, want.min, err_msg=where)
        np.testing.assert_array_equal(got.max, want.max, err_msg=where)


def random_windows(duration: float, count: int, seed: int) -> Iterator[tuple[float, float, int]]:
    rng = np.random.default_rng(seed)
    for _ in range(count):
        span = duration * 10 ** rng.uniform(-4, 0.3)
        start = rng.uniform(-0.05, 1.0) * duration
        max_points = int(rng.choice([1, 2, 3, 5, 8, 17, 100, 333, 1000, 2000]))
        yield float(start), float(start + span), max_points


class CountingStorage(LocalStorage):
    """Local storage that counts what it is asked to read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.bytes_read = 0
        self.reads = 0
        self.published: list[tuple[str, str]] = []
        self.written: list[str] = []

    def read(self, name: str, offset: int = 0, length: int | None = None) -> bytearray:
        data = super().read(name, offset, length)
        self.bytes_read += len(data)
        self.reads += 1
        return data

    def write(self, name: str, data: Data) -> None:
        self.written.append(name)
        super().write(name, data)

    def publish(self, staging: str, final: str) -> None:
        self.published.append((staging, final))
        super().publish(staging, final)


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "meta.json"
    }


def temp_entries(root: Path) -> list[str]:
    tmp = root / ".tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.exists() else []


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    RecordStore._cache.clear()
    yield
    RecordStore._cache.clear()


class TestWindows:
    @pytest.mark.parametrize("dtype", ["int16", "int32"])
    def test_random_windows_match_the_source(self, tmp_path: Path, dtype: str) -> None:
        n = 100_003
        x = signal(n, dtype, seed=3)
        store = write(tmp_path, "rec1", [channel(0, n, 250.0, dtype)], [x], **SMALL)
        for start, end, max_points in random_windows(n / 250.0, 400, seed=11):
            assert_window(store, 0, x, start, end, max_points)

    @pytest.mark.parametrize("dtype", ["int16", "int32"])
    def test_invalid_samples_and_gaps(self, tmp_path: Path, dtype: str) -> None:
        n = 54_321
        inv = INV16 if dtype == "int16" else -(2**31)
        x = signal(n, dtype, seed=4, invalid=inv)
        store = write(tmp_path, "gaps", [channel(0, n, 360.0, dtype, inv)], [x], **SMALL)
        for start, end, max_points in random_windows(n / 360.0, 300, seed=12):
            assert_window(store, 0, x, start, end, max_points)
        # a gap longer than a bucket shows as min == max == invalid
        whole = store.window(0, 0, n / 360.0, 2000)
        assert whole.min is not None and (whole.min == inv).any()

    @pytest.mark.parametrize("n", [700, 100_003])
    def test_digital_range_is_that_of_the_valid_samples(self, tmp_path: Path, n: int) -> None:
        # From the top level alone (one level when the record is short), invalid ignored.
        x = signal(n, "int16", seed=5, invalid=INV16)
        store = write(tmp_path, f"range{n}", [channel(0, n, 250.0, "int16", INV16)], [x], **SMALL)
        valid = x[x != INV16]
        assert store.digital_range(0) == (int(valid.min()), int(valid.max()))
        empty = np.full(50, INV16, np.int16)
        store = write(tmp_path, f"none{n}", [channel(0, 50, 250.0, "int16", INV16)], [empty])
        assert store.digital_range(0) is None

    def test_invalid_value_inside_the_range(self, tmp_path: Path) -> None:
        n = 20_000
        x = signal(n, seed=5) // 16
        x[3000:9000] = -2048  # WFDB format 212 gap
        store = write(tmp_path, "f212", [channel(0, n, 100.0, invalid=-2048)], [x], **SMALL)
        for start, end, max_points in random_windows(n / 100.0, 200, seed=13):
            assert_window(store, 0, x, start, end, max_points)

    def test_channels_at_different_rates(self, tmp_path: Path) -> None:
        # 10.5 s at 500, 125 and 1000 Hz; blocks of 1 s hold 500, 125 and 1000 samples
        rates = [500.0, 125.0, 1000.0]
        infos = [channel(i, int(10.5 * fs), fs) for i, fs in enumerate(rates)]
        data = [signal(c.n_samples, seed=i) for i, c in enumerate(infos)]
        store = write(tmp_path, "multi", infos, data, block=500, **SMALL)
        for ch, x in enumerate(data):
            for start, end, max_points in random_windows(10.5, 100, seed=20 + ch):
                assert_window(store, ch, x, start, end, max_points)

    def test_default_layout_on_a_record_of_several_chunks(self, tmp_path: Path) -> None:
        n = 3 * 2**20 + 12345
        x = signal(n, seed=6, invalid=INV16)
        store = write(tmp_path, "dflt", [channel(0, n, 500.0, invalid=INV16)], [x], block=30_000)
        for start, end, max_points in random_windows(n / 500.0, 60, seed=14):
            assert_window(store, 0, x, start, end, max_points)
        assert_window(store, 0, x, 0, n / 500.0, 2000)

    def test_raw_windows_are_the_digital_samples(self, tmp_path: Path) -> None:
        n = 5000
        x = signal(n, seed=7)
        store = write(tmp_path, "raw1", [channel(0, n, 360.0)], [x], **SMALL)
        whole = store.window(0, 0.0, n / 360.0, n)
        assert whole.kind == "raw" and whole.t0 == 0.0 and whole.step == 1 / 360.0
        np.testing.assert_array_equal(whole.values, x)
        # 0.1 * 360 is a hair above 36 in floating point: sample 36 is still at t >= 0.1
        part = store.window(0, 0.1, 0.2, 1000)
        assert (part.first, part.count) == (36, 36)
        np.testing.assert_array_equal(store.read_samples(0, 36, 72), x[36:72])


class TestWindowEdges:
    n, fs = 10_007, 100.0

    @pytest.fixture()
    def rec(self, tmp_path: Path) -> tuple[RecordStore, npt.NDArray]:
        x = signal(self.n, seed=8, invalid=INV16)
        info = channel(0, self.n, self.fs, invalid=INV16)
        return write(tmp_path, "edge", [info], [x], **SMALL), x

    def test_whole_record_and_clipping(self, rec: tuple[RecordStore, npt.NDArray]) -> None:
        store, x = rec
        duration = self.n / self.fs
        for start, end in [(0, duration), (-5, duration), (0, duration * 3), (-1, 1e9)]:
            for max_points in (1, 2, 3, 7, 500, 10_007, 20_000):
                assert_window(store, 0, x, start, end, max_points)

    def test_one_sample_windows(self, rec: tuple[RecordStore, npt.NDArray]) -> None:
        store, x = rec
        for i in (0, 1, 5000, self.n - 1):
            for max_points in (1, 2, 100):
                w = store.window(0, i / self.fs, (i + 0.5) / self.fs, max_points)
                assert (w.kind, w.first, w.count) == ("raw", i, 1)
                assert w.values is not None and w.values[0] == x[i]

    def test_window_inside_the_final_partial_bucket(
        self, rec: tuple[RecordStore, npt.NDArray]
    ) -> None:
        store, x = rec
        duration = self.n / self.fs
        for span in (0.03, 0.05, 0.07):
            for max_points in (1, 2):
                assert_window(store, 0, x, duration - span, duration, max_points)
        w = store.window(0, duration - 0.05, duration, 1)
        assert w.count == 1 and w.first * w.bucket < self.n <= (w.first + 1) * w.bucket

    @pytest.mark.parametrize(
        ("start", "end", "max_points", "message"),
        [
            (5.0, 5.0, 10, "empty window"),
            (6.0, 5.0, 10, "empty window"),
            (200.0, 300.0, 10, "no sample"),
            (100.07, 101.0, 10, "no sample"),  # start == duration
            (1.001, 1.002, 10, "no sample"),  # between two samples
            (-3.0, 0.0, 10, "no sample"),
            (float("nan"), 5.0, 10, "finite"),
            (0.0, float("inf"), 10, "finite"),
            (0.0, 5.0, 0, "max_points"),
            (0.0, 5.0, 2.5, "max_points"),
        ],
    )
    def test_invalid_requests(
        self, rec: tuple[RecordStore, npt.NDArray], start: float, end: float,
        max_points: int, message: str,
    ) -> None:  # fmt: skip
        store, _ = rec
        with pytest.raises(ValueError, match=message):
            store.window(0, start, end, max_points)

    def test_unknown_channel(self, rec: tuple[RecordStore, npt.NDArray]) -> None:
        with pytest.raises(ValueError, match="no channel"):
            rec[0].window(1, 0, 1, 10)


class TestWriting:
    def test_block_sizes_do_not_change_the_store(self, tmp_path: Path) -> None:
        infos = [channel(0, 12_001, 400.0, invalid=INV16), channel(1, 3_000, 100.0, "int32")]
        data = [signal(12_001, seed=9, invalid=INV16), signal(3_000, "int32", seed=10)]
        write(tmp_path / "a", "same", infos, data, block=10**9, **SMALL)
        write(tmp_path / "b", "same", infos, data, block=1, **SMALL)
        write(tmp_path / "c", "same", infos, data, block=997, **SMALL)
        with StoreWriter(tmp_path / "d", "same", infos, **SMALL) as writer:
            rng = np.random.default_rng(0)
            for ch, x in enumerate(data):  # one channel after the other, ragged pieces
                cuts = np.sort(rng.integers(0, len(x), 40))
                for piece in np.split(x, cuts):
                    writer.append_channel(ch, piece)
            writer.commit()
        reference = tree(tmp_path / "a")
        assert len(reference) > 20
        for other in "bcd":
            assert tree(tmp_path / other) == reference

    def test_meta_holds_the_channels(self, tmp_path: Path) -> None:
        infos = [channel(0, 1000, 250.0, invalid=INV16), channel(1, 4000, 1000.0, "int32")]
        store = write(tmp_path, "meta", infos, [signal(1000), signal(4000, "int32")])
        assert store.channels == infos
        assert store.meta["version"] == 1 and store.meta["factor"] == 4
        assert store.meta["chunk_values"] == 2**20
        assert store.levels == [0, 1]  # 4000 samples: 1000 buckets of 4 fit the top level

    def test_other_integer_types_are_converted_when_they_fit(self, tmp_path: Path) -> None:
        x = np.arange(-500, 500, dtype=np.int64)
        store = write(tmp_path, "conv", [channel(0, 1000)], [x])
        np.testing.assert_array_equal(store.read_samples(0, 0, 1000), x)

    def test_bad_input_is_refused(self, tmp_path: Path) -> None:
        with StoreWriter(tmp_path, "bad1", [channel(0, 10)]) as writer:
            with pytest.raises(TypeError, match="integer"):
                writer.append([np.zeros(3)])
            with pytest.raises(ValueError, match="range"):
                writer.append([np.array([40000])])
            with pytest.raises(ValueError, match="more than"):
                writer.append([np.zeros(11, np.int16)])
            with pytest.raises(ValueError, match="arrays for 1 channels"):
                writer.append([np.zeros(1, np.int16)] * 2)
            writer.append([np.zeros(9, np.int16)])
            with pytest.raises(ValueError, match="received 9 samples, expected 10"):
                writer.commit()
        assert list_keys(tmp_path) == [] and temp_entries(tmp_path) == []
        with pytest.raises(ValueError, match="indexes"):
            StoreWriter(tmp_path, "bad2", [channel(1, 10)])
        with pytest.raises(ValueError, match="key"):
            StoreWriter(tmp_path, "../x", [channel(0, 10)])

    def test_empty_channel(self, tmp_path: Path) -> None:
        store = write(tmp_path, "empty", [channel(0, 5), channel(1, 0)], [signal(5), signal(1)[:0]])
        with pytest.raises(ValueError, match="no sample"):
            store.window(1, 0, 1, 10)


class TestAtomicity:
    def test_published_only_at_commit(self, tmp_path: Path) -> None:
        storage = CountingStorage(tmp_path)
        n = 5000
        writer = StoreWriter(storage, "atom", [channel(0, n)], **SMALL)
        writer.append([signal(n)])
        staging = tmp_path / writer.staging
        assert f".{os.getpid()}." in staging.name and staging.name.startswith("atom.")
        assert staging.is_dir() and staging.parent == tmp_path / ".tmp"
        assert list_keys(tmp_path) == []
        with pytest.raises(FileNotFoundError):
            RecordStore.open(tmp_path, "atom")
        writer.commit()
        assert storage.published == [(writer.staging, "at/atom")]
        assert storage.written[-1].endswith("/meta.json")  # meta last, then publish
        assert not staging.exists() and list_keys(tmp_path) == ["atom"]
        assert RecordStore.open(tmp_path, "atom").channels[0].n_samples == n
        with pytest.raises(RuntimeError):
            writer.append([signal(1)])

    def test_abort_leaves_nothing(self, tmp_path: Path) -> None:
        writer = StoreWriter(tmp_path, "gone", [channel(0, 5000)], **SMALL)
        writer.append([signal(4000)])
        assert temp_entries(tmp_path) != []
        writer.abort()
        writer.abort()
        assert temp_entries(tmp_path) == [] and list_keys(tmp_path) == []

    def test_exception_inside_with_aborts(self, tmp_path: Path) -> None:
        with pytest.raises(RuntimeError, match="boom"):
            with StoreWriter(tmp_path, "boom", [channel(0, 5000)], **SMALL) as writer:
                writer.append([signal(4000)])
                assert temp_entries(tmp_path) != []
                raise RuntimeError("boom")
        assert temp_entries(tmp_path) == [] and list_keys(tmp_path) == []

    def test_leaving_with_without_commit_discards(self, tmp_path: Path) -> None:
        with StoreWriter(tmp_path, "nocommit", [channel(0, 10)]) as writer:
            writer.append([signal(10)])
        assert list_keys(tmp_path) == []

    def test_existing_key_is_never_replaced(self, tmp_path: Path) -> None:
        write(tmp_path, "once", [channel(0, 10)], [signal(10)])
        with pytest.raises(FileExistsError):
            StoreWriter(tmp_path, "once", [channel(0, 10)])
        # two writers racing for one key: the second commit fails, the first record stays
        first = StoreWriter(tmp_path, "race", [channel(0, 10)])
        second = StoreWriter(tmp_path, "race", [channel(0, 10)])
        for w in (first, second):
            w.append([signal(10, seed=id(w) % 100)])
        first.commit()
        with pytest.raises(FileExistsError):
            second.commit()
        second.abort()
        assert RecordStore.open(tmp_path, "race").read_samples(0, 0, 10).tolist() == (
            signal(10, seed=id(first) % 100).tolist()
        )

    def test_killed_import_leaves_only_a_temp_folder(self, tmp_path: Path) -> None:
        script = (
            "import os, numpy as np\n"
            "from wavetag.signal.recording import ChannelInfo\n"
            "from wavetag.signal.store import StoreWriter\n"
            f"w = StoreWriter({str(tmp_path)!r}, 'killed', "
            "[ChannelInfo(0, 'a', 'mV', 100.0, 1.0, 0, 3_000_000)])\n"
            "w.append([np.zeros(2_500_000, np.int16)])\n"
            "os._exit(9)\n"  # dies like a killed process: no cleanup runs
        )
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=60)
        assert proc.returncode == 9
        temps = list((tmp_path / ".tmp").iterdir())
        assert len(temps) == 1 and temps[0].name.startswith("killed.")
        assert list_keys(tmp_path) == []
        assert cleanup_temp(tmp_path, older_than_seconds=3600) == [temps[0].name]
        assert temp_entries(tmp_path) == []


class TestHousekeeping:
    def test_cleanup_keeps_live_writers_and_removes_old_ones(self, tmp_path: Path) -> None:
        live = StoreWriter(tmp_path, "live", [channel(0, 2000)], **SMALL)
        live.append([signal(1000)])
        foreign = tmp_path / ".tmp" / "not-ours"
        foreign.mkdir()
        other_host = tmp_path / ".tmp" / f"xx.elsewhere.1.{int(time.time())}.abc"
        other_host.mkdir()
        assert cleanup_temp(tmp_path, older_than_seconds=3600) == []
        later = time.time() + 7200
        removed = cleanup_temp(tmp_path, older_than_seconds=3600, now=later)
        assert sorted(removed) == sorted([Path(live.staging).name, other_host.name])
        assert foreign.exists()
        live.append([signal(1000)])  # recreates a staging folder that lacks the first chunks
        with pytest.raises(FileNotFoundError, match="vanished"):
            live.commit()  # its staging folder is gone: it fails, it never half-publishes

    def test_list_and_delete(self, tmp_path: Path) -> None:
        for key in ("k1", "k2", "zz-9"):
            write(tmp_path, key, [channel(0, 10)], [signal(10)])
        assert list_keys(tmp_path) == ["k1", "k2", "zz-9"]
        RecordStore.open(tmp_path, "k2")
        assert delete_record(tmp_path, "k2") is True
        assert delete_record(tmp_path, "k2") is False
        assert list_keys(tmp_path) == ["k1", "zz-9"]
        with pytest.raises(FileNotFoundError):
            RecordStore.open(tmp_path, "k2")
        assert list_keys(tmp_path / "nowhere") == []

    def test_open_is_cached(self, tmp_path: Path) -> None:
        write(tmp_path, "cached", [channel(0, 10)], [signal(10)])
        assert RecordStore.open(tmp_path, "cached") is RecordStore.open(str(tmp_path), "cached")


class TestWorkIsProportionalToPoints:
    def test_bytes_read_do_not_grow_with_the_record(self, tmp_path: Path) -> None:
        fs = 500.0
        for n in (50_000, 2_000_000, 20_000_000):
            storage = CountingStorage(tmp_path)
            key = f"len{n}"
            x = np.zeros(n, np.int16)
            x[::997] = 1000
            write(tmp_path, key, [channel(0, n, fs, invalid=INV16)], [x], block=2**21)
            store = RecordStore.open(storage, key)
            duration = n / fs
            spans = [10.0, 60.0, 3600.0, duration]
            for span, max_points, offset in itertools.product(spans, (50, 500, 2000), (0.3, 0.5)):
                start = max(0.0, duration - span) * offset
                storage.bytes_read = storage.reads = 0
                w = store.window(0, start, start + span, max_points)
                # raw: max_points samples; minmax: 3 stored pairs per point or the top level
                assert storage.bytes_read <= 2 * 2 * max(3 * max_points, TOP_BUCKETS), (n, span)
                assert storage.reads <= 2
                assert w.count <= max_points


class TestBoundedMemory:
    def test_writer_memory_stays_far_below_the_record(self, tmp_path: Path) -> None:
        n, block = 20_000_000, 999_983
        infos = [channel(0, n, 500.0, invalid=INV16), channel(1, n, 500.0)]
        ramp = (np.arange(block + 1, dtype=np.int64) % 4001 - 2000).astype(np.int16)

        def blocks() -> Iterator[list[npt.NDArray]]:
            for start in range(0, n, block):
                size = min(block, n - start)
                yield [ramp[:size], ramp[1 : size + 1]]

        tracemalloc.start()
        try:
            with StoreWriter(tmp_path, "big", infos) as writer:
                for b in blocks():
                    writer.append(b)
                writer.commit()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        record_bytes = 2 * n * 2
        assert peak < record_bytes / 4, f"peak {peak / 1e6:.1f} MB"
        store = RecordStore.open(tmp_path, "big")
        w = store.window(1, 0, n / 500.0, 2000)
        assert w.min is not None and w.max is not None
        assert w.min.min() == -2000 and w.max.max() == 2000
        tail = store.window(0, (n - 10) / 500.0, n / 500.0, 100)
        np.testing.assert_array_equal(tail.values, ramp[(n - 10) % block : (n % block)])


class TestLocalStorage:
    def test_objects_are_write_once_and_read_by_range(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path)
        storage.write("a/b/obj", b"0123456789")
        assert storage.read("a/b/obj") == b"0123456789"
        assert storage.read("a/b/obj", 3, 4) == b"3456"
        assert storage.read("a/b/obj", 10, 0) == b""
        with pytest.raises(FileExistsError):
            storage.write("a/b/obj", b"x")
        with pytest.raises(OSError, match="wanted 5 bytes"):
            storage.read("a/b/obj", 8, 5)
        with pytest.raises(FileNotFoundError):
            storage.read("a/b/missing")
        assert storage.list("a") == ["b"] and storage.list("nowhere") == []

    def test_names_stay_inside_the_root(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path)
        for name in ("../x", "a/../../x", "/etc/passwd"):
            with pytest.raises(ValueError, match="invalid object name"):
                storage.write(name, b"x")
        with pytest.raises(ValueError, match="root"):
            storage.delete("")

    def test_publish_never_replaces(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path)
        storage.write("s1/x", b"1")
        storage.write("s2/x", b"2")
        storage.publish("s1", "final/rec")
        with pytest.raises(FileExistsError):
            storage.publish("s2", "final/rec")
        with pytest.raises(FileNotFoundError):
            storage.publish("s1", "final/other")
        assert storage.read("final/rec/x") == b"1"
        storage.delete("final/rec")
        storage.delete("final/rec")
        assert storage.list("final") == []

    def test_durable_storage_writes_a_readable_record(self, tmp_path: Path) -> None:
        storage = LocalStorage(tmp_path, durable=True)
        x = signal(3000)
        store = write(storage, "durb", [channel(0, 3000)], [x], **SMALL)
        np.testing.assert_array_equal(store.read_samples(0, 0, 3000), x)
