"""Draw a record report as PDF: text sections, a heart-rate trend and calibrated ECG strips.

No Django here: :mod:`wavetag.analysis.report` gathers the record's numbers into a
:class:`Report` and this module only draws it, with reportlab's canvas (vector lines, so
that a strip printed at 100 % measures exactly 25 mm per second and 10 mm per mV). The
font is the Bitstream Vera that ships inside reportlab: no file is fetched, and names
outside Latin-1 still print.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

FONT, BOLD = "Vera", "VeraBd"
# Paper speed and gain of the strips, as on an electrocardiograph.
MM_PER_S = 25.0
MM_PER_MV = 10.0
STRIP_S = 10.0
GRID_MINOR = HexColor("#f4c4c4")  # 1-mm lines
GRID_MAJOR = HexColor("#e07070")  # 5-mm lines
TRACE = HexColor("#000000")
MUTED = HexColor("#555555")


@dataclass(frozen=True)
class Section:
    """A heading over rows of cells; with ``header`` the rows are a table's."""

    heading: str
    rows: list[list[str]]
    header: list[str] | None = None


@dataclass(frozen=True)
class Strip:
    """Ten seconds of one channel around a finding, in mV (NaN where a sample is missing)."""

    title: str
    start: float  # s from the record's start
    fs: float
    values: npt.NDArray[np.float64]
    channel: str
    marks: list[tuple[float, str]] = field(default_factory=list)  # (s, beat code)


@dataclass(frozen=True)
class Trend:
    """Mean heart rate per bin over the whole record (NaN where a bin has too few beats)."""

    times: npt.NDArray[np.float64]  # s, bin centres
    bpm: npt.NDArray[np.float64]
    duration: float
    bin_s: float
    low: tuple[float, float] | None = None  # (s, bpm) of the minimum
    high: tuple[float, float] | None = None


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str
    sections: list[Section]
    trend: Trend | None = None
    strips: list[Strip] = field(default_factory=list)
    footer: str = ""


def clock(seconds: float) -> str:
    """``h:mm:ss`` from the record's start."""
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, "Vera.ttf"))
        pdfmetrics.registerFont(TTFont(BOLD, "VeraBd.ttf"))


class _Writer:
    """Text flowing down portrait pages; a new page when the next block does not fit."""

    def __init__(self, canvas: Canvas, report: Report) -> None:
        self.c, self.report = canvas, report
        self.width, self.height = A4
        self.page = 0
        self.y = 0.0
        self.new_page()

    def new_page(self) -> None:
        if self.page:
            self._footer()
            self.c.showPage()
        self.page += 1
        self.c.setPageSize(A4)
        self.y = self.height - 18 * mm

    def _footer(self) -> None:
        self.c.setFont(FONT, 7)
        self.c.setFillColor(MUTED)
        self.c.drawString(15 * mm, 8 * mm, self.report.footer)
        self.c.setFillColor(TRACE)

    def need(self, height: float) -> None:
        if self.y - height < 15 * mm:
            self.new_page()

    def text(self, s: str, size: float = 9, font: str = FONT, x: float = 15 * mm) -> None:
        self.need(size * 1.5)
        self.c.setFont(font, size)
        self.c.drawString(x, self.y - size, s)
        self.y -= size * 1.45

    def section(self, section: Section) -> None:
        self.need(30)
        self.y -= 4
        self.text(section.heading, 11, BOLD)
        rows = ([section.header] if section.header else []) + section.rows
        if not rows:
            return
        ncol = max(len(r) for r in rows)
        usable = self.width - 30 * mm
        # The first column holds the labels; the others share what is left.
        first = usable * (0.34 if ncol > 2 else 0.3)
        xs = [15 * mm] + [
            15 * mm + first + i * (usable - first) / (ncol - 1) for i in range(ncol - 1)
        ]
        for i, row in enumerate(rows):
            self.need(12)
            bold = section.header is not None and i == 0
            self.c.setFont(BOLD if bold else FONT, 8.5)
            for x, cell in zip(xs, row, strict=False):
                self.c.drawString(x, self.y - 8.5, _fit(cell, 95 if len(row) <= 2 else 30))
            self.y -= 12

    def trend(self, t: Trend) -> None:
        self.need(80 * mm)
        self.y -= 4
        self.text(f"Heart rate trend (mean of each {t.bin_s:g} s)", 11, BOLD)
        draw_trend(self.c, t, 25 * mm, self.y - 58 * mm, self.width - 40 * mm, 52 * mm)
        self.y -= 68 * mm

    def finish(self) -> None:
        self._footer()
        self.c.showPage()


