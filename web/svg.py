"""Charts drawn on the server as inline SVG: a few hundred bytes, no script,
sharp at any width, coloured by the page's CSS (Telegram's theme inside
Telegram)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

from bot.i18n import Translator

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 400, 180, 40, 24, 10


def _nice(top: int) -> int:
    """A round upper bound for the axis (1, 2 or 5 times a power of ten)."""
    step = 1
    while True:
        for m in (1, 2, 5):
            if top <= step * m:
                return step * m
        step *= 10


def month_chart(
    months: Sequence[tuple[date, Mapping[str, int]]], legend: Mapping[str, str], t: Translator
) -> str:
    """Stacked bars of participants by sex for each month."""
    if not months:
        return ""
    keys = list(legend)
    top = _nice(max((sum(v.get(k, 0) for k in keys) for _, v in months), default=0) or 1)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(months)
    bar = max(min(slot * 0.7, 40), 2)
    title = escape(t("Participants by sex and month"))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 24}" role="img" aria-label="{title}">'
    ]
    for i in range(5):
        value = top * i // 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(t.number(value))}</text>'
        )
    for n, (month, values) in enumerate(months):
        x = LEFT + slot * n + (slot - bar) / 2
        y = TOP + plot_h
        for k, key in enumerate(keys):
            h = plot_h * values.get(key, 0) / top
            if h > 0:
                y -= h
                parts.append(
                    f'<rect class="s{k}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                    f"<title>{escape(legend[key])}: {escape(t.number(values.get(key, 0)))}</title></rect>"
                )
        if len(months) <= 12 or n % 3 == 0:
            parts.append(
                f'<text class="axis" x="{x + bar / 2:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle">'
                f"{month.month:02d}/{month.year % 100:02d}</text>"
            )
    for k, key in enumerate(keys):
        x = LEFT + k * 88
        parts.append(
            f'<rect class="s{k}" x="{x}" y="{HEIGHT + 8}" width="12" height="12"/>'
            f'<text class="axis" x="{x + 16}" y="{HEIGHT + 19}">{escape(legend[key])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
