"""The human side of the judges' reports, and their shared pieces: pure pandas.

The ratings the report counts, the human verdict of each pair with the human
report's word-count quintile, two annotators of one pair against each other, the
definitions in words, and an ``AgreementRow`` from a ``TableAgreement``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import statistics as st
from .annotator_filters import annotator_filter
from .json_ready import finite as _finite
from .report_builder import PAIR_COLUMNS, SCALE_POINTS
from .report_options import ReportOptions
from .statistics import judge_agreement as ja
from .values import AgreementRow, EvaluationSummary, JudgeDefinitions, QuintileEdge


def agreement_row(group, found: ja.TableAgreement) -> AgreementRow:
    """One group's figures as the report's value (missing numbers as None)."""

    def bounds(name):
        return tuple(map(_finite, found.bounds[name]))

    return AgreementRow(
        group=group,
        n=found.n,
        n_prompts=found.n_prompts,
        with_ties=_finite(found.figures["with_ties"]),
        with_ties_interval=bounds("with_ties"),
        n_without_ties=found.n_without_ties,
        without_ties=_finite(found.figures["without_ties"]),
        without_ties_interval=bounds("without_ties"),
        kappa=_finite(found.figures["kappa"]),
        kappa_interval=bounds("kappa"),
    )


def bootstrap_options(options: ReportOptions) -> dict:
    """The options' resamples, seed and level, as ``agreement_with_intervals``
    takes them."""
    return {"resamples": options.resamples, "seed": options.seed,
            "level": options.level}  # fmt: skip


def human_verdicts(ratings: pd.DataFrame, options: ReportOptions):
    """The human pair verdicts (the report's rule; majority under ``rating``) with
    each pair's ``quintile`` in the human report's word-count quintiles, and
    those quintiles' edges."""
    rule = "majority" if options.aggregation == "rating" else options.aggregation
    humans = st.pair_outcomes(
        ratings, rule=rule, threshold=options.threshold, carry=PAIR_COLUMNS
    )
    # The report's quintiles are over its outcomes (ratings under ``rating``).
    binned = ratings if options.aggregation == "rating" else humans
    bins, edges = st.word_quintiles(binned["word_count"])
    first = pd.Series(bins.to_numpy()).groupby(binned["comparison_id"].to_numpy())
    humans["quintile"] = humans["comparison_id"].map(first.first())
    return rule, humans, tuple(QuintileEdge(**edge) for edge in edges)


def kept_ratings(ratings, summary: EvaluationSummary, options) -> pd.DataFrame:
    """The ratings the report counts (its annotator filters applied), with their
    ``outcome``."""
    ratings = ratings.assign(outcome=st.outcome_of(ratings["score"], options.threshold))
    if not options.filters_annotators:
        return ratings
    points = SCALE_POINTS[summary.scale]
    table = st.annotator_table(ratings, scale_max=points[-1])
    excluded = annotator_filter(table, options).excluded
    return ratings[~ratings["annotator"].isin(excluded)]


def human_human(ratings: pd.DataFrame, options: ReportOptions) -> AgreementRow:
    """Two annotators of the same pair (MT-Bench's "human vs human"): every two
    ratings of a pair by different annotators, each way at half weight, so the
    table is symmetric and n counts each two once."""
    frame = pd.DataFrame(
        {"unit": ratings["comparison_id"].to_numpy(),
         "rater": ratings["annotator"].to_numpy(),
         "value": ratings["outcome"].to_numpy()}
    )  # fmt: skip
    pairs, _ = st.rating_pairs(frame)
    prompts = ratings["prompt_id"].to_numpy()[pairs["row_a"].to_numpy()]
    found = ja.agreement_with_intervals(
        prompts,
        pairs["value_a"].to_numpy(),
        pairs["value_b"].to_numpy(),
        weights=np.full(len(pairs), 0.5),
        **bootstrap_options(options),
    )
    return agreement_row("all", found[0])


def judge_definitions(options: ReportOptions, rule: str) -> JudgeDefinitions:
    resamples = min(options.resamples, st.AGREEMENT_RESAMPLES)
    under = " (the report counts every rating; a pair's verdict is their majority)"
    return JudgeDefinitions(
        human_verdict=f"the pair's outcome by the report's rule ({rule}): "
        f"{st.RULE_TEXT[rule]}; tie threshold {options.threshold}"
        + (under if options.aggregation == "rating" else "")
        + "; pairs without human ratings are left out of agreement",
        judge_verdict="a parsed judgement's class from the candidate's view (win "
        f"if score >= {options.threshold}, loss if <= -{options.threshold}, tie "
        "otherwise); judged in both orders: their class when the same, a tie "
        "when not (MT-Bench); unparseable and failed judgements are counted, "
        "never guessed",
        agreement="share of items where judge and humans give the same class "
        "(win, tie, loss); without ties: among items where neither is a tie",
        kappa="Cohen's kappa on the three classes: (po - pe) / (1 - pe), pe from "
        "the two margins",
        interval=f"{options.level:.0%} percentile bootstrap over prompts "
        f"({resamples} resamples, seed {options.seed}); none for a group of "
        "fewer than two prompts",
        consistency="among pairs judged in both orders, the share with the same "
        "class in both; an inconsistent pair favours the response shown first "
        "(or second) by the sum of its two verdicts as shown",
        position_bias="share of parsed judgements preferring Model A (shown "
        "first), of all and of non-ties, against the annotators' share",
        quintiles="the human report's word-count quintiles (prompt plus both "
        "responses)",
    )
