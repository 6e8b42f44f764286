"""The Likert report of a single-response evaluation: page, JSON, CSV, command; and
the pairwise report's paths refusing such an evaluation cleanly."""

import io
import json

import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotations.models import Comparison, Rating
from annotations.services.single_evaluations import single_evaluation_create
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
    UserFactory,
)

# Per chat model, per prompt: the three annotators' ratings.
RATINGS = {
    "Alpaca": {0: [7, 6, 5], 1: [4, 4, 4]},  # mean 30 / 6 = 5
    "=Bison": {0: [1, 2, 3], 1: [2, 2, 2]},  # mean 12 / 6 = 2; a formula-like name
}
CATEGORIES = {0: ["code"], 1: ["code", "math"]}


@pytest.fixture
def likert(db):
    prompt_set = PromptSetFactory(name="likert-prompts")
    models = {name: ChatModelFactory(name=name) for name in RATINGS}
    prompts = {
        index: PromptFactory(prompt_set=prompt_set, categories=categories)
        for index, categories in CATEGORIES.items()
    }
    for prompt in prompts.values():
        for model in models.values():
            GenerationFactory(prompt=prompt, chat_model=model)
    evaluation = single_evaluation_create(
        name="quality", prompt_set=prompt_set, chat_models=list(models.values())
    ).evaluation
    annotators = [UserFactory(username=f"rater{i}") for i in range(3)]
    for name, by_prompt in RATINGS.items():
        for index, scores in by_prompt.items():
            comparison = Comparison.objects.get(
                evaluation=evaluation,
                prompt=prompts[index],
                candidate_generation__chat_model=models[name],
            )
            for annotator, score in zip(annotators, scores, strict=True):
                Rating.objects.create(
                    comparison=comparison,
                    annotator=annotator,
                    scale="likert",
                    choice=score,
                    candidate_on_left=True,
                    score=score,
                    created_at=comparison.created_at,
                )
    return evaluation


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


def _by_model(body: dict) -> dict:
    return {row["chat_model"]: row for row in body["by_model"]}


def test_api_report_has_means_distribution_and_agreement(likert, researcher):
    api = APIClient()
    api.force_authenticate(researcher)
    response = api.get(reverse("api-report", args=[likert.pk]), {"seed": 3})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["n_ratings"] == 12
    rows = _by_model(body)
    assert rows["Alpaca"]["mean"] == pytest.approx(5.0)
    assert rows["=Bison"]["mean"] == pytest.approx(2.0)
    assert rows[""]["mean"] == pytest.approx(42 / 12)
    assert rows["Alpaca"]["shares"] == pytest.approx(
        [0, 0, 0, 3 / 6, 1 / 6, 1 / 6, 1 / 6]
    )
    assert rows["=Bison"]["n_prompts"] == 2
    # Two prompts with means 6 and 4: the clustered interval lies between them.
    assert 4 <= rows["Alpaca"]["low"] < 5 < rows["Alpaca"]["high"] <= 6
    categories = {(r["category"], r["chat_model"]): r for r in body["by_category"]}
    assert categories["math", "Alpaca"]["mean"] == pytest.approx(4.0)
    assert categories["code", "Alpaca"]["n"] == 6
    agreement = {row["chat_model"]: row for row in body["agreement"]}
    # Alpaca: (7,6) (7,5) (6,5) then three equal pairs: 5 of 6 within one point.
    assert agreement["Alpaca"]["within_one"] == pytest.approx(5 / 6)
    assert agreement["Alpaca"]["exact"] == pytest.approx(3 / 6)
    assert agreement[""]["n_pairs"] == 12
    assert agreement[""]["alpha"] is not None
    assert body["options"] == {"resamples": 1000, "seed": 3, "level": 0.95}
    bad = api.get(reverse("api-report", args=[likert.pk]), {"resamples": "-1"})
    assert bad.status_code == 400
    assert "resamples" in bad.json()["detail"]


