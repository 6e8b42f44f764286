"""Pairs whose ratings split: the statistic against a plain loop, the page with its
filters and pages, and the page of one pair with every rating."""

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as s

from annotations.models import Rating
from reports import disagreements
from reports import statistics as st
from reports.forms import DisagreementFilterForm

from .builders import head_to_head, tournament
from .test_properties import rating_frames


def _outcome(score: int, threshold: int) -> str:
    return "win" if score >= threshold else "loss" if score <= -threshold else "tie"


def _by_hand(scores_by_pair: dict, threshold: int) -> dict:
    """Per pair: (split, spread), from its scores in a plain loop."""
    result = {}
    for pair, scores in scores_by_pair.items():
        outcomes = {_outcome(score, threshold) for score in scores}
        result[pair] = (len(outcomes) > 1, max(scores) - min(scores))
    return result


@settings(max_examples=60, deadline=None)
@given(rating_frames(), s.sampled_from([1, 2]))
def test_pair_spread_equals_a_plain_loop(frame, threshold):
    table = st.pair_spread(frame, threshold=threshold)
    scores = defaultdict(list)
    for pair, score in zip(frame["comparison_id"], frame["score"], strict=True):
        scores[pair].append(int(score))
    expected = _by_hand(scores, threshold)
    assert list(table["comparison_id"]) == sorted(expected)
    for row in table.itertuples():
        assert (bool(row.split), int(row.spread)) == expected[row.comparison_id]
        assert row.n_ratings == len(scores[row.comparison_id])
        outcomes = [_outcome(score, threshold) for score in scores[row.comparison_id]]
        counts = (outcomes.count("win"), outcomes.count("tie"), outcomes.count("loss"))
        assert (row.wins, row.ties, row.losses) == counts


def test_split_pairs_filters_and_orders_by_spread():
    frame = pd.DataFrame(
        {
            "comparison_id": np.repeat([1, 2, 3, 4], 2),
            "score": [3, -3, 1, 0, 2, 2, 1, -1],
            "categories": [["a"]] * 2 + [["a", "b"]] * 2 + [["b"]] * 4,
            "num_turns": np.repeat([1, 2, 1, 2], 2),
        }
    )
    every = st.split_pairs(frame)
    assert list(every["comparison_id"]) == [1, 4, 2]  # spreads 6, 2, 1; 3 agrees
    assert list(every["scores"]) == [[-3, 3], [-1, 1], [0, 1]]
    assert list(st.split_pairs(frame, category="b")["comparison_id"]) == [4, 2]
    assert list(st.split_pairs(frame, num_turns=2)["comparison_id"]) == [4, 2]
    assert list(st.split_pairs(frame, min_spread=2)["comparison_id"]) == [1, 4]
    assert list(st.split_pairs(frame, threshold=2)["comparison_id"]) == [1]
    assert st.split_pairs(frame.iloc[:0]).empty


def test_filters_that_leave_no_pair_give_an_empty_table():
    frame = pd.DataFrame(
        {
            "comparison_id": np.repeat([1, 2], 2),
            "score": [3, -3, 2, 2],
            "categories": [["a"]] * 2 + [["c"]] * 2,  # "c": only the pair that agrees
            "num_turns": [1, 1, 2, 2],
        }
    )
    for filters in (
        {"category": "c"},
        {"category": "c", "num_turns": 2},
        {"category": "a", "num_turns": 2},
        {"category": "c", "threshold": 2},
    ):
        empty = st.split_pairs(frame, **filters)
        assert empty.empty, filters
        assert {"spread", "num_turns", "scores"} <= set(empty.columns), filters


# The pages ----------------------------------------------------------------------


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


def _expected(evaluation, threshold=1, category=None, turns=None, min_spread=0):
    """External ids of the evaluation's split pairs, filtered by hand."""
    found = []
    for comparison in evaluation.comparisons.select_related("prompt"):
        scores = [rating.score for rating in comparison.ratings.all()]
        if not scores:
            continue
        split, spread = _by_hand({0: scores}, threshold)[0]
        prompt = comparison.prompt
        if (
            split
            and spread >= min_spread
            and (category is None or category in prompt.categories)
            and (turns is None or prompt.num_turns == turns)
        ):
            found.append((-spread, comparison.pk, prompt.external_id))
    return [external_id for *_, external_id in sorted(found)]


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"threshold": 2},
        {"category": "dialogue"},
        {"turns": 2},
        {"min_spread": 4},
        {"category": "factual questions", "turns": 1, "min_spread": 2},
    ],
)
def test_the_page_lists_the_split_pairs_under_its_filters(
    researcher_client, h2h, filters
):
    url = reverse("reports:disagreements", args=[h2h.pk])
    response = researcher_client.get(url, filters)
    assert response.status_code == 200
    listed = [row["prompt"].external_id for row in response.context["rows"]]
    expected = _expected(h2h, **filters)
    assert listed == expected
    assert response.context["n_split"] == len(expected)
    html = response.content.decode()
    for comparison_id in (row["comparison_id"] for row in response.context["rows"]):
        assert reverse("reports:pair", args=[h2h.pk, comparison_id]) in html


