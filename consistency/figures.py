"""The consistency report's line plot (Llama 2's Figure 28 style): share respecting
the instruction by turn, one line per chat model, with its interval as a band."""

from __future__ import annotations

import io

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .report import ConsistencyReport

# Names are data: a `$` in a model's name is not mathtext.
PLAIN_TEXT = rc_context({"text.parse_math": False, "text.usetex": False})
FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


def _values(values) -> np.ndarray:
    return np.array([np.nan if v is None else v * 100 for v in values], dtype=float)


@PLAIN_TEXT
def share_by_turn_figure(report: ConsistencyReport) -> Figure:
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    for model in report.chat_models:
        rows = report.rows_of(model)
        turns = np.array([r.turn for r in rows])
        (line,) = ax.plot(
            turns, _values(r.share for r in rows), marker="o", label=model
        )
        ax.fill_between(
            turns,
            _values(r.low for r in rows),
            _values(r.high for r in rows),
            color=line.get_color(),
            alpha=0.15,
            linewidth=0,
        )
    ax.set_xlabel("turn")
    ax.set_ylabel("replies respecting the instruction (%)")
    ax.set_ylim(-2, 102)
    if report.turns:
        ax.set_xticks(range(1, report.turns + 1))
    ax.grid(alpha=0.3)
    if report.chat_models:
        ax.legend(loc="lower left", fontsize=9)
    ax.set_title(
        f"{report.evaluation}: consistency by turn (95% interval, "
        f"{report.resamples} instruction resamples)",
        fontsize=10,
    )
    return fig


@PLAIN_TEXT
def render(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes."""
    if fmt not in FORMATS:
        raise ValueError(f"format: use one of {', '.join(FORMATS)}")
    buffer = io.BytesIO()
    FigureCanvasAgg(fig)
    fig.savefig(
        buffer, format=fmt, dpi=120, metadata={"Date": None} if fmt == "svg" else None
    )
    return buffer.getvalue()
