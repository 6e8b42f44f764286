"""Figure 25: the share of each preference strength per batch, as stacked bars."""

from __future__ import annotations

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from annotations.scales import STRENGTH_LABELS

from .values.batches import BatchStatistics

# Strongest at the bottom, as the paper stacks them; dark to light.
COLOURS = {4: "#1b3f8b", 3: "#2f6fd6", 2: "#86aef0", 1: "#d6dde8"}
TITLE = "Share of each preference strength per batch"


@rc_context({"text.parse_math": False, "text.usetex": False})
def strength_figure(statistics: BatchStatistics) -> Figure:
    """Stacked bars, one per batch (and one for the total): the percentage of its
    comparisons at each strength. Batch labels are data: drawn as plain text."""
    rows = [*statistics.rows, statistics.total] if statistics.rows else []
    fig = Figure(figsize=(max(6, 0.7 * len(rows) + 3), 4.2), layout="constrained")
    ax = fig.subplots()
    if not rows:
        ax.text(0.5, 0.5, "No comparisons yet", ha="center", va="center")
        ax.set_axis_off()
        return fig
    x = np.arange(len(rows))
    bottom = np.zeros(len(rows))
    for strength in (4, 3, 2, 1):
        shares = np.array([row.share(strength) or 0.0 for row in rows]) * 100
        ax.bar(x, shares, 0.7, bottom=bottom, color=COLOURS[strength],
               label=STRENGTH_LABELS[strength])  # fmt: skip
        bottom += shares
    labels = [f"{row.batch}\n(n={row.comparisons})" for row in rows]
    ax.set_xticks(x, labels, fontsize=7, rotation=30 if len(rows) > 8 else 0)
    ax.set_ylabel("% of comparisons")
    ax.set_ylim(0, 100)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(frameon=False, fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    ax.set_title(TITLE, fontsize=10)
    return fig
