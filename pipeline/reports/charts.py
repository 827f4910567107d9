"""Small inline SVG charts (no JavaScript, no external resources).

Each function returns one ``<svg>`` element as a string, ready to be placed in
the HTML with Jinja2's ``|safe``; every text is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

FONT = "'Noto Sans CJK JP','IPAGothic','IPAexGothic',sans-serif"
BAR = "#2f6f9f"
MUTED = "#8a8f98"
GRID = "#e3e6ea"
TEXT = "#222"


def _fmt_int(value: float) -> str:
    if abs(value - round(value)) > 1e-9:
        return f"{value:,.1f}"
    return f"{round(value):,}"


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def hbar(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    width: int = 560,
    label_width: int = 200,
    bar_height: int = 20,
    color: str = BAR,
    value_format: Callable[[float], str] = _fmt_int,
) -> str:
    """Horizontal bars, one per (label, value); an empty chart says so."""
    gap = 8
    height = max(40, len(items) * (bar_height + gap) + gap)
    body: list[str] = []
    if not items:
        body.append(f'<text x="8" y="24" fill="{MUTED}">該当なし</text>')
        return _svg(width, height, body, title)
    top = max((v for _, v in items), default=0) or 1
    plot = width - label_width - 60
    for i, (label, value) in enumerate(items):
        y = gap + i * (bar_height + gap)
        w = 0 if value <= 0 else max(2.0, plot * value / top)
        body.append(
            f'<text x="{label_width - 6}" y="{y + bar_height * 0.72:.1f}" text-anchor="end" '
            f'fill="{TEXT}">{escape(label)}</text>'
        )
        body.append(
            f'<rect x="{label_width}" y="{y}" width="{w:.1f}" height="{bar_height}" '
            f'fill="{color}" rx="2"/>'
        )
        body.append(
            f'<text x="{label_width + w + 6:.1f}" y="{y + bar_height * 0.72:.1f}" '
            f'fill="{TEXT}">{escape(value_format(value))}</text>'
        )
    return _svg(width, height, body, title)


def columns(
    values: Sequence[int],
    labels: Sequence[str],
    *,
    title: str,
    width: int = 560,
    height: int = 200,
    color: str = BAR,
) -> str:
    """Vertical columns (a histogram): one per value, labelled underneath."""
    left, bottom, top_pad = 36, 28, 16
    plot_w = width - left - 8
    plot_h = height - bottom - top_pad
    n = max(1, len(values))
    slot = plot_w / n
    top = max(values, default=0) or 1
    body: list[str] = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 8}" y2="{height - bottom}" '
        f'stroke="{MUTED}"/>',
        f'<text x="{left - 4}" y="{top_pad + 4}" text-anchor="end" fill="{MUTED}">'
        f"{_fmt_int(top)}</text>",
    ]
    for i, value in enumerate(values):
        h = plot_h * value / top
        x = left + i * slot + slot * 0.12
        body.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{slot * 0.76:.1f}" '
            f'height="{h:.1f}" fill="{color}"/>'
        )
        if value:
            body.append(
                f'<text x="{x + slot * 0.38:.1f}" y="{height - bottom - h - 3:.1f}" '
                f'text-anchor="middle" font-size="10" fill="{TEXT}">{value}</text>'
            )
        body.append(
            f'<text x="{x + slot * 0.38:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
            f'font-size="10" fill="{TEXT}">{escape(labels[i] if i < len(labels) else "")}</text>'
        )
    return _svg(width, height, body, title)


def line(
    values: Sequence[float | None],
    labels: Sequence[str],
    *,
    title: str,
    width: int = 560,
    height: int = 180,
    color: str = BAR,
    y_max: float | None = None,
    value_format: Callable[[float], str] = _fmt_int,
) -> str:
    """A trend line over runs; ``None`` values leave a gap."""
    left, right, bottom, top_pad = 44, 12, 26, 14
    plot_w = width - left - right
    plot_h = height - bottom - top_pad
    present = [v for v in values if v is not None]
    top = y_max if y_max is not None else (max(present, default=0) or 1)
    n = len(values)
    body: list[str] = []
    for frac in (0.0, 0.5, 1.0):
        y = top_pad + plot_h * (1 - frac)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="{MUTED}">{escape(value_format(top * frac))}</text>'
        )
    if n == 0:
        body.append(f'<text x="{left + 8}" y="{top_pad + 20}" fill="{MUTED}">履歴なし</text>')
        return _svg(width, height, body, title)

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        return x, top_pad + plot_h * (1 - (v / top if top else 0))

    segment: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if len(segment) > 1:
                body.append(_polyline(segment, color))
            segment = []
            continue
        x, y = xy(i, v)
        segment.append(f"{x:.1f},{y:.1f}")
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
    if len(segment) > 1:
        body.append(_polyline(segment, color))
    step = max(1, n // 8)
    for i in range(0, n, step):
        x, _ = xy(i, 0)
        body.append(
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" font-size="10" '
            f'fill="{TEXT}">{escape(labels[i])}</text>'
        )
    return _svg(width, height, body, title)


def _polyline(points: list[str], color: str) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{color}" stroke-width="2"/>'
