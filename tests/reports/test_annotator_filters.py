"""Annotator filters: by name and by rule, the report without those annotators'
ratings, the metadata saying who and why, and the table marking every rule."""

import statistics
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as s

from reports.annotator_filters import UnknownAnnotator
from reports.report_builder import build_report
from reports.report_options import ReportOptions
from reports.values import AnnotatorExclusion

from .test_properties import EVALUATION, _frame

RESAMPLES = 50


def _figures(report) -> dict:
    """Everything a report shows except its metadata, the annotator table and the
    always-valid sequence (not computed with annotators left out: no pair completes
    with N ratings; test_sequence_report.py)."""
    data = report.to_json()
    data.pop("metadata")
    data.pop("annotators")
    if data.get("headline"):
        data["headline"].pop("sequence")
    return data


def _built(frame, **options):
    return build_report(
        frame, EVALUATION, ReportOptions(resamples=RESAMPLES, **options)
    )


def _assert_without(frame, report, excluded: set[str]) -> None:
    """``report`` equals the report of ``frame`` without the ratings of ``excluded``
    in every figure, and counts the same ratings."""
    kept = frame[~frame["annotator"].isin(excluded)]
    plain = _built(kept)
    assert _figures(report) == _figures(plain)
    assert report.metadata.data_sha256 == plain.metadata.data_sha256
    assert report.headline.n_ratings == len(kept) < len(frame)


def _agreement_by_hand(frame, threshold=1) -> dict[str, float]:
    """Per annotator: share of (own rating, another's rating of the same pair) with
    the same outcome, counted in a plain loop."""
    outcome = np.sign(np.where(np.abs(frame["score"]) >= threshold, frame["score"], 0))
    by_pair = defaultdict(list)
    for pair, annotator, value in zip(
        frame["comparison_id"], frame["annotator"], outcome, strict=True
    ):
        by_pair[pair].append((annotator, value))
    agree, total = defaultdict(int), defaultdict(int)
    for ratings in by_pair.values():
        for annotator, value in ratings:
            for other, other_value in ratings:
                if other != annotator:
                    total[annotator] += 1
                    agree[annotator] += value == other_value
    return {name: agree[name] / total[name] for name in total}


def _between_lowest(values: dict[str, float]) -> float:
    """A threshold between the lowest value and the next higher one."""
    distinct = sorted(set(values.values()))
    return (distinct[0] + distinct[1]) / 2


@pytest.fixture
def frame():
    data = _frame(3)
    # Everyone gives a pair the same score, except a3, who gives the opposite: a3's
    # agreement is the lowest.
    same = (data["comparison_id"] % 7 - 3).to_numpy()
    score = np.where(data["annotator"] == "a3", -same, same)
    left = data["candidate_on_left"].to_numpy()
    data["score"], data["choice"] = score, np.where(left, score, -score)
    data.loc[data["annotator"] == "a0", "seconds"] = 1.5  # a fast annotator
    return data


def test_excluded_by_name_their_ratings_are_gone_from_every_figure(frame):
    report = _built(frame, exclude=("a1", "a2"))
    _assert_without(frame, report, {"a1", "a2"})
    assert report.metadata.exclusions == (
        AnnotatorExclusion(annotator="a1", rule="exclude", threshold=None, value=None),
        AnnotatorExclusion(annotator="a2", rule="exclude", threshold=None, value=None),
    )
    rows = {row.annotator: row for row in report.annotators}
    assert set(rows) == {"a0", "a1", "a2", "a3"}  # the table lists everyone
    assert {name for name, row in rows.items() if row.named} == {"a1", "a2"}
    assert {name for name, row in rows.items() if row.excluded} == {"a1", "a2"}
    # The table is the full data's: the same numbers as the unfiltered report's.
    unfiltered = {row.annotator: row for row in _built(frame).annotators}
    assert rows["a3"].agreement == unfiltered["a3"].agreement


def test_min_agreement_leaves_out_those_below_it(frame):
    agreement = _agreement_by_hand(frame)
    threshold = _between_lowest(agreement)
    below = {name for name, value in agreement.items() if value < threshold}
    assert below == {"a3"}
    report = _built(frame, min_agreement=threshold)
    _assert_without(frame, report, below)
    (exclusion,) = report.metadata.exclusions
    assert (exclusion.annotator, exclusion.rule) == ("a3", "min_agreement")
    assert exclusion.threshold == threshold
    assert exclusion.value == pytest.approx(agreement["a3"])
    rows = {row.annotator: row for row in report.annotators}
    assert {name for name, row in rows.items() if row.below_min_agreement} == below
    for name, row in rows.items():
        assert row.agreement == pytest.approx(agreement[name])


