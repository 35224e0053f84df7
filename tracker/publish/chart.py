"""Stance over time as a small inline SVG, drawn on the server.

The analysts' browsers may have no internet, so no chart library from a CDN:
one panel per actor (and topic) headed by its name, three bands (support,
conditional, oppose), a step line for the position (baseline, then each
shift) and a dot for each claim, on a time axis of years and months that
runs to today. Pure functions: events in, SVG text out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Mapping

STANCE_ORDER = ("support", "conditional", "oppose")
STANCE_COLOURS = {"support": "#1a7f37", "conditional": "#b7791f", "oppose": "#c62828"}

# Drawing units; the SVG scales to the width of the page (width="100%").
WIDTH = 1200
LABEL_W = 96  # the band labels' gutter
PAD_R = 16
HEAD_H = 18  # each panel's heading line: the actor's name (and topic)
BAND_GAP = 16
PANEL_H = HEAD_H + 3 * BAND_GAP + 6
AXIS_H = 38  # years on the first line, months on the second
MIN_LABEL_PX = 56  # month labels closer than this are thinned out
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


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


def stance_chart_svg(events: list[Event], *, title: str = "Stance over time",
                     names: Mapping[str, str] | None = None, today: date | None = None) -> str:
    """An SVG chart of ``events``; an empty string when none has a date and stance.

    The time axis runs from the first event to ``today`` (or the last event when
    not given or earlier), with a label at each year and thinned-out months;
    each panel is headed by the actor's name (``names``: code -> name).
    """
    usable = [(e, _day(e.day)) for e in events if e.stance in STANCE_COLOURS and _day(e.day)]
    if not usable:
        return ""
    names = names or {}
    series: dict[tuple[str, str], list[tuple[Event, date]]] = {}
    for event, day in sorted(usable, key=lambda pair: (pair[1], pair[0].kind != "baseline")):
        series.setdefault((event.actor, event.topic), []).append((event, day))
    topics = {topic for _, topic in series}
    first = min(day for _, day in usable)
    first = date(first.year, first.month, 1)  # the axis starts at a month boundary
    last = max([day for _, day in usable] + ([today] if today else []))
    span = max((last - first).days, 1)
    plot_w = WIDTH - LABEL_W - PAD_R

    def x(day: date) -> float:
        return LABEL_W + plot_w * (day - first).days / span

    bottom = AXIS_H + PANEL_H * len(series)
    height = bottom + (18 if today else 4)  # room under the panels for the "today" label
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="stance-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    out.extend(_time_axis(first, last, x, height))
    for n, ((actor, topic), points) in enumerate(sorted(series.items())):
        top = AXIS_H + n * PANEL_H
        ys = {s: top + HEAD_H + 8 + i * BAND_GAP for i, s in enumerate(STANCE_ORDER)}
        name = names.get(actor)
        label = f"{name} ({actor})" if name and name != actor else actor
        if len(topics) > 1:
            label += f" · {topic}"
        out.append(f'<g class="series" data-actor="{escape(actor)}" data-topic="{escape(topic)}">')
        if n:
            out.append(f'<line class="divider" x1="0" x2="{WIDTH - PAD_R}" y1="{top}" y2="{top}" stroke="#e4e4e4"/>')
        out.append(f'<text class="actor" x="{LABEL_W}" y="{top + HEAD_H - 4}">{escape(label)}</text>')
        for stance, y in ys.items():
            out.append(f'<line class="band" x1="{LABEL_W}" x2="{WIDTH - PAD_R}" y1="{y}" y2="{y}" '
                       f'stroke="#ddd" stroke-dasharray="2,3"/>')
            out.append(f'<text class="band-label" x="{LABEL_W - 6}" y="{y + 3}" '
                       f'text-anchor="end" fill="{STANCE_COLOURS[stance]}">{stance}</text>')
        out.append(_step_line(points, ys, x, x(last)))
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
    if today and today >= first:
        px = x(today)
        out.append(f'<line class="today" x1="{px:.1f}" x2="{px:.1f}" y1="{AXIS_H - 4}" y2="{bottom + 4}" '
                   f'stroke="#1f6feb" stroke-dasharray="4,3"/>')
        out.append(f'<text class="axis today" x="{px:.1f}" y="{height - 3}" text-anchor="end" '
                   f'fill="#1f6feb">today {today.isoformat()}</text>')
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


def _months(first: date, last: date) -> list[date]:
    months, day = [], first
    while day <= last:
        months.append(day)
        day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return months


def _time_axis(first: date, last: date, x, height: int) -> list[str]:
    """Years on the top line (a faint line down the chart at each 1 January), months below,
    thinned to every 2nd, 3rd, 6th or 12th so no two labels overlap; never a label past the end."""
    months = _months(first, last)
    month_px = (x(last) - x(first)) / max(len(months), 1)
    step = next((s for s in (1, 2, 3, 6) if month_px * s >= MIN_LABEL_PX), 12)
    out = []
    for day in months:
        px = x(day)
        if day.month == 1 or day == first:
            out.append(f'<text class="axis year" x="{px + 2:.1f}" y="12">{day.year}</text>')
        if day.month == 1 and day != first:
            out.append(f'<line class="year" x1="{px:.1f}" x2="{px:.1f}" y1="2" y2="{height - 2}" stroke="#bbb"/>')
        if (day.month - 1) % step == 0 and x(last) - px >= MIN_LABEL_PX / 2:
            out.append(f'<line class="month" x1="{px:.1f}" x2="{px:.1f}" y1="{AXIS_H - 6}" y2="{AXIS_H}" '
                       f'stroke="#999"/>')
            out.append(f'<text class="axis month" x="{px + 2:.1f}" y="{AXIS_H - 7}">{MONTHS[day.month - 1]}</text>')
    return out


def _tip(event: Event) -> str:
    text = f"{event.day[:10]} {event.kind}: {event.stance}"
    return f"{text}: {event.label}" if event.label else text
