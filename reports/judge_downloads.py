"""The judges' reports as one CSV table (through ``downloads.csv_bytes``)."""

from __future__ import annotations

import pandas as pd

from .downloads import counts_as_integers, csv_bytes
from .values import AgreementRow, JudgeReport, JudgeReports

FIGURES = ("with_ties", "without_ties", "kappa")


def _agreement(judge: str, section: str, row: AgreementRow) -> list[dict]:
    n = {"with_ties": row.n, "without_ties": row.n_without_ties, "kappa": row.n}
    return [
        {
            "judge": judge,
            "section": section,
            "group": row.group,
            "statistic": name,
            "value": getattr(row, name),
            "value_low": getattr(row, f"{name}_interval")[0],
            "value_high": getattr(row, f"{name}_interval")[1],
            "n": n[name],
            "n_prompts": row.n_prompts,
        }
        for name in FIGURES
    ]


def _single(judge: str, section: str, statistic: str, value, n) -> dict:
    return {"judge": judge, "section": section, "group": "all",
            "statistic": statistic, "value": value, "n": n}  # fmt: skip


def _own(judge: str, item: JudgeReport) -> list[dict]:
    """The judge's own results: its win, tie and loss shares (head-to-head) or its
    leaderboard (a tournament: each model's score, its interval and rank)."""
    rows = []
    if (head := item.outcomes) is not None:
        for share in ("win", "tie", "loss", "win_no_ties"):
            low, high = getattr(head.interval, share)
            rows.append(
                _single(judge, "outcomes", share, getattr(head, share), head.n)
                | {"value_low": low, "value_high": high, "n_prompts": head.n_prompts}
            )
    if (board := item.tournament) is not None:
        for row in board.leaderboard:
            rows += [
                {"judge": judge, "section": "leaderboard", "group": row.model,
                 "statistic": "score", "value": row.score, "value_low": row.low,
                 "value_high": row.high, "n": row.matches},
                _single(judge, "leaderboard", "rank", row.rank, row.matches)
                | {"group": row.model},
            ]  # fmt: skip
    return rows


def judge_rows(reports: JudgeReports) -> pd.DataFrame:
    """Long table: judge, section, group, statistic, value (with its interval where
    it has one), n. Sections: majority (and majority_<breakdown>), annotators,
    human_human, consistency, position_bias, ties, confusion, counts, and the
    judge's own results: outcomes (head-to-head) or leaderboard (a tournament)."""
    rows = _agreement("(humans)", "human_human", reports.human_human)
    for item in reports.judges:
        name = item.judge.name
        rows += _agreement(name, "majority", item.majority)
        for section, table in item.majority_breakdowns.sections():
            for row in table:
                rows += _agreement(name, f"majority_{section}", row)
        rows += _agreement(name, "annotators", item.annotators)
        both = item.consistency.n_both
        inconsistent = item.consistency.inconsistent
        rows += [
            _single(name, "consistency", "consistency",
                    item.consistency.consistency, both),
            _single(name, "consistency", "favours_first_share",
                    item.consistency.first_share, inconsistent),
            _single(name, "consistency", "favours_second_share",
                    item.consistency.second_share, inconsistent),
            _single(name, "position_bias", "model_a_of_decided",
                    item.position_bias.left_of_decided,
                    item.position_bias.n_decided),
            _single(name, "ties", "judge", item.ties.judge, item.ties.judge_n),
            _single(name, "ties", "human_ratings", item.ties.human_ratings,
                    item.ties.human_ratings_n),
            _single(name, "ties", "human_majority", item.ties.human_majority,
                    item.ties.human_majority_n),
        ]  # fmt: skip
        for judged, counts in item.confusion.rows():
            for human, count in zip(item.confusion.classes, counts, strict=True):
                rows.append(_single(name, "confusion", f"judge_{judged}_human_{human}",
                                    count, item.confusion.n))  # fmt: skip
        for field, count in item.counts.to_json().items():
            rows.append(_single(name, "counts", field, count, None))
        rows += _own(name, item)
    frame = pd.DataFrame(rows)
    frame.insert(0, "evaluation", reports.evaluation.name)
    frame["human_rule"] = reports.human_rule
    frame["threshold"] = reports.options.threshold
    return counts_as_integers(frame)


def judges_csv(reports: JudgeReports) -> bytes:
    return csv_bytes(judge_rows(reports))
