"""A pair excluded by a flag review leaves every report figure, as if its ratings
were absent, and the report's metadata says so."""

import io

import pandas as pd
import pytest
from django.utils import timezone

from annotations.models import Assignment, Comparison
from annotations.services.flag_reviews import flag_review_record
from judges.models import Judge
from reports import selectors
from reports.evaluation_judges import judge_reports
from reports.evaluation_reports import evaluation_report
from reports.preference_rows import preference_ratings
from reports.report_options import ReportOptions
from reports.values import ExcludedPair, FlagReviews
from tests.factories import AssignmentFactory, UserFactory

from .builders import head_to_head, tournament
from .test_judge_reports import _store
from .test_likert_report import likert  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
OPTIONS = ReportOptions(resamples=200, seed=5)


def _flag_and_exclude(comparison, reviewer) -> None:
    AssignmentFactory(
        comparison=comparison,
        annotator=UserFactory(),
        state=Assignment.State.FLAGGED,
        ended_at=timezone.now(),
        comment="the baseline's answer is cut off",
    )
    flag_review_record(comparison_id=comparison.pk, action="exclude", reviewer=reviewer)


def _figures(report) -> dict:
    """The report's JSON but for what differs between two builds of equal data."""
    data = report.to_json()
    del data["metadata"]["generated_at"], data["metadata"]["flag_reviews"]
    return data


@pytest.mark.parametrize("build", [head_to_head, tournament])
def test_an_excluded_pair_counts_as_if_its_ratings_were_absent(admin_user, build):
    evaluation = build()
    pair = evaluation.comparisons.order_by("id")[3]
    _flag_and_exclude(pair, admin_user)
    excluded = evaluation_report(evaluation, OPTIONS, use_cache=False)
    excluded_pair = ExcludedPair(pair.pk, pair.prompt.external_id)

    pair.delete()  # the same data without that pair
    absent = evaluation_report(evaluation, OPTIONS, use_cache=False)

    assert _figures(excluded) == _figures(absent)
    assert excluded.metadata.flag_reviews == FlagReviews(
        excluded=1, excluded_pairs=(excluded_pair,)
    )
    assert absent.metadata.flag_reviews == FlagReviews()


def test_excluded_pair_leaves_the_headline_and_the_downloads(
    client, admin_user, researcher
):
    """builders.SCORES: 6 wins, 4 ties, 2 losses over 12 prompts (majority). Prompt 3
    scores (1, 2, -3): win, win, loss, a win; without it 5 wins of 11."""
    evaluation = head_to_head()
    pair = evaluation.comparisons.order_by("id")[3]
    _flag_and_exclude(pair, admin_user)

    report = evaluation_report(evaluation, OPTIONS, use_cache=False)
    assert report.headline.n_prompts == 11
    assert report.headline.win == pytest.approx(5 / 11)
    # 36 ratings, 9 "about the same" (score 0, left out by default), and the
    # excluded pair's 3 (none of them 0): 24.
    assert len(preference_ratings([evaluation.pk])) == 36 - 9 - 3

    client.force_login(researcher)
    body = client.get(f"/api/reports/{evaluation.pk}/").json()
    assert body["metadata"]["flag_reviews"] == {
        "excluded": 1,
        "kept": 0,
        "reopened": 0,
        "excluded_pairs": [
            {"comparison_id": pair.pk, "prompt_external_id": pair.prompt.external_id}
        ],
    }
    pairs = client.get(f"/api/reports/{evaluation.pk}/pairs.csv")
    assert len(pd.read_csv(io.BytesIO(pairs.content))) == 11
    ratings = client.get(f"/api/reports/{evaluation.pk}/ratings.parquet")
    assert pair.pk not in set(
        pd.read_parquet(io.BytesIO(ratings.content))["comparison_id"]
    )
    page = client.get(f"/reports/{evaluation.pk}/")
    assert b'id="flag-reviews"' in page.content


def test_reopening_brings_the_pair_back_into_the_report(admin_user):
    evaluation = head_to_head()
    pair = evaluation.comparisons.order_by("id")[3]
    _flag_and_exclude(pair, admin_user)
    flag_review_record(comparison_id=pair.pk, action="reopen", reviewer=admin_user)
    report = evaluation_report(evaluation, OPTIONS, use_cache=False)
    assert report.headline.n_prompts == 12
    assert selectors.flag_reviews(evaluation.pk) == FlagReviews(reopened=1)


def test_judges_comparisons_with_humans_leave_the_excluded_pair_out(admin_user):
    evaluation = head_to_head()
    _store(evaluation, Judge.objects.create(name="judge-x", description="A judge."))
    pair = evaluation.comparisons.order_by("prompt__external_id")[3]
    _flag_and_exclude(pair, admin_user)
    excluded = judge_reports(evaluation, OPTIONS).to_json()
    pair.delete()
    absent = judge_reports(evaluation, OPTIONS).to_json()
    del excluded["generated_at"], absent["generated_at"]
    assert excluded == absent
    assert excluded["judges"][0]["majority"]["n"] == 10  # 11 judged pairs, less one


def test_a_single_response_report_leaves_the_excluded_pair_out(
    likert,  # noqa: F811 (the fixture imported above)
    admin_user,
    client,
    researcher,
):
    """test_likert_report.RATINGS: Alpaca's prompt 1 (4, 4, 4) excluded leaves
    (7, 6, 5): mean 6 over 3 ratings; 12 - 3 = 9 ratings in all."""
    pair = Comparison.objects.get(
        evaluation=likert,
        prompt__categories=["code", "math"],
        candidate_generation__chat_model__name="Alpaca",
    )
    _flag_and_exclude(pair, admin_user)
    client.force_login(researcher)
    body = client.get(f"/api/reports/{likert.pk}/", {"seed": 3}).json()
    assert body["n_ratings"] == 9
    alpaca = next(row for row in body["by_model"] if row["chat_model"] == "Alpaca")
    assert (alpaca["n"], alpaca["mean"]) == (3, 6)
    assert body["evaluation"]["flag_reviews"]["excluded"] == 1
    page = client.get(f"/reports/{likert.pk}/").content.decode()
    assert f"pair {pair.pk} (prompt {pair.prompt.external_id})" in page
