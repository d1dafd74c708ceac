"""The viewer's annotation-set colours: every pair told apart by readers with red-green
colour blindness (protanopia and deuteranopia simulated with Machado, Oliveira and
Fernandes' 2009 matrices at full severity, compared by CIE76 ΔE in CIELAB), from each other
and from the abnormal-beat red and the note grey drawn in the same row, and each one dark
enough to read on white (4.5:1)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

ANNOTATIONS_JS = (
    Path(__file__).resolve().parent.parent / "wavetag/web/static/web/viewer/annotations.js"
)
Matrix = tuple[tuple[float, float, float], ...]
IDENTITY: Matrix = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
PROTANOPIA: Matrix = (
    (0.152286, 1.052583, -0.204868),
    (0.114503, 0.786281, 0.099216),
    (-0.003882, -0.048116, 1.051998),
)
DEUTERANOPIA: Matrix = (
    (0.367322, 0.860646, -0.227968),
    (0.280085, 0.672501, 0.047413),
    (-0.011820, 0.042940, 0.968881),
)
MIN_DELTA_E = 12.0


def set_colours() -> list[str]:
    match = re.search(r"const SET_COLORS = \[([^\]]*)\]", ANNOTATIONS_JS.read_text())
    assert match, "SET_COLORS not found in annotations.js"
    return re.findall(r'"(#[0-9a-fA-F]{6})"', match.group(1))


def marker_colours() -> list[str]:
    """The abnormal-beat red and the grey of notes that are not beats, drawn beside them."""
    match = re.search(
        r'fillStyle = odd \? "(#[0-9a-fA-F]{6})" : beat \? color : "(#[0-9a-fA-F]{6})"',
        ANNOTATIONS_JS.read_text(),
    )
    assert match, "the beat marker colours not found in annotations.js"
    return [match.group(1), match.group(2)]


def linear(hex_colour: str) -> tuple[float, float, float]:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(int(hex_colour[i : i + 2], 16)) for i in (1, 3, 5))
    return r, g, b


def lab(rgb: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b = (min(1.0, max(0.0, c)) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen(hex_colour: str, matrix: Matrix) -> tuple[float, float, float]:
    rgb = linear(hex_colour)
    r, g, b = (sum(row[j] * rgb[j] for j in range(3)) for row in matrix)
    return lab((r, g, b))


def delta_e(a: str, b: str, matrix: Matrix) -> float:
    return sum((p - q) ** 2 for p, q in zip(seen(a, matrix), seen(b, matrix), strict=True)) ** 0.5


def contrast_on_white(hex_colour: str) -> float:
    r, g, b = linear(hex_colour)
    return 1.05 / (0.2126 * r + 0.7152 * g + 0.0722 * b + 0.05)


class TestSimulation:
    def test_red_and_green_merge_for_red_green_blind_readers(self) -> None:
        """The check itself: pairs far apart for everyone else, one colour for these readers
        (a protan sees red as a dark olive, a deutan red and green as one brown)."""
        assert delta_e("#ff0000", "#6b6b00", IDENTITY) > 80
        assert delta_e("#ff0000", "#6b6b00", PROTANOPIA) < 5
        assert delta_e("#cc3333", "#339933", IDENTITY) > 80
        assert delta_e("#cc3333", "#339933", DEUTERANOPIA) < 5

    def test_the_former_palette_fails(self) -> None:
        """Its blue and purple were one colour under deuteranopia."""
        assert delta_e("#1a5fb4", "#7b2fbe", DEUTERANOPIA) < MIN_DELTA_E


class TestSetColours:
    def test_there_are_several(self) -> None:
        colours = set_colours()
        assert len(colours) >= 5 and len(set(c.lower() for c in colours)) == len(colours)

    @pytest.mark.parametrize(
        "matrix", [IDENTITY, PROTANOPIA, DEUTERANOPIA], ids=["normal", "protan", "deutan"]
    )
    def test_every_pair_differs_and_from_the_markers(self, matrix: Matrix) -> None:
        close = [
            (a, b, round(delta_e(a, b, matrix), 1))
            for a, b in itertools.combinations(set_colours() + marker_colours(), 2)
            if delta_e(a, b, matrix) < MIN_DELTA_E
        ]
        assert not close, close

    def test_each_reads_on_white(self) -> None:
        faint = [c for c in set_colours() if contrast_on_white(c) < 4.5]
        assert not faint, faint