def test_report_page_shows_the_likert_tables(likert, researcher_client):
    response = researcher_client.get(reverse("reports:evaluation", args=[likert.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "By chat model" in html
    assert 'id="likert-categories"' in html
    assert '<td class="num mean">5.00</td>' in html
    assert '<td class="num mean">2.00</td>' in html
    assert "Krippendorff" in html
    assert "Win / (win + loss)" not in html


def test_without_resamples_the_means_stay_and_the_intervals_go(
    likert, researcher_client
):
    url = reverse("reports:evaluation", args=[likert.pk])
    page = researcher_client.get(url, {"resamples": 0})
    assert page.status_code == 200
    assert '<td class="num mean">5.00</td>' in page.content.decode()
    body = researcher_client.get(
        reverse("api-report", args=[likert.pk]), {"resamples": 0}
    ).json()
    alpaca = _by_model(body)["Alpaca"]
    assert alpaca["mean"] == pytest.approx(5.0)
    assert alpaca["low"] is None
    assert alpaca["high"] is None
    assert body["options"]["resamples"] == 0


def test_the_ratings_links_carry_no_options(likert, researcher_client):
    """The ratings files ignore the options (every rating as collected), so their
    links leave them out, as on a pairwise report's page; the report's keep them."""
    url = reverse("reports:evaluation", args=[likert.pk])
    html = researcher_client.get(url, {"seed": 2}).content.decode()
    for name in ("ratings.csv", "ratings.parquet"):
        assert f'href="{reverse("reports:download", args=[likert.pk, name])}"' in html
    report = reverse("reports:download", args=[likert.pk, "report.csv"])
    assert f'href="{report}?seed=2"' in html


@pytest.mark.parametrize(
    ("name", "value"),
    [("exclude", "ann-1"), ("min_agreement", "0.5"), ("min_median_seconds", "3")],
)
def test_annotator_filters_are_refused_not_ignored(
    likert, researcher_client, name, value
):
    """The Likert report counts every rating: a filter asked for was ignored, and
    the report and its files still counted the annotator left out."""
    for url in (
        reverse("reports:evaluation", args=[likert.pk]),
        reverse("reports:download", args=[likert.pk, "report.csv"]),
        f"/api/reports/{likert.pk}/",
    ):
        response = researcher_client.get(url, {name: value})
        assert response.status_code == 400, url
        assert name in response.content.decode()


def test_csv_download_is_one_safe_table(likert, researcher_client):
    url = reverse("reports:download", args=[likert.pk, "report.csv"])
    response = researcher_client.get(url)
    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(response.content), keep_default_na=False)
    models = frame[frame["scope"] == "chat_model"].set_index("chat_model")
    assert float(models.loc["'=Bison", "mean"]) == pytest.approx(2.0)
    assert models.loc["(all)", "n"] == 12
    assert float(models.loc["Alpaca", "within_one"]) == pytest.approx(5 / 6)
    assert set(frame["scope"]) == {"chat_model", "category"}
    assert len(frame[frame["scope"] == "category"]) == 4


def test_csv_download_writes_the_rating_pairs_as_integers(likert, researcher_client):
    url = reverse("reports:download", args=[likert.pk, "report.csv"])
    response = researcher_client.get(url)
    frame = pd.read_csv(io.BytesIO(response.content), dtype=str, keep_default_na=False)
    counts = frame.loc[frame["scope"] == "chat_model", "n_rating_pairs"]
    assert counts.str.isdigit().all()  # "6", not "6.0"
    assert (frame.loc[frame["scope"] == "category", "n_rating_pairs"] == "").all()


def test_ratings_download_of_a_single_response_evaluation(likert, researcher_client):
    url = reverse("reports:download", args=[likert.pk, "ratings.csv"])
    response = researcher_client.get(url)
    assert response.status_code == 200
    frame = pd.read_csv(io.BytesIO(response.content))
    assert len(frame) == 12
    assert set(frame["scale"]) == {"likert"}
    assert frame["baseline"].isna().all()


def test_report_command_writes_the_likert_report(likert):
    out = io.StringIO()
    call_command("report", "quality", stdout=out)
    assert _by_model(json.loads(out.getvalue()))["Alpaca"]["mean"] == 5.0


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("reports:download", ["pairs.csv"]),
        ("reports:figure", ["headline", "png"]),
        ("reports:disagreements", []),
    ],
)
def test_pairwise_pages_refuse_a_single_response_evaluation(
    likert, researcher_client, name, args
):
    response = researcher_client.get(reverse(name, args=[likert.pk, *args]))
    assert response.status_code == 400
    assert b"single-response" in response.content


def test_pairwise_api_paths_refuse_cleanly(likert, researcher):
    api = APIClient()
    api.force_authenticate(researcher)
    status = api.get(reverse("api-report-status", args=[likert.pk]))
    assert status.status_code == 400
    assert "single-response" in status.json()["detail"]
    pairs = api.get(reverse("api-report-file", args=[likert.pk, "pairs.csv"]))
    assert pairs.status_code == 400
    report = api.get(reverse("api-report-file", args=[likert.pk, "report.json"]))
    assert report.status_code == 200
    assert json.loads(report.content)["n_ratings"] == 12


def test_pair_prompt_and_progress_pages_show_the_one_response(
    likert, researcher_client
):
    comparison = Comparison.objects.filter(evaluation=likert).first()
    pair = researcher_client.get(
        reverse("reports:pair", args=[likert.pk, comparison.pk])
    )
    assert pair.status_code == 200
    assert comparison.candidate_generation.text in pair.content.decode()
    assert " vs " not in pair.content.decode()
    prompts = researcher_client.get(reverse("reports:prompts", args=[likert.pk]))
    assert prompts.status_code == 200
    assert "Alpaca vs" not in prompts.content.decode()
    progress = researcher_client.get(reverse("annotations:progress", args=[likert.pk]))
    assert "Single responses rated 1 to 7" in progress.content.decode()
    explorer = researcher_client.get(
        reverse("reports:prompt", args=[comparison.prompt_id])
    )
    assert explorer.status_code == 200
