"""Quality-control figures per annotator, and the warnings their thresholds raise.

Pure functions over plain dataclasses (no Django): ``annotations.selectors`` gathers
the answers, ``annotations.services.quality`` acts on the warnings. Definitions
(docs/quality-control.md says the same, with the formulas):

- an *answer* is a rating or an answered quality task (gold or repeat); ``choice``
  is as shown (positive prefers Model A, on the left), ``score`` from the
  candidate's point of view; the *sign* of a score is -1, 0 (a tie) or +1;
- *gold accuracy*: among answered gold tasks, the share whose score has the gold
  pair's expected sign and, when the pair has a ``min_strength``, |score| at least
  that (an expected tie needs score 0);
- *self-consistency*: among answered repeat tasks, the share whose score (the
  candidate's view, so the swapped sides cancel) has the same sign as the current
  score of the repeated rating;
- *agreement*: among the annotator's ratings of pairs that others rated too, the
  share whose sign equals the others' majority sign: the sign most of the other
  ratings of the pair have; a pair whose others split evenly between the most
  common signs is left out. On the Likert scale the value itself stands for the sign;
- *median seconds* over the timed answers; *fast share*: the share of timed answers
  under ``min_seconds``;
- *tie share*: the share of answers choosing 0, on scales with a tie;
- *side bias*: (answers choosing A - answers choosing B) / (decisive answers), as
  shown; not on the Likert scale (one response, no sides).
A figure without the answers it needs is None, and None never warns. Thresholds
apply once an annotator has ``min_answers`` answers.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RatingAnswer:
    """One rating: who rated which pair, as shown and from the candidate's view."""

    annotator_id: int
    comparison_id: int
    choice: int
    score: int
    seconds: float | None = None


@dataclass(frozen=True)
class GoldAnswer:
    """An answered gold task with its pair's expected sign (-1, 0, +1)."""

    annotator_id: int
    choice: int
    score: int
    expected: int
    min_strength: int | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class RepeatAnswer:
    """An answered repeat task with the current score of the rating it repeats."""

    annotator_id: int
    choice: int
    score: int
    original_score: int
    seconds: float | None = None


@dataclass(frozen=True)
class Thresholds:
    """An evaluation's quality-control settings; None turns a check off."""

    min_answers: int = 10
    min_seconds: float | None = None
    min_gold_accuracy: float | None = None
    min_self_consistency: float | None = None
    min_agreement: float | None = None
    max_fast_share: float | None = None
    max_tie_share: float | None = None
    max_side_bias: float | None = None
    has_ties: bool = True
    has_sides: bool = True


@dataclass(frozen=True)
class QualityWarning:
    figure: str
    value: float
    threshold: float
    message: str


@dataclass(frozen=True)
class Share:
    """``hits`` of ``count``; ``value`` is None when ``count`` is 0."""

    hits: int
    count: int

    @property
    def value(self) -> float | None:
        return self.hits / self.count if self.count else None


@dataclass(frozen=True)
class AnnotatorQuality:
    annotator_id: int
    ratings: int
    answers: int
    gold: Share
    repeats: Share
    agreement: Share
    median_seconds: float | None
    fast: Share
    ties: Share
    a_answers: int
    b_answers: int
    warnings: tuple[QualityWarning, ...] = ()

    @property
    def side_bias(self) -> float | None:
        decisive = self.a_answers + self.b_answers
        return (self.a_answers - self.b_answers) / decisive if decisive else None


def sign(value: int) -> int:
    return (value > 0) - (value < 0)


def gold_correct(answer: GoldAnswer) -> bool:
    if sign(answer.score) != answer.expected:
        return False
    return answer.min_strength is None or abs(answer.score) >= answer.min_strength


def others_majorities(
    ratings: Iterable[RatingAnswer], *, has_sides: bool = True
) -> dict[tuple[int, int], int]:
    """For each (annotator, pair) whose pair others rated too, the others' majority
    outcome (sign; the value itself when ``has_sides`` is false); a pair whose
    others are split evenly between their most common outcomes is left out."""
    by_pair: dict[int, list[RatingAnswer]] = defaultdict(list)
    for rating in ratings:
        by_pair[rating.comparison_id].append(rating)
    majorities = {}
    for comparison_id, pair in by_pair.items():
        everyone = Counter(_outcome(rating.score, has_sides) for rating in pair)
        for rating in pair:
            # One rating per annotator and pair (Rating's unique constraint): the
            # others are everyone but this rating.
            others = everyone.copy()
            others[_outcome(rating.score, has_sides)] -= 1
            counts = [item for item in others.most_common() if item[1] > 0]
            if counts and (len(counts) == 1 or counts[0][1] > counts[1][1]):
                majorities[(rating.annotator_id, comparison_id)] = counts[0][0]
    return majorities


def _outcome(score: int, has_sides: bool) -> int:
    return sign(score) if has_sides else score


