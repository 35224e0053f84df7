"""Stance over time as a small inline SVG, drawn on the server.

The analysts' browsers may have no internet, so no chart library from a CDN:
one panel per actor (and topic), three bands (support, conditional, oppose),
a step line for the position (baseline, then each shift) and a dot for each
claim. Pure functions: events in, SVG text out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

STANCE_ORDER = ("support", "conditional", "oppose")
STANCE_COLOURS = {"support": "#1a7f37", "conditional": "#b7791f", "oppose": "#c62828"}

WIDTH = 760
LABEL_W = 150
PAD_R = 20
PANEL_H = 64
AXIS_H = 28
BAND_GAP = 18


@dataclass(frozen=True)
class Event:
    """One dated stance: ``kind`` is baseline, claim or shift."""

    actor: str
    topic: str
    day: str  # YYYY-MM-DD (longer ISO strings are cut)
    stance: str
    kind: str
    label: str = ""


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10])
    except (TypeError, ValueError):
        return None


def stance_chart_svg(events: list[Event], *, title: str = "Stance over time") -> str:
    """An SVG chart of ``events``; an empty string when none has a date and stance."""
    usable = [(e, _day(e.day)) for e in events if e.stance in STANCE_COLOURS and _day(e.day)]
    if not usable:
        return ""
    series: dict[tuple[str, str], list[tuple[Event, date]]] = {}
    for event, day in sorted(usable, key=lambda pair: (pair[1], pair[0].kind != "baseline")):
        series.setdefault((event.actor, event.topic), []).append((event, day))
    topics = {topic for _, topic in series}
    first = min(day for _, day in usable)
    last = max(day for _, day in usable)
    span = max((last - first).days, 1)
    plot_w = WIDTH - LABEL_W - PAD_R

    def x(day: date) -> float:
        return LABEL_W + plot_w * (day - first).days / span

    height = AXIS_H + PANEL_H * len(series) + 8
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="stance-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
        f"<title>{escape(title)}</title>",
    ]
    for n, ((actor, topic), points) in enumerate(sorted(series.items())):
        top = AXIS_H + n * PANEL_H
        ys = {s: top + 12 + i * BAND_GAP for i, s in enumerate(STANCE_ORDER)}
        label = actor if len(topics) == 1 else f"{actor} · {topic}"
        out.append(f'<g class="series" data-actor="{escape(actor)}" data-topic="{escape(topic)}">')
        out.append(f'<text class="actor" x="4" y="{ys["conditional"] + 4}">{escape(label)}</text>')
        if n:
            out.append(f'<line class="divider" x1="4" x2="{WIDTH - PAD_R}" y1="{top}" y2="{top}" stroke="#e4e4e4"/>')
        for stance, y in ys.items():
            out.append(f'<line class="band" x1="{LABEL_W}" x2="{WIDTH - PAD_R}" y1="{y}" y2="{y}" '
                       f'stroke="#ddd" stroke-dasharray="2,3"/>')
            out.append(f'<text class="band-label" x="{LABEL_W - 6}" y="{y + 3}" '
                       f'text-anchor="end" fill="{STANCE_COLOURS[stance]}">{stance}</text>')
        out.append(_step_line(points, ys, x, WIDTH - PAD_R))
        # Squares (baseline, shifts) first, then hollow claim dots on top, so both stay visible.
        for event, day in points:
            if event.kind != "claim":
                out.append(
                    f'<rect class="{event.kind} stance-{event.stance}" x="{x(day) - 4:.1f}" '
                    f'y="{ys[event.stance] - 4}" width="8" height="8" fill="{STANCE_COLOURS[event.stance]}">'
                    f"<title>{escape(_tip(event))}</title></rect>"
                )
        for event, day in points:
            if event.kind == "claim":
                out.append(
                    f'<circle class="claim stance-{event.stance}" cx="{x(day):.1f}" cy="{ys[event.stance]}" '
                    f'r="5" fill="none" stroke-width="2" stroke="{STANCE_COLOURS[event.stance]}">'
                    f"<title>{escape(_tip(event))}</title></circle>"
                )
        out.append("</g>")
    out.extend(_year_ticks(first, last, x, height))
    out.append(f'<text class="axis" x="{LABEL_W}" y="14">{first.isoformat()}</text>')
    out.append(f'<text class="axis" x="{WIDTH - PAD_R}" y="14" text-anchor="end">{last.isoformat()}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _step_line(points, ys, x, right_edge: float) -> str:
    """The position over time: baseline and shifts set it; claims only when neither exists."""
    setters = [(e, d) for e, d in points if e.kind in ("baseline", "shift")]
    if not setters:
        setters = [(e, d) for e, d in points if e.kind == "claim"]
    coords: list[tuple[float, float]] = []
    for event, day in setters:
        px, py = x(day), ys[event.stance]
        if coords:
            coords.append((px, coords[-1][1]))
        coords.append((px, py))
    coords.append((right_edge, coords[-1][1]))
    path = " ".join(f"{px:.1f},{py}" for px, py in coords)
    return f'<polyline class="position" points="{path}" fill="none" stroke="#555" stroke-width="2"/>'


def _year_ticks(first: date, last: date, x, height: int) -> list[str]:
    """A faint line and label at each 1 January the chart spans."""
    ticks = []
    for year in range(first.year + 1, last.year + 1):
        px = x(date(year, 1, 1))
        ticks.append(f'<line class="year" x1="{px:.1f}" x2="{px:.1f}" y1="{AXIS_H - 8}" y2="{height - 4}" '
                     f'stroke="#bbb"/>')
        if x(first) + 90 < px < x(last) - 90:  # keep clear of the first and last date labels
            ticks.append(f'<text class="axis year" x="{px:.1f}" y="14" text-anchor="middle">{year}</text>')
    return ticks


def _tip(event: Event) -> str:
    text = f"{event.day[:10]} {event.kind}: {event.stance}"
    return f"{text}: {event.label}" if event.label else text
