"""The report's tournament section (``values.Tournament``) from pair outcomes."""

from __future__ import annotations

import json

import pandas as pd

from . import statistics as st
from .json_ready import records
from .report_options import ReportOptions, refuse_for_tournament
from .values import (
    LeaderboardRow,
    PairResult,
    Tournament,
    TournamentMethod,
    WinMatrix,
)


def tournament(outcomes: pd.DataFrame, options: ReportOptions) -> Tournament:
    """Leaderboard (Bradley-Terry), per-pair results and the pairwise win matrix,
    with intervals from a bootstrap over prompts."""
    refuse_for_tournament(options)
    fitted = st.tournament_fit(
        outcomes,
        tie_model=options.ties,
        resamples=options.resamples,
        seed=options.seed,
        level=options.level,
    )
    method = TournamentMethod(
        ties=fitted.tie_model,
        tie_parameter=fitted.tie_parameter,
        tie_parameter_low=fitted.tie_parameter_low,
        tie_parameter_high=fitted.tie_parameter_high,
        resamples=fitted.resamples,
        seed=fitted.seed,
        level=fitted.level,
        cluster=fitted.cluster,
        n_clusters=fitted.n_clusters,
    )
    matrix = json.loads(st.win_matrix(outcomes).to_json(orient="split"))
    return Tournament(
        leaderboard=tuple(LeaderboardRow(**row) for row in records(fitted.leaderboard)),
        method=f"{method.model_text}; {method.interval_text}",
        win_matrix=WinMatrix(
            columns=tuple(matrix["columns"]),
            index=tuple(matrix["index"]),
            data=tuple(map(tuple, matrix["data"])),
        ),
        n_outcomes=len(outcomes),
        fitted=method,
        pairs=tuple(PairResult(**row) for row in records(fitted.pairs)),
    )
