"""Build the judges' reports (``values.JudgeReports``) from frames: pure pandas.

The human verdict of a pair is the report's own pair outcome (its aggregation
rule and tie threshold, after its annotator filters); under the ``rating`` rule,
which has no pair outcome, it is the majority. A judge's verdict is MT-Bench's
(``statistics.judge_agreement.judge_verdicts``) on its parsed judgements, with
the report's threshold; its own win/tie/loss (or leaderboard) is the report's
machinery applied to those verdicts. See docs/judge-reports.md.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from . import statistics as st
from .json_ready import finite as _finite
from .json_ready import finite_items as _finite_items
from .judge_humans import (
    agreement_row,
    bootstrap_options,
    human_human,
    human_verdicts,
    judge_definitions,
    kept_ratings,
)
from .report_builder import PAIR_COLUMNS, breakdown_tables, headline
from .report_options import ReportOptions
from .report_warnings import not_estimable
from .statistics import judge_agreement as ja
from .tournament_report import tournament
from .values import (
    AgreementBreakdowns,
    AgreementRow,
    ConfusionMatrix,
    JudgementCounts,
    JudgeReport,
    JudgeReports,
    JudgeSummary,
    PositionBias,
    PositionConsistency,
    TieRates,
)
from .values.judges import BREAKDOWN_NAMES

# A judge's own leaderboard is fitted in the web request and refitted on every
# resample: at most this many, as its agreement intervals (a new-user pass held a web
# worker past its timeout with 100,000).
JUDGE_FIT_RESAMPLES = st.AGREEMENT_RESAMPLES

DONE, UNPARSEABLE, FAILED = "done", "unparseable", "failed"


def _groups(compared: pd.DataFrame) -> list[tuple[str, object, np.ndarray]]:
    """(breakdown, group, item positions) of every breakdown row, as the human
    report orders them: categories (a pair in two counts in both), turns, single
    vs multi-turn, word-count quintile."""
    groups = []
    lists = compared["categories"].tolist()
    for category in sorted({name for names in lists for name in names}):
        positions = [k for k, names in enumerate(lists) if category in names]
        groups.append(("category", category, np.array(positions, dtype=int)))
    kind = np.where(compared["num_turns"] > 1, "multi-turn", "single-turn")
    for name, values in (
        ("turns", compared["num_turns"].to_numpy()),
        ("turn_kind", kind),
        ("quintile", compared["quintile"].to_numpy()),
    ):
        for value in sorted(set(values.tolist())):
            groups.append((name, value, np.flatnonzero(values == value)))
    return groups


def majority_agreement(
    compared: pd.DataFrame, options: ReportOptions
) -> tuple[AgreementRow, AgreementBreakdowns]:
    """Agreement of ``verdict`` (judge) with ``outcome`` (human), overall and per
    breakdown row, all on the same resamples. ``compared`` has one row per pair
    with ``prompt_id``, ``categories``, ``num_turns`` and ``quintile`` too."""
    groups = _groups(compared)
    found = ja.agreement_with_intervals(
        compared["prompt_id"].to_numpy(),
        compared["verdict"].to_numpy(),
        compared["outcome"].to_numpy(),
        [np.arange(len(compared)), *(positions for _, _, positions in groups)],
        **bootstrap_options(options),
    )
    tables: dict[str, list[AgreementRow]] = {name: [] for name in BREAKDOWN_NAMES}
    for (name, group, _), item in zip(groups, found[1:], strict=True):
        tables[name].append(agreement_row(group, item))
    breakdowns = AgreementBreakdowns(**{k: tuple(v) for k, v in tables.items()})
    return agreement_row("all", found[0]), breakdowns


def _counts(judgements: pd.DataFrame, verdicts: pd.DataFrame, compared: int):
    status = judgements["status"]
    return JudgementCounts(
        judgements=len(judgements),
        done=int((status == DONE).sum()),
        unparseable=int((status == UNPARSEABLE).sum()),
        failed=int((status == FAILED).sum()),
        pending=int((~status.isin([DONE, UNPARSEABLE, FAILED])).sum()),
        pairs_judged=len(verdicts),
        both_orders=int((verdicts["n_orders"] > 1).sum()),
        compared=compared,
    )


def _confusion(compared: pd.DataFrame) -> ConfusionMatrix:
    table = ja.confusion_matrix(compared["verdict"], compared["outcome"])
    return ConfusionMatrix(
        classes=ja.CLASS_NAMES,
        counts=tuple(tuple(int(x) for x in row) for row in table),
        n=int(table.sum()),
    )


def _own_results(verdicts, done, comparisons, options, is_tournament, humans, edges):
    """The judge's own win/tie/loss (or leaderboard) by the report's machinery, its
    word-count quintiles the human report's (``humans``' ``quintile``, ``edges``):
    cut afresh over the pairs the judge judged, "quintile 4" meant other prompts in
    the two tables of one page (a new-user pass)."""
    if verdicts.empty:
        return {}
    outcomes = verdicts[["comparison_id", "verdict"]].merge(
        comparisons, on="comparison_id"
    )
    outcomes = outcomes.rename(columns={"verdict": "outcome"})
    if is_tournament:
        resamples = min(options.resamples, JUDGE_FIT_RESAMPLES)
        board = tournament(outcomes, replace(options, resamples=resamples))
        # A judge on few pairs leaves models unbeaten: say their scores are not
        # estimates (a new-user pass read 2.2e8 outside its own interval).
        warning = not_estimable(board)
        return {"tournament": board, "warnings": (warning,) if warning else None}
    if edges:
        rated = outcomes["comparison_id"].map(
            humans.set_index("comparison_id")["quintile"]
        )
        # A pair no human rated falls where its word count sits in their quintiles.
        by_edges = st.quintile_by_edges(
            outcomes["word_count"], [asdict(edge) for edge in edges]
        )
        outcomes["quintile"] = rated.fillna(
            pd.Series(by_edges, index=outcomes.index)
        ).astype(int)
    tables, edges = breakdown_tables(outcomes, options, edges or None)
    return {
        "outcomes": headline(outcomes, done, options),
        "breakdowns": tables,
        "quintile_edges": edges,
    }


def judge_report(
    judge, judgements, humans, ratings, comparisons, options, summary, edges=()
):
    """One judge's report; ``humans`` holds the human pair verdicts (``outcome``,
    with each pair's attributes and ``quintile``), ``ratings`` the kept ratings
    with their ``outcome``; ``comparisons`` every pair's attributes, None to
    leave out the judge's own results."""
    done = judgements[judgements["status"] == DONE]
    verdicts = ja.judge_verdicts(done, options.threshold)
    compared = verdicts.merge(humans, on="comparison_id")
    majority, by_group = majority_agreement(compared, options)
    per_rating = ratings[["comparison_id", "prompt_id", "outcome"]].merge(
        verdicts[["comparison_id", "verdict"]], on="comparison_id"
    )
    annotators = ja.agreement_with_intervals(
        per_rating["prompt_id"].to_numpy(),
        per_rating["verdict"].to_numpy(),
        per_rating["outcome"].to_numpy(),
        **bootstrap_options(options),
    )[0]
    return JudgeReport(
        judge=JudgeSummary(**judge),
        counts=_counts(judgements, verdicts, len(compared)),
        majority=majority,
        majority_breakdowns=by_group,
        annotators=agreement_row("all", annotators),
        confusion=_confusion(compared),
        consistency=PositionConsistency(
            **_finite_items(ja.position_consistency(verdicts))
        ),
        position_bias=PositionBias(**_finite_items(st.position_bias(done))),
        ties=TieRates(
            judge=_finite(ja.tie_share(verdicts["verdict"])),
            judge_n=len(verdicts),
            human_ratings=_finite(ja.tie_share(ratings["outcome"])),
            human_ratings_n=len(ratings),
            human_majority=_finite(ja.tie_share(humans["outcome"])),
            human_majority_n=len(humans),
        ),
        **(
            _own_results(
                verdicts,
                done,
                comparisons,
                options,
                summary.is_tournament,
                humans,
                edges,
            )
            if comparisons is not None
            else {}
        ),
    )


