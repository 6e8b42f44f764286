"""What allocation and stopping settings an evaluation may take: one rule for the
creation page, the admin, the API and ``evaluation_create`` (docs/sequential.md)."""

from __future__ import annotations

from .models import Evaluation

SEQUENTIAL_FIELDS = (
    "allocation",
    "adaptive_top",
    "adaptive_width",
    "stop_rule",
    "stop_width",
    "stop_min_pairs",
)
MAX_MIN_PAIRS = 1_000_000
MAX_ADAPTIVE_TOP = 1_000


def sequential_errors(
    *,
    kind: str | None,
    allocation: str | None = Evaluation.Allocation.UNIFORM,
    adaptive_top: int | None = 10,
    adaptive_width: float | None = 1.0,
    stop_rule: str | None = Evaluation.StopRule.NONE,
    stop_width: float | None = None,
    stop_min_pairs: int | None = 0,
) -> dict[str, str]:
    """Messages by field for settings that do not go together; {} when they do.

    Stopping rules are for head-to-head evaluations; the width rule needs a width
    in (0, 1], and a width is only for that rule; adaptive allocation is for
    tournaments; the minimum of pairs is from 0 to ``MAX_MIN_PAIRS``.
    """
    errors = {}
    rule = stop_rule or Evaluation.StopRule.NONE
    if rule != Evaluation.StopRule.NONE and kind != Evaluation.Kind.HEAD_TO_HEAD:
        errors["stop_rule"] = "Stopping rules are for head-to-head evaluations only."
    if rule == Evaluation.StopRule.WIDTH and (
        stop_width is None or not 0 < stop_width <= 1
    ):
        errors["stop_width"] = (
            "The width rule needs a width above 0 and at most 1 (a share: 0.1 "
            "for ten points)."
        )
    elif rule != Evaluation.StopRule.WIDTH and stop_width is not None:
        errors["stop_width"] = "A width is only for the width rule."
    if stop_min_pairs is not None and not 0 <= stop_min_pairs <= MAX_MIN_PAIRS:
        errors["stop_min_pairs"] = f"From 0 to {MAX_MIN_PAIRS:,} pairs."
    if adaptive_top is not None and not 1 <= adaptive_top <= MAX_ADAPTIVE_TOP:
        errors["adaptive_top"] = f"From 1 to {MAX_ADAPTIVE_TOP:,} models."
    if adaptive_width is not None and not 0 < adaptive_width < float("inf"):
        errors["adaptive_width"] = (
            "A width above 0 (a log-score: 1.0 is about 174 Elo)."
        )
    if (
        allocation == Evaluation.Allocation.ADAPTIVE
        and kind != Evaluation.Kind.TOURNAMENT
    ):
        errors["allocation"] = "Adaptive allocation is for tournaments only."
    return errors


# The bounds ``sequential_errors`` checks, as a page's inputs say them (a lower
# bound of 0 stands for "above 0" too: an input's min is inclusive).
INPUT_BOUNDS = {
    "adaptive_top": (1, MAX_ADAPTIVE_TOP),
    "adaptive_width": (0, None),
    "stop_width": (0, 1),
    "stop_min_pairs": (0, MAX_MIN_PAIRS),
}


def sequential_optional(form) -> None:
    """Let a form leave the settings out (a page or client that predates them):
    an empty field takes the model's default (``sequential_defaults``). Their
    inputs say their bounds."""
    for name in SEQUENTIAL_FIELDS:  # stop_width is optional already (nullable)
        if name in form.fields and name != "stop_width":
            form.fields[name].required = False
    for name, (low, high) in INPUT_BOUNDS.items():
        if name in form.fields:
            attrs = form.fields[name].widget.attrs
            attrs["min"] = low
            if high is not None:
                attrs["max"] = high


def sequential_defaults(data: dict) -> None:
    """Fill the settings a form left empty with the model's defaults."""
    data["allocation"] = data.get("allocation") or Evaluation.Allocation.UNIFORM
    for name in ("adaptive_top", "adaptive_width"):
        if data.get(name) is None:
            data[name] = Evaluation._meta.get_field(name).default
    data["stop_rule"] = data.get("stop_rule") or Evaluation.StopRule.NONE
    if data.get("stop_min_pairs") is None:
        data["stop_min_pairs"] = 0
