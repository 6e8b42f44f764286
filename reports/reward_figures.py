"""Figures of the reward-model report (matplotlib, Agg): accuracy bars (Tables 28
and 29), score histograms (Figure 27) and mean score per Likert rating (Figure 29).

Rendered to PNG or SVG by ``figures.render``.
"""

from __future__ import annotations

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from .values.reward import AccuracyRow, RewardReport

NAMES = ("accuracy", "safety", "histogram", "likert")
TITLES = {
    "accuracy": "Reward model accuracy by preference strength",
    "safety": "Reward model accuracy by safety meta category",
    "histogram": "Reward model scores",
    "likert": "Mean reward score per median Likert rating (±1 SD)",
}
# Names are data, drawn as they are: no mathtext, no TeX (as in ``figures``).
_PLAIN_TEXT = rc_context({"text.parse_math": False, "text.usetex": False})


def _nothing(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"No {what} yet", ha="center", va="center")
    ax.set_axis_off()


def _accuracy_bars(ax, rows: tuple[AccuracyRow, ...]) -> None:
    """One group of bars per table column, one bar per reward model and basis."""
    if not rows:
        _nothing(ax, "scored comparisons")
        return
    groups = [cell.group for cell in rows[0].cells]
    x = np.arange(len(groups))
    width = 0.8 / len(rows)
    for k, row in enumerate(rows):
        values = [np.nan if c.accuracy is None else c.accuracy * 100 for c in row.cells]
        ax.bar(x - 0.4 + width * (k + 0.5), values, width,
               label=f"{row.reward_model} ({row.basis})")  # fmt: skip
    ax.set_xticks(x, [group.replace(" / ", " /\n") for group in groups], fontsize=7)
    ax.set_ylabel("% of comparisons correct")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, fontsize=7)
    ax.grid(axis="y", alpha=0.3)


def _histograms(fig: Figure, report: RewardReport) -> None:
    models = report.reward_models
    shown = [m for m in models if any(b.reward_model == m for b in report.histogram)]
    if not shown:
        _nothing(fig.subplots(), "reward scores")
        return
    axes = np.atleast_1d(fig.subplots(len(shown), 1, squeeze=False)[:, 0])
    for ax, model in zip(axes, shown, strict=True):
        bins = [b for b in report.histogram if b.reward_model == model]
        for group in dict.fromkeys(b.group for b in bins):
            own = [b for b in bins if b.group == group]
            edges = [own[0].low, *(b.high for b in own)]
            ax.stairs([b.count for b in own], edges, label=group, linewidth=1.5)
        ax.set_title(model, fontsize=9)
        ax.set_xlabel(f"score ({report.kinds.get(model, '')})")
        ax.set_ylabel("responses")
        if report.options.split:
            ax.legend(frameon=False, fontsize=7)
    fig.set_size_inches(8, max(3.2, 2.8 * len(shown)))


def _likert(ax, report: RewardReport) -> None:
    if not report.likert:
        _nothing(ax, "Likert ratings with reward scores")
        return
    for model in report.reward_models:
        rows = [r for r in report.likert if r.reward_model == model]
        if rows:
            ax.errorbar([r.rating for r in rows], [r.mean for r in rows],
                        yerr=[r.sd or 0.0 for r in rows], capsize=3, marker="o",
                        label=model)  # fmt: skip
    ax.set_xticks(range(1, 8))
    ax.set_xlabel("median Likert rating of the response (1 worst, 7 best)")
    ax.set_ylabel("reward score")
    ax.legend(frameon=False, fontsize=7)
    ax.grid(alpha=0.3)


@_PLAIN_TEXT
def reward_figure(report: RewardReport, name: str) -> Figure:
    """One named figure of the report; KeyError for an unknown name."""
    if name not in NAMES:
        raise KeyError(name)
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    if name == "histogram":
        _histograms(fig, report)
    else:
        ax = fig.subplots()
        if name == "likert":
            _likert(ax, report)
        else:
            _accuracy_bars(ax, getattr(report, name))
    fig.suptitle(f"{report.evaluation}: {TITLES[name]}", fontsize=10)
    return fig
