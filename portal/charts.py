"""Charts as inline SVG, drawn on the server: pure functions of plain values.

No JavaScript and no chart library: the page is complete as sent, prints, and works under a
strict Content-Security-Policy (no inline style, only classes and presentation attributes).
Every chart is an image to assistive technology (`role="img"`, labelled by its <title> and
<desc>); the template puts the same numbers in a table next to it. Meaning never rests on
colour alone: values are written on the bars, flagged rows carry a "!" and a dashed line, late
work a hatched area. Every text is escaped here, so a title with "<" or "&" cannot break the
page. With no data a chart function returns an empty string and the template shows its empty
state instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

Number = int | float | Decimal

WIDTH = 640  # the viewBox's width; the SVG scales to its container (CSS)
LABEL_CHARS = 16  # longer labels are shortened on the chart (the full text is in the table)


def _n(value: float) -> str:
    """A coordinate: one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def number(value: Number) -> str:
    """A value as people read it: up to two decimals, no trailing zeros."""
    if isinstance(value, int):
        return str(value)
    text = f"{Decimal(str(value)):.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def short(label: str, limit: int = LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _svg(chart_id: str, title: str, desc: str, height: float, body: str, css: str) -> SafeString:
    return format_html(
        '<svg class="chart {css}" id="{id}" role="img" viewBox="0 0 {w} {h}" '
        'aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        css=css,
        id=chart_id,
        w=WIDTH,
        h=_n(height),
        title=title,
        desc=desc,
        body=mark_safe(body),  # built by the callers from escaped parts (format_html)
    )


# Vertical bars (a histogram) -----------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: Number


def bar_height(value: Number, maximum: Number, plot: float) -> float:
    """The height of a bar: proportional to its value, the tallest filling the plot."""
    if maximum <= 0 or value <= 0:
        return 0.0
    return float(value) / float(maximum) * plot


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, desc: str) -> SafeString | str:
    """One bar per item, its value written above it and its label below."""
    if not bars:
        return ""
    top, plot, bottom, left = 20.0, 180.0, 36.0, 8.0
    slot = (WIDTH - 2 * left) / len(bars)
    width = max(slot * 0.7, 2.0)
    highest = max((b.value for b in bars), default=0)
    base = top + plot
    parts = [
        format_html(
            '<line class="chart-axis" x1="{}" y1="{}" x2="{}" y2="{}"/>',
            _n(left),
            _n(base),
            _n(WIDTH - left),
            _n(base),
        )
    ]
    for n, bar in enumerate(bars):
        height = bar_height(bar.value, highest, plot)
        x = left + n * slot + (slot - width) / 2
        centre = x + width / 2
        parts.append(
            format_html(
                '<g class="chart-item"><title>{label}: {value}</title>'
                '<rect class="chart-bar" x="{x}" y="{y}" width="{w}" height="{h}"/>'
                '<text class="chart-value" x="{c}" y="{vy}" text-anchor="middle">{value}</text>'
                '<text class="chart-label" x="{c}" y="{ly}" text-anchor="middle">{short}</text>'
                "</g>",
                label=bar.label,
                value=number(bar.value),
                x=_n(x),
                y=_n(base - height),
                w=_n(width),
                h=_n(height),
                c=_n(centre),
                vy=_n(base - height - 4),
                ly=_n(base + 16),
                short=short(bar.label, max(int(slot / 7), 3)),
            )
        )
    return _svg(chart_id, title, desc, top + plot + bottom, "".join(parts), "chart-bars")


# Ranges (lowest to highest, with the mean) ---------------------------------------------------


@dataclass(frozen=True)
class Range:
    label: str
    low: Number
    high: Number
    mean: Number
    flagged: bool = False


ROW = 26.0
LABEL_WIDTH = 190.0
VALUE_WIDTH = 110.0


def position(value: Number, maximum: Number, start: float, length: float) -> float:
    """Where a value falls on an axis from 0 (at `start`) to `maximum` (at start + length)."""
    if maximum <= 0:
        return start
    share = min(max(float(value) / float(maximum), 0.0), 1.0)
    return start + share * length


