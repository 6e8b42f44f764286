"""The judge's confusion matrix against the human verdicts, as a figure (matplotlib,
Agg; served as PNG or SVG by ``figures.render`` like the report's figures)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .figures import PLAIN_TEXT
from .values import JudgeReport


@PLAIN_TEXT
def confusion_figure(report: JudgeReport, evaluation: str, human_rule: str) -> Figure:
    """Heat map of pairs by judge verdict (rows) and human verdict (columns), each
    cell with its count and its share of the row."""
    matrix = report.confusion
    counts = np.array(matrix.counts, dtype=float).reshape(3, 3)
    rows = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(rows > 0, counts / rows, np.nan)
    fig = Figure(figsize=(5.6, 4.6), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(counts, cmap="Blues", vmin=0, vmax=max(1, counts.max()))
    labels = [name.capitalize() for name in matrix.classes]
    ticks = np.arange(len(labels))
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    ax.set_xlabel(f"human verdict ({human_rule})")
    ax.set_ylabel(f"judge verdict: {report.judge.name}")
    for row in range(3):
        for column in range(3):
            share = shares[row, column]
            text = f"{int(counts[row, column])}"
            if np.isfinite(share):
                text += f"\n{share:.0%} of row"
            dark = counts[row, column] > counts.max() / 2
            ax.text(column, row, text, ha="center", va="center", fontsize=9,
                    color="white" if dark else "black")  # fmt: skip
    fig.colorbar(image, ax=ax, shrink=0.7, label="pairs")
    ax.set_title(
        f"{evaluation}: judge vs humans ({matrix.n} pairs, candidate's view)",
        fontsize=10,
    )
    return fig
