"""The geometry of the statistics pages' charts, drawn as inline SVG by the templates
(``web/chart_bars.html``, ``web/chart_pie.html``): no script, no library, nothing to load
from elsewhere, and the numbers are in the page for screen readers as well (``<title>``)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

BAR_WIDTH, BAR_HEIGHT = 600, 120
PIE_RADIUS = 48
# Distinguishable for the common colour-vision deficiencies (Okabe & Ito), then greys.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#f0e442")
REST = ("#555555", "#888888", "#bbbbbb")


def bars(days: list[date], counts: list[int]) -> dict[str, Any]:
    """One bar per day, scaled to the highest count (at least 1, so that a chart of
    zeros stays flat rather than dividing by nothing)."""
    top = max([1, *counts])
    step = BAR_WIDTH / max(1, len(counts))
    items = []
    for i, (day, n) in enumerate(zip(days, counts, strict=True)):
        height = BAR_HEIGHT * n / top
        items.append(
            {
                "x": round(i * step + step * 0.1, 2),
                "y": round(BAR_HEIGHT - height, 2),
                "width": round(step * 0.8, 2),
                "height": round(height, 2),
                "day": day.isoformat(),
                "count": n,
            }
        )
    return {
        "width": BAR_WIDTH,
        "height": BAR_HEIGHT,
        "bars": items,
        "top": top,
        "total": sum(counts),
        "first": days[0].isoformat() if days else "",
        "last": days[-1].isoformat() if days else "",
    }


def colour(i: int) -> str:
    colours = PALETTE + REST
    return colours[i % len(colours)]


def pie(counts: dict[str, int], order: list[str]) -> dict[str, Any]:
    """Slices in the schema's order of values (so that a value keeps its colour from one
    annotator's pie to the next), then any other value (an empty answer)."""
    values = [v for v in order if counts.get(v)] + sorted(v for v in counts if v not in order)
    total = sum(counts[v] for v in values)
    slices, angle = [], -math.pi / 2
    for value in values:
        n = counts[value]
        share = n / total
        end = angle + 2 * math.pi * share
        slices.append(
            {
                "value": value,
                "count": n,
                "percent": round(100 * share),
                "colour": colour(order.index(value) if value in order else len(order)),
                "path": _arc(angle, end) if share < 1 else "",
            }
        )
        angle = end
    return {"radius": PIE_RADIUS, "size": 2 * PIE_RADIUS, "slices": slices, "total": total}


def _arc(start: float, end: float) -> str:
    r = PIE_RADIUS

    def at(a: float) -> str:
        return f"{r + r * math.cos(a):.2f} {r + r * math.sin(a):.2f}"

    large = 1 if end - start > math.pi else 0
    return f"M {r} {r} L {at(start)} A {r} {r} 0 {large} 1 {at(end)} Z"
