"""Stream a synthetic record to WFDB files.

The signal file is written chunk by chunk as the record renders, while the
per-signal checksums (sum of samples modulo 65536) accumulate; the header,
which needs the checksums, is written last. Annotations are small and go
through ``wfdb.wrann``.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt
import wfdb

from .record import SyntheticRecord
from .spec import RecordSpec


@dataclass(frozen=True)
class WrittenRecord:
    """What :func:`write_wfdb` wrote.

    Attributes
    ----------
    header, signal_file : pathlib.Path
        The ``.hea`` and ``.dat`` files.
    annotation_file : pathlib.Path or None
        The ``.atr`` file, if annotations were written.
    n_samples : int
        Samples per channel.
    checksums : tuple of int
        Per-signal checksums as written in the header (signed 16-bit, as the
        WFDB library writes them).
    initial_values : tuple of int
        First sample of each signal.
    n_beats : int
        Beat annotations written.
    """

    header: Path
    signal_file: Path
    annotation_file: Path | None
    n_samples: int
    checksums: tuple[int, ...]
    initial_values: tuple[int, ...]
    n_beats: int

    @property
    def files(self) -> list[Path]:
        out = [self.header, self.signal_file]
        return out + ([self.annotation_file] if self.annotation_file else [])


def pack_212(frames: npt.NDArray[np.int16]) -> bytes:
    """Pack samples (frame-interleaved, any shape) into WFDB format 212.

    Two 12-bit two's-complement samples share three bytes: the low byte of
    the first, the high nibbles of both, the low byte of the second. An odd
    last sample takes two bytes, as the WFDB library writes it.
    """
    flat = frames.reshape(-1).astype(np.uint16) & 0x0FFF
    odd = len(flat) % 2
    if odd:
        flat = np.append(flat, np.uint16(0))
    a, b = flat[0::2], flat[1::2]
    out = np.empty((len(a), 3), dtype=np.uint8)
    out[:, 0] = a & 0xFF
    out[:, 1] = (a >> 8) | ((b >> 8) << 4)
    out[:, 2] = b & 0xFF
    raw = out.tobytes()
    return raw[:-1] if odd else raw


def _fmt_num(x: float) -> str:
    return f"{x:.12g}"


def header_text(
    rec: SyntheticRecord, dat_name: str, checksums: list[int], initial: list[int]
) -> str:
    """The ``.hea`` file for ``rec`` (record line, signal lines, comments)."""
    spec = rec.spec
    line = f"{spec.name} {len(rec.channels)} {_fmt_num(spec.fs)} {rec.n_samples}"
    if spec.base_time is not None:
        line += " " + spec.base_time.strftime("%H:%M:%S")
        if spec.base_date is not None:
            line += " " + spec.base_date.strftime("%d/%m/%Y")
    lines = [line]
    for ch, cs, iv in zip(rec.channels, checksums, initial, strict=True):
        # file format gain(baseline)/units adc_res adc_zero init checksum block_size name
        lines.append(
            f"{dat_name} {spec.fmt} {_fmt_num(ch.gain)}({ch.baseline})/{ch.units} "
            f"{ch.adc_resolution} 0 {iv} {cs} 0 {ch.name}"
        )
    lines += [f"#{c}" for c in spec.comments]
    return "\n".join(lines) + "\n"


def _signed16(x: int) -> int:
    return (x + 32768) % 65536 - 32768


def write_wfdb(
    folder: str | os.PathLike[str],
    name: str | None,
    spec: RecordSpec | SyntheticRecord,
    *,
    annotations: bool = True,
    annotator: str = "atr",
) -> WrittenRecord:
    """Render a record and write it as WFDB files, streaming.

    Parameters
    ----------
    folder : path-like
        Output folder (created if missing).
    name : str or None
        Record name (file stem); None keeps the spec's name.
    spec : RecordSpec or SyntheticRecord
        What to write.
    annotations : bool
        Also write the reference annotations (``<name>.<annotator>``).
    annotator : str
        Annotation file extension.

    Returns
    -------
    WrittenRecord
        Paths, checksums and initial values.

    Notes
    -----
    1. Chunks are rendered in order and handed to a writer thread, so disk
       writes overlap the rendering of the next chunk (numpy and file I/O
       release the GIL). At most two chunks wait in the queue.
    2. Checksums and initial values are collected on the way.
    3. The header goes last; a crash midway leaves no header that promises
       samples the signal file lacks.

    Examples
    --------
    >>> from wavetag.signal.synth import holter_spec, write_wfdb
    >>> written = write_wfdb("/tmp/bench", None, holter_spec(hours=1, leads=3, fs=360, seed=1))
    """
    rec = spec if isinstance(spec, SyntheticRecord) else SyntheticRecord(spec)
    if name is not None and name != rec.spec.name:
        rec = SyntheticRecord(replace(rec.spec, name=name))
    name = rec.spec.name
    out_dir = Path(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    dat = out_dir / f"{name}.dat"
    sums = np.zeros(len(rec.channels), dtype=np.int64)
    initial: list[int] = []
    fmt = rec.spec.fmt

    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def drain(fh: BinaryIO) -> None:
        try:
            while (buf := pending.get()) is not None:
                fh.write(buf)
        except BaseException as exc:  # surfaced in the main thread
            failure.append(exc)
            while pending.get() is not None:
                pass

    with open(dat, "wb") as fh:
        writer = threading.Thread(target=drain, args=(fh,), daemon=True)
        writer.start()
        try:
            for _, frames in rec.iter_chunks():
                if not initial:
                    initial = [int(v) for v in frames[0]]
                sums += frames.sum(axis=0, dtype=np.int64)
                # Format 16 is little-endian whatever the machine.
                raw = (
                    frames.astype("<i2", copy=False).tobytes() if fmt == "16" else pack_212(frames)
                )
                pending.put(raw)
                if failure:
                    break
        finally:
            pending.put(None)
            writer.join()
    if failure:
        raise failure[0]
    checksums = [_signed16(int(s) % 65536) for s in sums]
    header = out_dir / f"{name}.hea"
    header.write_text(header_text(rec, dat.name, checksums, initial), encoding="ascii")

    ann_path = None
    n_beats = 0
    if annotations:
        ann = rec.annotation_sets[0]
        if len(ann):
            wfdb.wrann(
                name,
                annotator,
                sample=ann.sample,
                symbol=ann.symbol,
                subtype=ann.subtype,
                chan=ann.chan,
                num=ann.num,
                aux_note=ann.aux_note,
                fs=rec.fs,
                write_dir=str(out_dir),
            )
            ann_path = out_dir / f"{name}.{annotator}"
            n_beats = sum(1 for s in ann.symbol if s in ("N", "V", "A"))
    return WrittenRecord(
        header=header,
        signal_file=dat,
        annotation_file=ann_path,
        n_samples=rec.n_samples,
        checksums=tuple(checksums),
        initial_values=tuple(initial),
        n_beats=n_beats,
    )