def _fit(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600):
        if step >= raw:
            return float(step)
    return float(np.ceil(raw / 21600) * 21600)


def draw_trend(c: Canvas, t: Trend, x0: float, y0: float, w: float, h: float) -> None:
    """Heart rate against time, with its axes; gaps where a bin had too few beats."""
    finite = t.bpm[np.isfinite(t.bpm)]
    top = max(120.0, float(np.ceil((finite.max() if finite.size else 100) / 20) * 20 + 20))
    bottom = 0.0
    duration = max(t.duration, 1e-6)

    def px(s: float) -> float:
        return x0 + w * s / duration

    def py(b: float) -> float:
        return y0 + h * (b - bottom) / (top - bottom)

    c.setLineWidth(0.3)
    c.setFont(FONT, 7)
    for b in np.arange(bottom, top + 1, 20):
        c.setStrokeColor(HexColor("#dddddd"))
        c.line(x0, py(b), x0 + w, py(b))
        c.setFillColor(MUTED)
        c.drawRightString(x0 - 2, py(b) - 2.5, f"{b:.0f}")
    step = _nice_step(duration, 8)
    for s in np.arange(0, duration + 1e-9, step):
        c.setStrokeColor(HexColor("#dddddd"))
        c.line(px(s), y0, px(s), y0 + h)
        c.drawCentredString(px(s), y0 - 9, clock(s))
    c.setFillColor(TRACE)
    c.drawString(x0 - 10 * mm, y0 + h + 4, "bpm")
    c.setStrokeColor(TRACE)
    c.rect(x0, y0, w, h, stroke=1, fill=0)
    c.setLineWidth(0.8)
    c.setStrokeColor(HexColor("#1f4e9c"))
    path = c.beginPath()
    pen = False
    for s, b in zip(t.times.tolist(), t.bpm.tolist(), strict=True):
        if not np.isfinite(b):
            pen = False
            continue
        y = py(min(b, top))
        path.lineTo(px(s), y) if pen else path.moveTo(px(s), y)
        pen = True
    c.drawPath(path, stroke=1, fill=0)
    for point, label in ((t.low, "min"), (t.high, "max")):
        if point is not None:
            c.setFillColor(HexColor("#c0392b"))
            c.circle(px(point[0]), py(min(point[1], top)), 1.6, stroke=0, fill=1)
            c.drawString(px(point[0]) + 3, py(min(point[1], top)) + 2, f"{label} {point[1]:.0f}")
    c.setFillColor(TRACE)
    c.setStrokeColor(TRACE)


def draw_grid(c: Canvas, x0: float, y0: float, w_mm: int, h_mm: int) -> None:
    """ECG paper: a line every 1 mm, a heavier one every 5 mm."""
    for major in (False, True):
        c.setStrokeColor(GRID_MAJOR if major else GRID_MINOR)
        c.setLineWidth(0.5 if major else 0.25)
        for i in range(w_mm + 1):
            if (i % 5 == 0) == major:
                c.line(x0 + i * mm, y0, x0 + i * mm, y0 + h_mm * mm)
        for j in range(h_mm + 1):
            if (j % 5 == 0) == major:
                c.line(x0, y0 + j * mm, x0 + w_mm * mm, y0 + j * mm)


