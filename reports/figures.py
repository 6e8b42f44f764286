"""Figures of a report (matplotlib, Agg): bar charts with error bars, PNG and SVG."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .report_warnings import MIN_GROUP_PROMPTS
from .values import (
    BreakdownRow,
    Headline,
    LeaderboardRow,
    QuintileEdge,
    Report,
    Tournament,
)

COLOURS = {"win": "#2456c9", "tie": "#9aa3b2", "loss": "#b3261e"}
HEAD_TO_HEAD = ("headline", "category", "turns", "quintile")
TOURNAMENT = ("leaderboard", "pairs")
TITLES = {
    "headline": "Win, tie and loss",
    "category": "By prompt category",
    "turns": "By number of turns",
    "quintile": "By word-count quintile",
    "leaderboard": "Bradley-Terry scores",
    "pairs": "Win rate of row over column (ties half)",
    "compare": "Evaluations side by side",
}
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
UNRELIABLE = f"< {MIN_GROUP_PROMPTS} prompts, no error bar"
# An unreliable group's label carries this mark, and a note under the axes says what
# it means once (the note on every label ran into the next one).
MARK = "*"
# Names, categories and titles are data, drawn as they are: a `$` in a model's name is
# not mathtext (an unbalanced one would fail the figure), nor is anything TeX.
# Text reads these when it is made and tick labels are made while drawing, so both
# building and saving a figure run under them.
PLAIN_TEXT = rc_context({"text.parse_math": False, "text.usetex": False})


def names_for(report: Report) -> tuple[str, ...]:
    return TOURNAMENT if report.is_tournament else HEAD_TO_HEAD


def _group_label(section: str, row: BreakdownRow, edges: tuple[QuintileEdge, ...]):
    if section == "quintile":
        edge = next((e for e in edges if e.quintile == row.group), None)
        if edge:
            return f"Q{row.group}\n{edge.min_words}-{edge.max_words} words"
    if section == "turns":
        return f"{row.group} turn{'s' if row.group != 1 else ''}"
    return str(row.group).replace(" and ", " &\n")


def _bars(ax, labels: list[str], rows: Sequence[Headline | BreakdownRow]) -> None:
    """Grouped win/tie/loss bars with interval error bars.

    An unreliable group (too few prompts) gets no error bar, and its label a mark
    that a note under the axes explains.
    """
    x = np.arange(len(labels))
    width = 0.26
    reliable = np.array([r.reliable for r in rows], dtype=bool)
    for offset, share in zip((-width, 0, width), ("win", "tie", "loss"), strict=True):
        values = np.array([_num(getattr(r, share)) for r in rows])
        low = np.array([_num(r.bounds(share)[0]) for r in rows])
        high = np.array([_num(r.bounds(share)[1]) for r in rows])
        errors = np.nan_to_num(np.vstack([values - low, high - values]).clip(min=0))
        ax.bar(x + offset, values * 100, width, label=share.capitalize(),
               color=COLOURS[share])  # fmt: skip
        if reliable.any():
            ax.errorbar(x[reliable] + offset, values[reliable] * 100,
                        yerr=errors[:, reliable] * 100, fmt="none", ecolor="black",
                        capsize=3)  # fmt: skip
    labels = [
        label if ok else f"{label}{MARK}"
        for label, ok in zip(labels, reliable, strict=True)
    ]
    ax.set_xticks(x, labels, fontsize=8)
    if not reliable.all():
        ax.figure.supxlabel(f"{MARK} {UNRELIABLE}", fontsize=8, x=0.02, ha="left")
    ax.set_ylabel("% of outcomes")
    # Headroom above 100 % for the legend: it covered a bar that reached the top.
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    ax.legend(frameon=False, ncols=3, loc="upper right")
    ax.grid(axis="y", alpha=0.3)


def _num(value) -> float:
    return float("nan") if value is None else float(value)


@PLAIN_TEXT
def figure(report: Report, name: str) -> Figure:
    """One named figure of a report; KeyError for a name the report lacks."""
    if name not in names_for(report):
        raise KeyError(name)
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    evaluation = report.metadata.evaluation
    if report.tournament is not None and name == "pairs":
        _pair_matrix(fig, ax, report.tournament)
    elif report.tournament is not None:
        _leaderboard(ax, report.tournament.leaderboard)
    elif name == "headline" and report.headline is not None:
        _bars(ax, [f"{evaluation.candidate}\nvs {evaluation.baseline}"],
              [report.headline])  # fmt: skip
    elif report.breakdowns is not None:
        rows = report.breakdowns.section(name)
        edges = report.quintile_edges or ()
        _bars(ax, [_group_label(name, r, edges) for r in rows],
              rows)  # fmt: skip
    rule = report.metadata.options.aggregation
    ax.set_title(f"{evaluation.name}: {TITLES[name]} ({rule})", fontsize=10)
    return fig


def _leaderboard(ax, board: tuple[LeaderboardRow, ...]) -> None:
    board = board[::-1]
    y = np.arange(len(board))
    scores = np.array([_num(row.score) for row in board])
    low = np.array([_num(row.low) for row in board])
    high = np.array([_num(row.high) for row in board])
    errors = np.nan_to_num(np.vstack([scores - low, high - scores]).clip(min=0))
    ax.barh(y, scores, xerr=errors, capsize=2, color=COLOURS["win"])
    ax.set_yticks(y, [row.model for row in board], fontsize=6)
    ax.set_xlabel("score")
    ax.grid(axis="x", alpha=0.3)
    ax.figure.set_size_inches(8, max(4, 0.16 * len(board) + 1))


def _pair_matrix(fig, ax, tournament: Tournament) -> None:
    """Heat map of the row model's win rate over the column model, models by rank
    (blank: the two never met)."""
    matrix = tournament.win_matrix
    models = [row.model for row in tournament.leaderboard]
    if not models:
        ax.text(0.5, 0.5, "No votes yet", ha="center", va="center")
        ax.set_axis_off()
        return
    where = {model: k for k, model in enumerate(matrix.index)}
    column = {model: k for k, model in enumerate(matrix.columns)}
    values = np.array(
        [[_num(matrix.data[where[r]][column[c]]) for c in models] for r in models]
    ).reshape(len(models), len(models))
    image = ax.imshow(values, cmap="RdBu", vmin=0, vmax=1, aspect="equal")
    size = 7 if len(models) <= 30 else 5
    ticks = np.arange(len(models))
    ax.set_xticks(ticks, models, fontsize=size, rotation=90)
    ax.set_yticks(ticks, models, fontsize=size)
    ax.set_xlabel("column model (by rank)")
    ax.set_ylabel("row model (by rank)")
    fig.colorbar(image, ax=ax, shrink=0.6, label="win rate of row over column")
    side = max(5, 0.16 * len(models) + 3)
    fig.set_size_inches(side + 1.5, side)


@PLAIN_TEXT
def compare_figure(reports: list[Report]) -> Figure:
    """Win, tie and loss of several head-to-head evaluations side by side."""
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    shown = [report for report in reports if report.headline is not None]
    labels = [report.metadata.evaluation.name for report in shown]
    rows = [report.headline for report in shown if report.headline is not None]
    _bars(ax, labels, rows)
    ax.set_title(TITLES["compare"], fontsize=10)
    return fig


@PLAIN_TEXT
def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format: use one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)  # the Agg backend, whatever the process's default
    fig.savefig(
        buffer, format=fmt, dpi=120, metadata={"Date": None} if fmt == "svg" else None
    )
    return buffer.getvalue()
