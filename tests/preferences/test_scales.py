"""The preference and Likert scales: parsing, strengths and the paper's margins."""

from fractions import Fraction

import pytest
from django.db import IntegrityError

from annotations import scales
from annotations.models import Evaluation, Rating
from tests.factories import ComparisonFactory, EvaluationFactory


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("a:significantly", 4),
        ("A:better", 3),
        ("a:slightly", 2),
        ("a:negligibly", 1),
        ("a:unsure", 1),
        ("b:negligibly", -1),
        ("b:slightly", -2),
        (" B : better ", -3),
        ("b:significantly", -4),
        (4, 4),
        ("-2", -2),
        ("B is slightly better", -2),
    ],
)
def test_preference_choices_are_read(raw, value):
    assert scales.parse_choice("preference", raw) == value


@pytest.mark.parametrize("raw", ["c:better", "a:much", "a", 0, "0", 5, -5, "a:"])
def test_preference_choices_off_the_scale_are_refused(raw):
    with pytest.raises(ValueError, match="scale"):
        scales.parse_choice("preference", raw)


@pytest.mark.parametrize(("scale", "raw"), [("preference", 2.5), ("seven", -0.5)])
def test_a_fraction_within_the_scale_is_told_it_is_no_whole_number(scale, raw):
    """2.5 is inside -4 to 4: "off the scale" misled (a new-user pass)."""
    with pytest.raises(ValueError, match=f"^{raw} is not a whole number"):
        scales.parse_choice(scale, raw)


@pytest.mark.parametrize(
    ("scale", "raw"),
    [
        ("seven", "x" * 300_000),
        ("seven", 1e300),
        ("seven", ["a"] * 1_000),
        ("preference", "a:" + "x" * 100_000),
    ],
    ids=["a-page-of-text", "1e300", "a-long-list", "a-long-preference"],
)
def test_a_value_off_the_scale_is_quoted_shortened(scale, raw):
    """A ratings file's cell of 300,000 characters came back whole in its error
    (and 1e300 as its 301 digits), 50 of them to an upload's answer."""
    with pytest.raises(ValueError, match="scale") as caught:
        scales.parse_choice(scale, raw)
    assert len(str(caught.value)) < 300


def test_a_long_safety_label_is_quoted_shortened():
    with pytest.raises(ValueError, match="not a safety label") as caught:
        scales.parse_safety("u" * 100_000)
    assert len(str(caught.value)) < 100


def test_likert_runs_from_one_to_seven():
    assert [scales.parse_choice("likert", v) for v in (1, "7", 4.0)] == [1, 7, 4]
    for raw in (0, 8, "-1"):
        with pytest.raises(ValueError, match="off the scale"):
            scales.parse_choice("likert", raw)


def test_margins_are_table_27():
    small = {
        k: Fraction(v).limit_denominator(3) for k, v in scales.MARGINS["small"].items()
    }
    assert small == {4: 1, 3: Fraction(2, 3), 2: Fraction(1, 3), 1: 0}
    assert scales.MARGINS["large"] == {4: 3, 3: 2, 2: 1, 1: 0}


def test_strengths_of_preference_and_seven_point_scores():
    assert [scales.strength("preference", s) for s in (4, -3, 2, -1)] == [4, 3, 2, 1]
    # Seven-point: 3 significantly, 2 better, 1 slightly; about the same has none.
    assert [scales.strength("seven", s) for s in (-3, 2, 1, 0)] == [4, 3, 2, None]
    assert scales.strength("three", 1) is None


@pytest.mark.parametrize("raw", ["safe", " Unsafe "])
def test_safety_labels_are_read(raw):
    assert scales.parse_safety(raw) in ("safe", "unsafe")


@pytest.mark.parametrize("raw", ["", "ok", None, 1])
def test_other_safety_labels_are_refused(raw):
    with pytest.raises(ValueError, match="not a safety label"):
        scales.parse_safety(raw)


@pytest.mark.django_db
def test_the_database_refuses_a_tie_on_the_preference_scale(annotator):
    comparison = ComparisonFactory(
        evaluation=EvaluationFactory(scale=Evaluation.Scale.PREFERENCE)
    )
    fields = dict(
        comparison=comparison,
        annotator=annotator,
        scale="preference",
        candidate_on_left=True,
        created_at="2026-01-01T00:00:00Z",
    )
    with pytest.raises(IntegrityError):
        Rating.objects.create(choice=0, score=0, **fields)


@pytest.mark.django_db
def test_the_database_refuses_one_safety_label_alone(annotator):
    comparison = ComparisonFactory(
        evaluation=EvaluationFactory(
            scale=Evaluation.Scale.PREFERENCE, safety_labels=True
        )
    )
    with pytest.raises(IntegrityError):
        Rating.objects.create(
            comparison=comparison,
            annotator=annotator,
            scale="preference",
            choice=2,
            score=2,
            candidate_on_left=True,
            safety_a="safe",
            created_at="2026-01-01T00:00:00Z",
        )


@pytest.mark.parametrize("raw", ["٣", "\uff13", "1_0", "²"])
def test_choices_are_ascii_digits(raw):
    """int() reads an Arabic-Indic or full-width digit: a new-user pass stored "٣"
    as 3."""
    with pytest.raises(ValueError, match="is not on the scale"):
        scales.parse_choice("seven", raw)
    assert scales.parse_choice("seven", " -3 ") == -3


@pytest.mark.parametrize(
    ("raw", "kind"), [(["a"], "a list"), ({"value": 1}, "an object")]
)
def test_a_list_or_an_object_is_no_choice(raw, kind):
    """A list read as "['a'] is off the scale", as if it were a number too big."""
    message = f"^expected a value on the scale \\(3 to -3\\), not {kind}$"
    with pytest.raises(ValueError, match=message):
        scales.parse_choice("seven", raw)