def draw_strip(c: Canvas, s: Strip, x0: float, y0: float, h_mm: int) -> None:
    """One strip: the calibration pulse (1 mV, 0.2 s) in the first 10 mm, then 10 s."""
    cal_mm = 10
    w_mm = cal_mm + int(STRIP_S * MM_PER_S)
    draw_grid(c, x0, y0, w_mm, h_mm)
    mid = y0 + (h_mm // 2 // 5 * 5 - 5) * mm  # on a 5-mm line, a little below the middle
    c.setStrokeColor(TRACE)
    c.setLineWidth(0.6)
    c.lines(
        [
            (x0 + 2 * mm, mid, x0 + 4 * mm, mid),
            (x0 + 4 * mm, mid, x0 + 4 * mm, mid + MM_PER_MV * mm),
            (x0 + 4 * mm, mid + MM_PER_MV * mm, x0 + 9 * mm, mid + MM_PER_MV * mm),
            (x0 + 9 * mm, mid + MM_PER_MV * mm, x0 + 9 * mm, mid),
        ]
    )
    values = s.values
    finite = values[np.isfinite(values)]
    centre = float(np.median(finite)) if finite.size else 0.0
    left = x0 + cal_mm * mm
    c.saveState()
    clip = c.beginPath()
    clip.rect(left, y0, STRIP_S * MM_PER_S * mm, h_mm * mm)
    c.clipPath(clip, stroke=0, fill=0)
    path = c.beginPath()
    pen = False
    xs = left + np.arange(len(values)) / s.fs * MM_PER_S * mm
    ys = mid + (values - centre) * MM_PER_MV * mm
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        if not np.isfinite(y):
            pen = False
            continue
        path.lineTo(x, y) if pen else path.moveTo(x, y)
        pen = True
    c.drawPath(path, stroke=1, fill=0)
    c.restoreState()
    c.setFont(FONT, 6.5)
    c.setFillColor(HexColor("#1f4e9c"))
    for t, code in s.marks:
        if 0 <= t - s.start < STRIP_S:
            c.drawCentredString(left + (t - s.start) * MM_PER_S * mm, y0 + h_mm * mm + 1.5, code)
    c.setFillColor(TRACE)
    c.setFont(FONT, 8.5)
    c.drawString(x0, y0 + h_mm * mm + 8, s.title)
    c.setFont(FONT, 7)
    c.setFillColor(MUTED)
    c.drawRightString(
        x0 + w_mm * mm,
        y0 + h_mm * mm + 8,
        f"{s.channel}  {clock(s.start)}–{clock(s.start + STRIP_S)}",
    )
    c.setFillColor(TRACE)


def _strip_pages(c: Canvas, report: Report) -> None:
    width, height = landscape(A4)
    per_page, h_mm = 3, 45
    for first in range(0, len(report.strips), per_page):
        c.setPageSize((width, height))
        c.setFont(BOLD, 11)
        c.drawString(18 * mm, height - 14 * mm, f"{report.title}: strips")
        c.setFont(FONT, 7.5)
        c.setFillColor(MUTED)
        c.drawString(
            18 * mm,
            height - 19 * mm,
            "25 mm/s, 10 mm/mV; small squares 1 mm (0.04 s, 0.1 mV), large squares 5 mm "
            "(0.2 s, 0.5 mV); calibration pulse 1 mV. Print at 100 % (no fit to page) "
            "to measure on paper.",
        )
        c.setFillColor(TRACE)
        for i, strip in enumerate(report.strips[first : first + per_page]):
            y0 = height - 30 * mm - (i + 1) * (h_mm + 14) * mm + 8 * mm
            draw_strip(c, strip, 18 * mm, y0, h_mm)
        c.setFont(FONT, 7)
        c.setFillColor(MUTED)
        c.drawString(18 * mm, 8 * mm, report.footer)
        c.setFillColor(TRACE)
        c.showPage()


def render(report: Report) -> bytes:
    """The report as the bytes of a PDF: summary pages (A4 portrait), then strip pages
    (A4 landscape, where a 10-s strip at 25 mm/s fits across)."""
    _fonts()
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(report.title)
    c.setCreator("wavetag")
    w = _Writer(c, report)
    w.text(report.title, 16, BOLD)
    w.text(report.subtitle, 8.5, FONT)
    for section in report.sections:
        w.section(section)
        if section.heading.startswith("Heart rate") and report.trend is not None:
            w.trend(report.trend)
    w.finish()
    _strip_pages(c, report)
    c.save()
    return out.getvalue()


__all__ = ["Report", "Section", "Strip", "Trend", "clock", "render"]
