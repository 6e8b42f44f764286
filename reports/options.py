"""What a report computes: its options, validated, and the scales' points."""

from __future__ import annotations

from dataclasses import dataclass

from . import statistics as st

SCALE_POINTS = {"seven": [-3, -2, -1, 0, 1, 2, 3], "three": [-1, 0, 1]}


@dataclass(frozen=True)
class ReportOptions:
    """What a report computes; every field is stated in the report's metadata."""

    aggregation: str = "majority"
    threshold: int = 1
    seed: int = 0
    resamples: int = 1000
    interval: str = "bootstrap"
    weights: str = "quadratic"
    level: float = 0.95

    def __post_init__(self) -> None:
        if self.aggregation not in st.RULES:
            raise ValueError(f"aggregation: use one of {', '.join(st.RULES)}")
        if self.threshold not in (1, 2):
            raise ValueError("threshold: use 1 or 2")
        if self.interval not in ("bootstrap", "wilson"):
            raise ValueError("interval: use bootstrap or wilson")
        if self.weights not in st.WEIGHTS[1:]:
            raise ValueError(f"weights: use one of {', '.join(st.WEIGHTS[1:])}")
        if not 0 <= self.resamples <= 100_000:
            raise ValueError("resamples: use 0 to 100000")
        if self.seed < 0:
            raise ValueError("seed: use a non-negative integer")