def annotator_quality(
    *,
    annotator_id: int,
    ratings: Iterable[RatingAnswer],
    golds: Iterable[GoldAnswer] = (),
    repeats: Iterable[RepeatAnswer] = (),
    thresholds: Thresholds = Thresholds(),
) -> AnnotatorQuality:
    """One annotator's figures. ``ratings`` holds every rating of the pairs the
    annotator rated (theirs and the others', for agreement); ``golds`` and
    ``repeats`` may hold other annotators' answers, which are passed over."""
    return evaluation_quality(
        ratings=ratings, golds=golds, repeats=repeats, thresholds=thresholds
    ).get(annotator_id) or _figures(annotator_id, [], [], [], {}, thresholds)


def evaluation_quality(
    *,
    ratings: Iterable[RatingAnswer],
    golds: Iterable[GoldAnswer] = (),
    repeats: Iterable[RepeatAnswer] = (),
    thresholds: Thresholds = Thresholds(),
) -> dict[int, AnnotatorQuality]:
    """The figures of every annotator with an answer, by annotator id."""
    ratings = list(ratings)
    majorities = others_majorities(ratings, has_sides=thresholds.has_sides)
    own: dict[int, list] = defaultdict(list)
    own_golds: dict[int, list] = defaultdict(list)
    own_repeats: dict[int, list] = defaultdict(list)
    for rating in ratings:
        own[rating.annotator_id].append(rating)
    for gold in golds:
        own_golds[gold.annotator_id].append(gold)
    for repeat in repeats:
        own_repeats[repeat.annotator_id].append(repeat)
    ids = set(own) | set(own_golds) | set(own_repeats)
    return {
        annotator_id: _figures(
            annotator_id,
            own[annotator_id],
            own_golds[annotator_id],
            own_repeats[annotator_id],
            majorities,
            thresholds,
        )
        for annotator_id in sorted(ids)
    }


def _figures(
    annotator_id: int,
    ratings: list[RatingAnswer],
    golds: list[GoldAnswer],
    repeats: list[RepeatAnswer],
    majorities: dict[tuple[int, int], int],
    thresholds: Thresholds,
) -> AnnotatorQuality:
    answers = [*ratings, *golds, *repeats]
    timed = [a.seconds for a in answers if a.seconds is not None]
    compared = [
        _outcome(r.score, thresholds.has_sides)
        == majorities[(annotator_id, r.comparison_id)]
        for r in ratings
        if (annotator_id, r.comparison_id) in majorities
    ]
    floor = thresholds.min_seconds
    quality = AnnotatorQuality(
        annotator_id=annotator_id,
        ratings=len(ratings),
        answers=len(answers),
        gold=Share(sum(gold_correct(g) for g in golds), len(golds)),
        repeats=Share(
            sum(sign(r.score) == sign(r.original_score) for r in repeats), len(repeats)
        ),
        agreement=Share(sum(compared), len(compared)),
        median_seconds=statistics.median(timed) if timed else None,
        fast=Share(sum(s < floor for s in timed), len(timed))
        if floor is not None
        else Share(0, 0),
        ties=Share(sum(a.choice == 0 for a in answers), len(answers))
        if thresholds.has_ties
        else Share(0, 0),
        a_answers=sum(a.choice > 0 for a in answers) if thresholds.has_sides else 0,
        b_answers=sum(a.choice < 0 for a in answers) if thresholds.has_sides else 0,
    )
    return _with_warnings(quality, thresholds)


def _fast_words(min_seconds: float | None) -> str:
    """The fast share in words: "1.00" after "minimum seconds" read as the minimum."""
    if min_seconds is None:
        return "share of answers faster than the minimum time"
    return f"share of answers under {min_seconds:g} s"


def _with_warnings(
    quality: AnnotatorQuality, thresholds: Thresholds
) -> AnnotatorQuality:
    if quality.answers < thresholds.min_answers:
        return quality
    bias = quality.side_bias
    checks = [
        ("gold_accuracy", "gold accuracy", quality.gold.value,
         thresholds.min_gold_accuracy, False),
        ("self_consistency", "self-consistency", quality.repeats.value,
         thresholds.min_self_consistency, False),
        ("agreement", "agreement with the others", quality.agreement.value,
         thresholds.min_agreement, False),
        ("fast_share", _fast_words(thresholds.min_seconds),
         quality.fast.value, thresholds.max_fast_share, True),
        ("tie_share", "tie share", quality.ties.value, thresholds.max_tie_share,
         True),
        ("side_bias", "side bias (|A - B| share)",
         None if bias is None else abs(bias), thresholds.max_side_bias, True),
    ]  # fmt: skip
    warnings = []
    for figure, words, value, threshold, is_max in checks:
        if value is None or threshold is None:
            continue
        if (value > threshold) if is_max else (value < threshold):
            bound = "over the maximum" if is_max else "under the minimum"
            warnings.append(
                QualityWarning(
                    figure,
                    value,
                    threshold,
                    f"{words} {value:.2f} is {bound} of {threshold:.2f}",
                )
            )
    return replace(quality, warnings=tuple(warnings))