def test_min_median_seconds_leaves_out_those_below_it(frame):
    medians = {
        name: statistics.median(group["seconds"].tolist())
        for name, group in frame.groupby("annotator")
    }
    threshold = _between_lowest(medians)
    below = {name for name, value in medians.items() if value < threshold}
    assert below == {"a0"}
    report = _built(frame, min_median_seconds=threshold)
    _assert_without(frame, report, below)
    assert report.metadata.exclusions == (
        AnnotatorExclusion(
            annotator="a0",
            rule="min_median_seconds",
            threshold=threshold,
            value=pytest.approx(1.5),
        ),
    )
    rows = {row.annotator: row for row in report.annotators}
    assert {name for name, row in rows.items() if row.below_min_median_seconds} == {
        "a0"
    }


def test_name_and_rules_together_list_each_reason(frame):
    agreement = _agreement_by_hand(frame)
    report = _built(
        frame,
        exclude=("a3",),
        min_agreement=_between_lowest(agreement),
        min_median_seconds=5.0,
    )
    _assert_without(frame, report, {"a0", "a3"})
    reasons = [(item.annotator, item.rule) for item in report.metadata.exclusions]
    assert reasons == [
        ("a0", "min_median_seconds"),
        ("a3", "exclude"),
        ("a3", "min_agreement"),
    ]


def test_rules_that_only_mark_leave_every_rating_in(frame):
    """The table marks what each rule would remove even when it is not applied."""
    agreement = _agreement_by_hand(frame)
    report = _built(
        frame,
        min_agreement=_between_lowest(agreement),
        min_median_seconds=5.0,
        annotator_rules="mark",
    )
    assert _figures(report) == _figures(_built(frame))
    assert report.metadata.exclusions == ()
    rows = {row.annotator: row for row in report.annotators}
    assert rows["a3"].below_min_agreement
    assert rows["a0"].below_min_median_seconds
    assert not any(row.excluded for row in rows.values())
    # A name is still left out: marking concerns the rules only.
    named = _built(frame, exclude=("a1",), min_agreement=0.99, annotator_rules="mark")
    _assert_without(frame, named, {"a1"})
    assert all(row.below_min_agreement for row in named.annotators)
    assert [row.annotator for row in named.annotators if row.excluded] == ["a1"]


def test_an_annotator_without_a_value_is_never_flagged(frame):
    frame = frame.copy()
    frame.loc[frame["annotator"] == "a2", "seconds"] = np.nan
    alone = frame["comparison_id"] == 0
    frame.loc[alone, "annotator"] = ["solo", "a0", "a1"]  # solo shares no pair...
    frame.loc[alone, "comparison_id"] = [1000, 0, 0]  # ...with anyone
    report = _built(frame, min_agreement=1.0, min_median_seconds=1000.0)
    rows = {row.annotator: row for row in report.annotators}
    assert rows["solo"].agreement is None
    assert not rows["solo"].below_min_agreement
    assert rows["a2"].median_seconds is None
    assert not rows["a2"].below_min_median_seconds
    assert rows["a2"].below_min_agreement


def test_an_unknown_name_is_refused_naming_exclude_and_the_name(frame):
    with pytest.raises(UnknownAnnotator, match=r"^exclude: .*'nobody'"):
        _built(frame, exclude=("a1", "nobody"))


@settings(max_examples=10, deadline=None)
@given(
    s.integers(0, 1000),
    s.sets(s.sampled_from(["a0", "a1", "a2", "a3"]), min_size=1, max_size=3),
    s.sampled_from(["majority", "mean", "rating"]),
)
def test_any_names_left_out_equal_a_frame_without_them(seed, names, rule):
    frame = _frame(seed, n_prompts=12)
    report = _built(frame, exclude=tuple(names), aggregation=rule)
    kept = frame[~frame["annotator"].isin(names)]
    assert _figures(report) == _figures(_built(kept, aggregation=rule))
    assert {item.annotator for item in report.metadata.exclusions} == names