def test_the_page_is_paginated_keeping_its_filters(researcher_client, h2h, monkeypatch):
    monkeypatch.setattr(disagreements, "PAGE_SIZE", 3)
    url = reverse("reports:disagreements", args=[h2h.pk])
    expected = _expected(h2h, category="dialogue")
    assert len(expected) > 3
    seen = []
    for number in (1, 2):
        response = researcher_client.get(url, {"category": "dialogue", "page": number})
        seen += [row["prompt"].external_id for row in response.context["rows"]]
    assert seen == expected[:6]
    first = researcher_client.get(url, {"category": "dialogue"}).content.decode()
    assert "?category=dialogue&amp;page=2" in first


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"category": "poetry"}, "category"),
        ({"turns": "0"}, "turns"),
        ({"turns": "two"}, "turns"),
        ({"min_spread": "-1"}, "min_spread"),
        ({"min_spread": "7"}, "min_spread"),
        ({"threshold": "3"}, "threshold"),
    ],
)
def test_bad_filters_are_a_400_naming_the_field(researcher_client, h2h, params, field):
    url = reverse("reports:disagreements", args=[h2h.pk])
    response = researcher_client.get(url, params)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}: ")
    assert response["Content-Type"].startswith("text/plain")


def test_the_pair_page_shows_every_rating_its_annotator_and_comment(
    researcher_client, h2h
):
    comparison = h2h.comparisons.order_by("id").first()  # scores 3, 2, -1
    for rating in comparison.ratings.select_related("annotator"):
        Rating.objects.filter(pk=rating.pk).update(
            comment=f"because of <{rating.annotator.username}>"
        )
    url = reverse("reports:pair", args=[h2h.pk, comparison.pk])
    response = researcher_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    rows = html.split('id="ratings"')[1].split("</table>")[0].split("<tr>")[2:]
    assert len(rows) == 3
    for row, (username, score, outcome) in zip(
        rows,
        [("ann-a", "+3", "win"), ("ann-b", "+2", "win"), ("ann-c", "-1", "loss")],
        strict=True,
    ):
        assert f"<td>{username}</td>" in row
        assert f">{score}</td><td>{outcome}</td>" in row
        assert f"because of &lt;{username}&gt;" in row
    assert "spread 4" in html
    assert comparison.candidate_generation.text in html
    assert comparison.baseline_generation.text in html
    assert reverse("reports:prompt", args=[comparison.prompt_id]) in html
    assert researcher_client.get(url, {"threshold": "5"}).status_code == 400


def test_a_pair_of_another_evaluation_is_not_found(researcher_client, h2h):
    other = head_to_head(name="other", annotators=("o-a", "o-b", "o-c"))
    comparison = other.comparisons.first()
    url = reverse("reports:pair", args=[h2h.pk, comparison.pk])
    assert researcher_client.get(url).status_code == 404


def test_the_report_links_to_the_disagreements(researcher_client, annotator, h2h):
    page = researcher_client.get(
        reverse("reports:evaluation", args=[h2h.pk]), {"resamples": 20, "threshold": 2}
    )
    url = reverse("reports:disagreements", args=[h2h.pk])
    # Every option of the report, its annotator filters included (a new-user pass:
    # the link kept only the threshold).
    assert f'href="{url}?resamples=20&amp;threshold=2"' in page.content.decode()
    researcher_client.force_login(annotator)
    assert researcher_client.get(url).status_code == 403


def test_an_evaluation_without_ratings_has_no_disagreements(researcher_client, db):
    empty = head_to_head(name="nothing-yet", scores=[])
    response = researcher_client.get(reverse("reports:disagreements", args=[empty.pk]))
    assert response.status_code == 200
    assert "No pair splits" in response.content.decode()