def build_judge_reports(ratings, comparisons, judgements, judges, summary, options):
    """Every judge's report on one evaluation.

    ``ratings``: ``selectors.ratings_frame(full=False)``; ``comparisons``:
    ``selectors.comparisons_frame(full=False)``, or None to leave out the judges'
    own results (a tournament's Bradley-Terry fit takes seconds; the report
    page's section does without); ``judgements``: ``selectors.judgements_frame``;
    ``judges``: ``selectors.judges_on``' list.
    """
    ratings = kept_ratings(ratings, summary, options)
    rule, humans, edges = human_verdicts(ratings, options)
    attributes = None
    if comparisons is not None:
        kept = ("comparison_id", "prompt_id", *PAIR_COLUMNS)
        attributes = comparisons[[c for c in kept if c in comparisons]]
    human = humans[["comparison_id", "outcome", "prompt_id", "categories",
                    "num_turns", "quintile"]]  # fmt: skip
    reports = tuple(
        judge_report(
            judge,
            judgements[judgements["judge_id"] == judge["id"]],
            human,
            ratings,
            attributes,
            options,
            summary,
            edges,
        )
        for judge in judges
    )
    return JudgeReports(
        evaluation=summary,
        options=options,
        definitions=judge_definitions(options, rule),
        human_rule=rule,
        human_human=human_human(ratings, options),
        position_bias=PositionBias(**_finite_items(st.position_bias(ratings))),
        quintile_edges=edges,
        judges=reports,
        generated_at=datetime.now(UTC),
    )
