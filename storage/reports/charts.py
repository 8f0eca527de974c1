"""Charts (biểu đồ) as PNG, drawn headless with matplotlib's Agg canvas:
participants by sex over the months, and progress against targets."""

from __future__ import annotations

import io

from storage.reports.aggregates import Summary
from storage.reports.labels import Translate
from storage.reports.render import spec_name
from storage.reports.targets import Status, TargetReport

COLOURS = {"women": "#c2185b", "men": "#1565c0", "girls": "#f48fb1", "boys": "#90caf9"}
STATUS_COLOURS = {
    Status.DONE: "#2e7d32",
    Status.ON_TRACK: "#1565c0",
    Status.BEHIND: "#e65100",
    Status.NO_TARGET: "#9e9e9e",
}
MAX_TARGET_BARS = 12
MAX_LABEL = 38
DPI = 100  # small files for slow connections: about 50 kB


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def render_png(summary: Summary, targets: TargetReport | None, t: Translate) -> bytes:
    """One PNG: participants by sex per month on top, and, if the area has
    targets, achieved against target (with the share of the year elapsed)."""
    # Imported on the first chart: matplotlib adds about 40 MB and a second to
    # the start of a bot whose users mostly log activities.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lines = (targets.lines if targets is not None else [])[:MAX_TARGET_BARS]
    rows = 2 if lines else 1
    height = 4.2 + (0.45 * len(lines) + 1.4 if lines else 0)
    figure = Figure(figsize=(8, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(
        rows, 1, height_ratios=[4.2, 0.45 * len(lines) + 1.4] if lines else [1]
    )
    axes = figure.add_subplot(grid[0])
    months = list(summary.by_month)
    labels = [f"{m.month:02d}/{m.year % 100:02d}" for m in months]
    bottom = [0] * len(months)
    names = {
        "women": t("Women"),
        "men": t("Men"),
        "girls": t("Girls"),
        "boys": t("Boys"),
    }
    positions = list(range(len(months)))
    for key, colour in COLOURS.items():
        values = [getattr(summary.by_month[m], key) for m in months]
        axes.bar(positions, values, bottom=bottom, color=colour, label=names[key], width=0.7)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_xticks(positions, labels)
    axes.set_title(
        t("Participants by sex and month – {place}").format(place=summary.place_name), fontsize=11
    )
    axes.legend(loc="upper left", fontsize=8, ncols=4, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="x", labelsize=8, rotation=45 if len(months) > 12 else 0)
    axes.yaxis.set_major_formatter(lambda value, _pos: t.number(int(value)))
    top = max(bottom, default=0)
    axes.set_ylim(0, max(1, top) * 1.18)
    if lines and targets is not None:
        bars = figure.add_subplot(grid[1])
        ratios = [min(line.area.ratio or 0.0, 1.5) * 100 for line in lines]
        colours = [STATUS_COLOURS[line.area.status] for line in lines]
        names_y = [_short(spec_name(line.spec, line.label, t)) for line in lines]
        positions = list(range(len(lines)))[::-1]
        bars.barh(positions, ratios, color=colours, height=0.6)
        bars.set_yticks(positions, names_y, fontsize=8)
        expected = lines[0].area.expected_share * 100
        bars.axvline(expected, color="#616161", linestyle="--", linewidth=1)
        bars.axvline(100, color="#212121", linewidth=0.8)
        bars.set_xlim(0, 150)
        bars.xaxis.set_major_formatter(lambda value, _pos: t.percent(value / 100))
        bars.tick_params(axis="x", labelsize=8)
        bars.set_title(
            t("Targets {year}: achieved, % of target (dashed: share of the year elapsed)").format(
                year=targets.year
            ),
            fontsize=9,
        )
        bars.spines[["top", "right"]].set_visible(False)
        # Bars stop at 150 %; the label says the real figure.
        for position, ratio, line in zip(positions, ratios, lines, strict=True):
            real = t.percent(line.area.ratio or 0.0)
            bars.text(min(ratio + 1, 138), position, real, va="center", fontsize=7)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