def test_a_tournament_s_page_speaks_of_models_not_a_candidate(researcher_client, db):
    arena = tournament()
    html = researcher_client.get(
        reverse("reports:disagreements", args=[arena.pk])
    ).content.decode()
    assert "first-named model's score" in html
    assert "candidate's score" not in html


def test_the_page_splits_the_ratings_the_report_counts(researcher_client, h2h):
    """The report's annotator filters apply: a pair split only by a left-out
    annotator is not listed, and the page says who was left out."""
    url = reverse("reports:disagreements", args=[h2h.pk])
    scores = defaultdict(list)
    for rating in Rating.objects.filter(comparison__evaluation=h2h).exclude(
        annotator__username="ann-c"
    ):
        scores[rating.comparison_id].append(rating.score)
    expected = {pair for pair, (split, _) in _by_hand(scores, 1).items() if split}
    response = researcher_client.get(url, {"exclude": "ann-c", "min_spread": "0"})
    assert response.status_code == 200
    listed = {row["comparison_id"] for row in response.context["rows"]}
    assert listed == expected
    assert listed != {
        row["comparison_id"] for row in researcher_client.get(url).context["rows"]
    }
    html = response.content.decode()
    assert "Left out by the report's annotator options: ann-c." in html
    # Submitting the filters again keeps the report's options.
    assert '<input type="hidden" name="exclude" value="ann-c">' in html
    unknown = researcher_client.get(url, {"exclude": "nobody"})
    assert unknown.status_code == 400
    assert unknown.content.decode().startswith("exclude: ")


def test_a_three_point_evaluation_refuses_threshold_2_as_the_report_does(
    researcher_client, db
):
    arena = tournament()  # three-point scale
    url = reverse("reports:disagreements", args=[arena.pk])
    refused = researcher_client.get(url, {"threshold": "2"})
    assert refused.status_code == 400
    assert refused.content.decode() == (
        "threshold: the three-point scale has one step each way; use 1"
    )


@pytest.mark.parametrize("number", ["0", "-1"])
def test_a_page_number_below_one_is_the_first_page(
    researcher_client, h2h, monkeypatch, number
):
    monkeypatch.setattr(disagreements, "PAGE_SIZE", 3)
    url = reverse("reports:disagreements", args=[h2h.pk])
    assert researcher_client.get(url, {"page": number}).context["page"].number == 1


def test_a_pair_opened_from_the_disagreements_leads_back_with_their_options(
    researcher_client, h2h
):
    """A new-user pass went back from a pair and lost ``exclude`` and the rest."""
    url = reverse("reports:disagreements", args=[h2h.pk])
    query = {"exclude": "ann-c", "min_spread": "1", "threshold": "1"}
    listing = researcher_client.get(url, query)
    row = listing.context["rows"][0]
    pair = reverse("reports:pair", args=[h2h.pk, row["comparison_id"]])
    html = listing.content.decode()
    assert f'href="{pair}?exclude=ann-c&amp;min_spread=1&amp;threshold=1"' in html
    back = researcher_client.get(pair, query).content.decode()
    assert f'href="{url}?exclude=ann-c&amp;min_spread=1&amp;threshold=1"' in back


def test_the_filters_follow_the_evaluation_s_scale(researcher_client, db):
    """A new-researcher pass: a three-point evaluation's filters offered threshold
    2 and spreads up to 6 (its scores spread at most 2); a preference evaluation's
    refused spreads 7 and 8, which its scores (+4 to -4) have."""
    arena = tournament()  # three-point scale
    html = researcher_client.get(
        reverse("reports:disagreements", args=[arena.pk])
    ).content.decode()
    threshold = html.split('name="threshold"')[1].split("</select>")[0]
    assert '<option value="2"' not in threshold
    assert 'name="min_spread" min="0" max="2"' in html
    three = DisagreementFilterForm({"min_spread": "3"}, categories=[], scale="three")
    assert not three.is_valid()
    preference = DisagreementFilterForm(
        {"min_spread": "8"}, categories=[], scale="preference"
    )
    assert preference.is_valid()


def test_the_pair_page_refuses_a_threshold_the_scale_has_not(researcher_client, db):
    """It showed every three-point rating as a tie under threshold 2."""
    arena = tournament()  # three-point scale
    comparison = arena.comparisons.first()
    url = reverse("reports:pair", args=[arena.pk, comparison.pk])
    refused = researcher_client.get(url, {"threshold": "2"})
    assert refused.status_code == 400
    assert refused.content.decode() == (
        "threshold: the three-point scale has one step each way; use 1"
    )
    assert researcher_client.get(url, {"threshold": "1"}).status_code == 200
