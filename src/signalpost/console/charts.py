"""Charts as SVG written on the server: no chart library, no script, nothing to download.

Every bar and point carries a ``<title>`` (the browser's tooltip) and a ``data-count``,
so the numbers behind a chart can be read by people and by tests alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

__all__ = ["COLORS", "breakdown", "rate_line", "stacked_bars"]

COLORS = {
    "delivered": "#2f9e44",
    "in flight": "#74c0fc",
    "undelivered": "#e03131",
    "other": "#adb5bd",
}
_W, _H, _PAD_L, _PAD_B, _PAD_T = 720, 220, 44, 26, 10


def _nice_max(value: float) -> float:
    """A top for the axis: four ticks of a round step (1, 2, 2.5 or 5 times a power of
    ten, at least 1 since counts are whole)."""
    raw = max(value, 1.0) / 4
    power = 1.0
    while power * 10 <= raw:
        power *= 10
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if step < 1 or (step == 2.5 and power == 1):
        step = float(max(1, round(step + 0.49)))
    return step * 4


def _axis(top: float, fmt: str) -> list[str]:
    out = []
    for i in range(5):
        value = top * i / 4
        y = _H - _PAD_B - (_H - _PAD_B - _PAD_T) * i / 4
        label = fmt.format(value)
        out.append(
            f'<line x1="{_PAD_L}" x2="{_W}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{_PAD_L - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{label}</text>'
        )
    return out


def _x_labels(labels: Sequence[str], slot: float) -> list[str]:
    every = max(1, len(labels) // 8)
    return [
        f'<text x="{_PAD_L + slot * (i + 0.5):.1f}" y="{_H - 8}" class="tick" '
        f'text-anchor="middle">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def stacked_bars(
    labels: Sequence[str], series: Mapping[str, Sequence[int]], *, title: str
) -> Markup:
    """Bars per period, stacked by series (in the order given)."""
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    slot = (_W - _PAD_L) / max(len(labels), 1)
    width = max(slot * 0.7, 1.0)
    scale = (_H - _PAD_B - _PAD_T) / top
    parts = [*_axis(top, "{:,.0f}")]
    for i, label in enumerate(labels):
        y: float = _H - _PAD_B
        x = _PAD_L + slot * i + (slot - width) / 2
        for name, values in series.items():
            count = values[i]
            if not count:
                continue
            height = count * scale
            y -= height
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                f'fill="{COLORS.get(name, "#868e96")}" class="bar" data-series="{escape(name)}" '
                f'data-count="{count}"><title>{escape(label)}: {count:,} {escape(name)}</title>'
                "</rect>"
            )
    parts += _x_labels(labels, slot)
    return _svg(parts, title)


def rate_line(labels: Sequence[str], rates: Sequence[float | None], *, title: str) -> Markup:
    """Delivery rate per period as a line; periods without an outcome leave a gap."""
    slot = (_W - _PAD_L) / max(len(labels), 1)
    scale = _H - _PAD_B - _PAD_T
    parts = [*_axis(1.0, "{:.0%}")]
    run: list[str] = []
    for i, (label, rate) in enumerate(zip(labels, rates, strict=True)):
        if rate is None:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}" class="line"/>')
            run = []
            continue
        x = _PAD_L + slot * (i + 0.5)
        y = _H - _PAD_B - rate * scale
        run.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="point" data-rate="{rate:.4f}">'
            f"<title>{escape(label)}: {rate:.1%} delivered</title></circle>"
        )
    if len(run) > 1:
        parts.append(f'<polyline points="{" ".join(run)}" class="line"/>')
    parts += _x_labels(labels, slot)
    return _svg(parts, title)


def breakdown(items: Sequence[tuple[str, int, float | None]], *, title: str) -> Markup:
    """Horizontal bars: (label, messages, delivery rate) sorted as given."""
    row, wide = 26, 360
    height = max(len(items), 1) * row + 8
    top = max((count for _, count, _ in items), default=0) or 1
    parts = []
    for i, (label, count, rate) in enumerate(items):
        y = 4 + i * row
        width = max((wide - 200) * count / top, 1.0)
        rate_text = "—" if rate is None else f"{rate:.1%}"
        parts.append(
            f'<text x="0" y="{y + 17}" class="label">{escape(label or "unknown")}</text>'
            f'<rect x="90" y="{y + 4}" width="{width:.1f}" height="16" class="hbar" '
            f'data-count="{count}"><title>{escape(label)}: {count:,} messages</title></rect>'
            f'<text x="{96 + width:.1f}" y="{y + 17}" class="value">{count:,} · {rate_text}'
            "</text>"
        )
    return Markup(
        f'<svg viewBox="0 0 {wide} {height}" role="img" aria-label="{escape(title)}" '
        f'class="chart breakdown">{"".join(parts)}</svg>'
    )


def _svg(parts: list[str], title: str) -> Markup:
    return Markup(
        f'<svg viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
