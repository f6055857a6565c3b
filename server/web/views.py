"""Pictures for the pages, drawn on the server as SVG: a neighbourhood graph, a bar chart and a timeline.

Pure functions of their inputs: no request, no store. The SVG is markup for
Jinja (`Markup`), with every text escaped, links as ``<a href>`` (so a keyboard
reaches each node), a ``<title>`` for screen readers, and a ``viewBox`` so it
scales to a phone's width.

>>> svg = bar_chart([("A1", 3), ("B1", 1)], title="Statements")
>>> "<svg" in svg and "A1" in svg and 'role="img"' in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup
from markupsafe import escape

NEIGHBOURS = 12
LABEL_CHARS = 18


@dataclass(frozen=True)
class Node:
    """A resource drawn in a picture: its label, the page it links to, and its IRI (the tooltip)."""

    label: str
    href: str | None = None
    iri: str = ""


@dataclass(frozen=True)
class Edge:
    """A statement linking the centre to `node`; `outgoing` is True when the centre is its subject."""

    node: Node
    predicate: str
    outgoing: bool


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """`text` cut to `limit` characters with an ellipsis.

    >>> shorten("Ministry of Internal Affairs and Communications", 12)
    'Ministry of…'
    >>> shorten("MIC")
    'MIC'
    """
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _width(text: str) -> float:
    """Rough width of `text` in em: wide characters count 1, others 0.55."""
    return sum(map(_char_width, text))


def _char_width(c: str) -> float:
    return 1.0 if ord(c) > 0x2E7F else 0.55


def _link(node: Node, inner: str) -> str:
    if not node.href:
        return inner
    return f'<a href="{escape(node.href)}">{inner}</a>'


def fit(text: str, width_em: float) -> str:
    """`text` cut, with an ellipsis, to about `width_em` em (wide characters 1 em, others 0.55).

    >>> fit("総務省国際戦略局", 4)
    '総務省…'
    >>> fit("MIC", 4)
    'MIC'
    """
    if _width(text) <= width_em:
        return text
    kept, width = 0, 0.0
    for c in text:
        width += _char_width(c)
        if width > width_em - 1:
            break
        kept += 1
    return text[:kept].rstrip() + "…"


def neighbourhood(centre: Node, edges: Sequence[Edge], *, title: str) -> Markup:
    """An SVG of `centre` in the middle, what points to it on the left, what it points to on the right.

    Each neighbour is a box linking to its page; each arrow is labelled with
    its predicate (several predicates to one neighbour share one arrow,
    joined by " / "). At most NEIGHBOURS neighbours a side, in the order given.
    """
    sides: dict[bool, dict[Node, list[str]]] = {True: {}, False: {}}
    for edge in edges:
        side = sides[edge.outgoing]
        if edge.node == centre or (edge.node not in side and len(side) >= NEIGHBOURS):
            continue
        side.setdefault(edge.node, [])
        if edge.predicate not in side[edge.node]:
            side[edge.node].append(edge.predicate)
    rows = max(len(sides[True]), len(sides[False]), 1)
    row_height, box_height, node_em = 40, 28, 17.0
    width, height = 980, rows * row_height + 40
    box_width = node_em * 13 + 16
    left_x, centre_x, right_x = box_width / 2 + 10, width / 2, width - box_width / 2 - 10
    cy = height / 2
    parts = [
        f'<svg class="neighbourhood" viewBox="0 0 {width} {height}" role="group" aria-labelledby="nb-title" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="nb-title">{escape(title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" class="arrowhead"/></marker></defs>',
    ]
    boxes = []
    for outgoing, side in sides.items():
        count = len(side)
        top = cy - (count - 1) * row_height / 2
        x = right_x if outgoing else left_x
        for index, (node, predicates) in enumerate(side.items()):
            y = top + index * row_height
            near = x - box_width / 2 if outgoing else x + box_width / 2  # the box's side facing the centre
            centre_side = centre_x + (box_width / 2 if outgoing else -box_width / 2)
            x1, x2 = (centre_side, near - 2) if outgoing else (near, centre_side - 2)
            y1, y2 = (cy, y) if outgoing else (y, cy)
            parts.append(
                f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" class="edge" marker-end="url(#arrow)"/>'
            )
            label = escape(fit(" / ".join(predicates), 15))
            lx = near + (-8 if outgoing else 8)
            anchor = "end" if outgoing else "start"
            parts.append(f'<text x="{lx:.1f}" y="{y - 5:.1f}" class="edge-label" text-anchor="{anchor}">{label}</text>')
            boxes.append(_node(node, x, y, "node", box_width, box_height, node_em))
    parts.extend(boxes)
    parts.append(_node(centre, centre_x, cy, "node centre", box_width, box_height + 8, node_em))
    parts.append("</svg>")
    return Markup("".join(parts))


def _node(node: Node, x: float, y: float, css: str, width: float, height: float, em: float) -> str:
    text = fit(node.label, em)
    box = f'<rect x="{x - width / 2:.1f}" y="{y - height / 2:.1f}" width="{width:.1f}" height="{height}" rx="6"/>'
    label = f'<text x="{x:.1f}" y="{y + 5:.1f}" text-anchor="middle">{escape(text)}</text>'
    tooltip = f"<title>{escape(node.label)}{' — ' + escape(node.iri) if node.iri else ''}</title>"
    return f'<g class="{css}">{_link(node, tooltip + box + label)}</g>'


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str) -> Markup:
    """A horizontal bar chart of (category, number) rows, in the order given; negative numbers draw as zero."""
    rows = list(rows)[:60]
    label_width = min(max((_width(shorten(label, 24)) for label, _ in rows), default=4) * 12 * 1.15 + 16, 300)
    bar_area = 420
    width = label_width + bar_area + 70
    height = 24 * len(rows) + 36
    top = max((value for _, value in rows), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width:.0f} {height}" role="img" aria-labelledby="chart-title" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for index, (label, value) in enumerate(rows):
        y = 10 + index * 24
        length = max(value, 0) / top * bar_area
        shown = f"{value:g}"
        parts.append(
            f'<g class="bar"><title>{escape(label)}: {shown}</title>'
            f'<text x="{label_width - 8:.0f}" y="{y + 15}" text-anchor="end">{escape(shorten(label, 24))}</text>'
            f'<rect x="{label_width:.0f}" y="{y + 2}" width="{length:.1f}" height="18" rx="2"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" class="value">{shown}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class Event:
    """One row of a timeline: what (`node`), from `start` to `end` (None: a day), as ISO dates (YYYY-MM-DD)."""

    node: Node
    start: str
    end: str | None = None


def _year_fraction(date: str) -> float:
    """An ISO date (YYYY, YYYY-MM or YYYY-MM-DD, longer forms cut) as a year with its fraction."""
    parts = [int(p) for p in date[:10].split("-") if p]
    year, month, day = (parts + [1, 1])[:3]
    return year + ((month - 1) * 30.44 + (day - 1)) / 365.25


# Steps between the axis's ticks, in years: a month, a quarter, half a year, then years.
TICK_STEPS = (1 / 12, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100)


def _ticks(low: float, high: float) -> list[tuple[float, str]]:
    """At most about eight ticks from `low` to `high` (years), labelled 2023 or 2023-04."""
    step = next((s for s in TICK_STEPS if (high - low) / s <= 8), TICK_STEPS[-1])
    ticks = []
    value = math.floor(low / step) * step
    while value <= high + 1e-9:
        year = math.floor(value + 1e-9)
        month = round((value - year) * 12) + 1
        ticks.append((value, str(year) if step >= 1 else f"{year}-{month:02d}"))
        value += step
    return ticks


def timeline(events: Sequence[Event], *, title: str) -> Markup:
    """An SVG timeline: one row per event, in the order given, a dot on its date or a bar over its span,
    under an axis of years (or months); each label links to the event's page when it has one."""
    events = list(events)
    starts = [_year_fraction(e.start) for e in events]
    ends = [_year_fraction(e.end) if e.end else s for e, s in zip(events, starts, strict=True)]
    low, high = min(starts, default=0.0), max(ends, default=1.0)
    if high - low < 1 / 12:
        low, high = low - 1 / 24, high + 1 / 24
    ticks = _ticks(low, high)
    low, high = min(low, ticks[0][0]), max(high, ticks[-1][0])
    label_width = min(max((_width(shorten(e.node.label, 24)) for e in events), default=4) * 12 * 1.15 + 16, 300)
    plot = 460
    width = label_width + plot + 110
    top = 30
    height = top + 24 * len(events) + 10

    def x(year: float) -> float:
        return label_width + (year - low) / (high - low) * plot

    parts = [
        f'<svg class="timeline-chart" viewBox="0 0 {width:.0f} {height}" role="img" aria-labelledby="timeline-title" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="timeline-title">{escape(title)}</title>',
    ]
    for value, text in ticks:
        parts.append(
            f'<g class="tick"><line x1="{x(value):.1f}" y1="{top - 6}" x2="{x(value):.1f}" y2="{height - 6}"/>'
            f'<text x="{x(value):.1f}" y="{top - 12}" text-anchor="middle">{escape(text)}</text></g>'
        )
    for index, (event, start, end) in enumerate(zip(events, starts, ends, strict=True)):
        y = top + index * 24
        when = event.start + (f" – {event.end}" if event.end else "")
        label = escape(shorten(event.node.label, 24))
        text = f'<text x="{label_width - 8:.0f}" y="{y + 15}" text-anchor="end">{label}</text>'
        if end - start > 1e-6:
            mark = f'<rect x="{x(start):.1f}" y="{y + 6}" width="{max(x(end) - x(start), 4):.1f}" height="12" rx="3"/>'
        else:
            mark = f'<circle cx="{x(start):.1f}" cy="{y + 12}" r="5"/>'
        parts.append(
            f'<g class="event"><title>{escape(event.node.label)}: {escape(when)}</title>'
            f"{_link(event.node, text)}{mark}"
            f'<text x="{x(end) + 9:.1f}" y="{y + 15}" class="value">{escape(when)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