def range_chart(
    rows: Sequence[Range], *, maximum: Number, chart_id: str, title: str, desc: str
) -> SafeString | str:
    """One row per item: a line from its lowest to its highest value on a common 0..maximum
    axis, a dot at the mean; a flagged row is dashed and marked "!"."""
    if not rows:
        return ""
    start, length = LABEL_WIDTH, WIDTH - LABEL_WIDTH - VALUE_WIDTH
    parts = []
    for n, row in enumerate(rows):
        y = 14 + n * ROW
        low = position(row.low, maximum, start, length)
        high = position(row.high, maximum, start, length)
        mark = "! " if row.flagged else ""
        parts.append(
            format_html(
                '<g class="chart-item{css}"><title>{label}: {lo}–{hi}</title>'
                '<text class="chart-label" x="{lx}" y="{ty}" text-anchor="end">{mark}{short}</text>'
                '<line class="chart-track" x1="{s}" y1="{y}" x2="{e}" y2="{y}"/>'
                '<line class="chart-range" x1="{x1}" y1="{y}" x2="{x2}" y2="{y}"/>'
                '<line class="chart-tick" x1="{x1}" y1="{t1}" x2="{x1}" y2="{t2}"/>'
                '<line class="chart-tick" x1="{x2}" y1="{t1}" x2="{x2}" y2="{t2}"/>'
                '<circle class="chart-mean" cx="{mx}" cy="{y}" r="4"/>'
                '<text class="chart-value" x="{vx}" y="{ty}">{lo}–{hi}</text></g>',
                css=" flagged" if row.flagged else "",
                label=row.label,
                lo=number(row.low),
                hi=number(row.high),
                lx=_n(start - 8),
                ty=_n(y + 4),
                mark=mark,
                short=short(row.label),
                s=_n(start),
                e=_n(start + length),
                y=_n(y),
                x1=_n(low),
                x2=_n(high),
                t1=_n(y - 6),
                t2=_n(y + 6),
                mx=_n(position(row.mean, maximum, start, length)),
                vx=_n(start + length + 8),
            )
        )
    axis_y = 14 + len(rows) * ROW
    parts.append(
        format_html(
            '<line class="chart-axis" x1="{s}" y1="{y}" x2="{e}" y2="{y}"/>'
            '<text class="chart-label" x="{s}" y="{ty}" text-anchor="middle">0</text>'
            '<text class="chart-label" x="{e}" y="{ty}" text-anchor="middle">{m}</text>',
            s=_n(start),
            e=_n(start + length),
            y=_n(axis_y - 8),
            ty=_n(axis_y + 8),
            m=number(maximum),
        )
    )
    return _svg(chart_id, title, desc, axis_y + 14, "".join(parts), "chart-ranges")


# Progress (done against due against all) -----------------------------------------------------


@dataclass(frozen=True)
class Progress:
    label: str
    done: int
    due: int
    total: int
    late: int = 0


def progress_chart(
    rows: Sequence[Progress], *, chart_id: str, title: str, desc: str
) -> SafeString | str:
    """One bar per item over all its work: the part done filled, the part due but not done
    hatched, a tick where "due by now" ends; "done / due (all)" written beside it."""
    if not rows:
        return ""
    start, length = LABEL_WIDTH, WIDTH - LABEL_WIDTH - VALUE_WIDTH
    hatch = f"{chart_id}-hatch"
    parts = [
        format_html(
            '<defs><pattern id="{}" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect class="chart-hatch-ground" width="6" height="6"/>'
            '<line class="chart-hatch-line" x1="0" y1="0" x2="0" y2="6"/></pattern></defs>',
            hatch,
        )
    ]
    for n, row in enumerate(rows):
        y = 8 + n * ROW
        total = max(row.total, 1)
        done = position(min(row.done, row.total), total, start, length)
        late = position(min(row.done + row.late, row.total), total, start, length)
        due = position(min(row.due, row.total), total, start, length)
        parts.append(
            format_html(
                '<g class="chart-item{css}"><title>{label}: {done_n} / {due_n} ({all_n})</title>'
                '<text class="chart-label" x="{lx}" y="{ty}" text-anchor="end">{mark}{short}</text>'
                '<rect class="chart-track" x="{s}" y="{y}" width="{len}" height="14"/>'
                '<rect class="chart-done" x="{s}" y="{y}" width="{dw}" height="14"/>'
                '<rect class="chart-late" x="{d}" y="{y}" width="{lw}" height="14" '
                'fill="url(#{hatch})"/>'
                '<line class="chart-due" x1="{du}" y1="{t1}" x2="{du}" y2="{t2}"/>'
                '<text class="chart-value" x="{vx}" y="{ty}">{done_n} / {due_n} ({all_n})</text>'
                "</g>",
                css=" flagged" if row.late else "",
                label=row.label,
                done_n=row.done,
                due_n=row.due,
                all_n=row.total,
                lx=_n(start - 8),
                ty=_n(y + 11),
                mark="! " if row.late else "",
                short=short(row.label),
                s=_n(start),
                y=_n(y),
                len=_n(length),
                dw=_n(done - start),
                d=_n(done),
                lw=_n(late - done),
                hatch=hatch,
                du=_n(due),
                t1=_n(y - 3),
                t2=_n(y + 17),
                vx=_n(start + length + 8),
            )
        )
    return _svg(chart_id, title, desc, 8 + len(rows) * ROW, "".join(parts), "chart-progress")


__all__ = [
    "Bar",
    "Progress",
    "Range",
    "bar_chart",
    "bar_height",
    "number",
    "position",
    "progress_chart",
    "range_chart",
]
