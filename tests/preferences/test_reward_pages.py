"""The reward-model report's pages, CSV tables, figures and JSON: researchers read
them, annotators may not."""

import csv
import io

import pytest

from annotations.models import Evaluation
from generations.models import RewardScore
from tests.factories import ComparisonFactory, EvaluationFactory, RatingFactory


@pytest.fixture
def evaluation(db):
    """One pair, rated twice with safety labels; the candidate scores 1.5 (logit),
    the baseline -0.5. One rating chose the candidate, one the baseline."""
    item = EvaluationFactory(
        name="=rm-eval", scale=Evaluation.Scale.PREFERENCE, safety_labels=True
    )
    pair = ComparisonFactory(evaluation=item)
    for generation, score in ((pair.candidate_generation, 1.5),
                              (pair.baseline_generation, -0.5)):  # fmt: skip
        RewardScore.objects.create(
            generation=generation, reward_model="=rm", score=score, kind="logit"
        )
    for choice, labels in ((3, ("safe", "unsafe")), (-1, ("safe", "unsafe"))):
        RatingFactory(comparison=pair, scale="preference", choice=choice,
                      safety_a=labels[0], safety_b=labels[1])  # fmt: skip
    return item


URLS = [
    "/reports/{pk}/reward/",
    "/reports/{pk}/reward/accuracy.csv",
    "/reports/{pk}/reward/safety.csv",
    "/reports/{pk}/reward/recall.csv",
    "/reports/{pk}/reward/histogram.csv?split=true",
    "/reports/{pk}/reward/likert.csv",
    "/reports/{pk}/reward/figures/accuracy.png",
    "/reports/{pk}/reward/figures/safety.svg",
    "/reports/{pk}/reward/figures/histogram.png?split=true",
    "/reports/{pk}/reward/figures/histogram.svg",
    "/reports/{pk}/reward/figures/likert.png",
    "/api/reports/{pk}/reward/",
]


@pytest.mark.parametrize("url", URLS)
def test_researchers_read_and_annotators_may_not(client, researcher, annotator,
                                                 evaluation, url):  # fmt: skip
    client.force_login(annotator)
    assert client.get(url.format(pk=evaluation.pk)).status_code == 403
    client.force_login(researcher)
    response = client.get(url.format(pk=evaluation.pk))
    assert response.status_code == 200
    kind = url.split("?")[0].rsplit(".", 1)[-1]
    expected = {
        "csv": "text/csv; charset=utf-8",
        "png": "image/png",
        "svg": "image/svg+xml",
    }
    if kind in expected:
        assert response["Content-Type"] == expected[kind]
        assert response.content


def test_the_page_shows_the_tables(client, researcher, evaluation):
    client.force_login(researcher)
    page = client.get(f"/reports/{evaluation.pk}/reward/").content.decode()
    # Per rating: the strength-3 rating is correct, the strength-1 rating not.
    assert "Table 28" in page
    assert "=rm (logit)" in page
    assert 'title="1 of 1 correct">100.0%' in page
    assert 'title="0 of 1 correct">0.0%' in page
    assert 'id="reward-recall"' in page


def test_the_accuracy_csv(client, researcher, evaluation):
    client.force_login(researcher)
    body = client.get(f"/reports/{evaluation.pk}/reward/accuracy.csv").content
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    by_group = {(r["basis"], r["group"]): r for r in rows}
    assert by_group[("per rating", "better")]["accuracy"] == "1.0"
    assert by_group[("per rating", "negligibly better / unsure")]["accuracy"] == "0.0"
    assert by_group[("per rating", "average")]["n"] == "2"
    # An even split has no majority: no majority rows.
    assert {r["basis"] for r in rows} == {"per rating"}
    # Names that a spreadsheet would read as formulas are quoted.
    assert {r["reward_model"] for r in rows} == {"'=rm"}


def test_the_recall_csv_states_the_threshold(client, researcher, evaluation):
    client.force_login(researcher)
    url = f"/reports/{evaluation.pk}/reward/recall.csv?threshold=0.2"
    rows = list(csv.DictReader(io.StringIO(client.get(url).content.decode())))
    # The baseline, labelled unsafe twice, has a logit of -0.5 (0.38): flagged at
    # 0.5, not at 0.2.
    assert [(r["basis"], r["threshold"], r["unsafe"], r["flagged"]) for r in rows] == [
        ("per rating", "0.2", "2", "0")
    ]


def test_the_json_report(client, researcher, evaluation):
    client.force_login(researcher)
    data = client.get(f"/api/reports/{evaluation.pk}/reward/").json()
    assert data["kinds"] == {"=rm": "logit"}
    assert data["recall"][0]["flagged"] == 2
    assert data["accuracy"][0]["cells"][-1] == {
        "group": "average", "n": 2, "correct": 1, "accuracy": 0.5, "missing": 0,
    }  # fmt: skip
    assert data["definitions"]


@pytest.mark.parametrize(
    "url",
    [
        "/reports/{pk}/reward/?threshold=2",
        "/reports/{pk}/reward/accuracy.csv?bins=1",
        "/reports/{pk}/reward/accuracy.csv?bins=\u00b2",  # isdigit, not int
        "/reports/{pk}/reward/accuracy.csv?bins=" + "9" * 5000,
        "/reports/{pk}/reward/figures/likert.png?split=perhaps",
        "/api/reports/{pk}/reward/?threshold=abc",
    ],
)
def test_bad_options_are_400(client, researcher, evaluation, url):
    client.force_login(researcher)
    response = client.get(url.format(pk=evaluation.pk))
    assert response.status_code == 400
    option = url.split("?")[1].split("=")[0]
    assert option in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/reports/{pk}/reward/other.csv",
        "/reports/{pk}/reward/figures/other.png",
        "/reports/{pk}/reward/figures/likert.gif",
        "/reports/999999/reward/",
    ],
)
def test_unknown_files_are_404(client, researcher, evaluation, url):
    client.force_login(researcher)
    assert client.get(url.format(pk=evaluation.pk)).status_code == 404


def test_the_evaluation_page_links_to_the_reward_report(client, researcher):
    # A seven-point evaluation: its preferences count for reward models too.
    pair = ComparisonFactory(evaluation=EvaluationFactory(scale="seven"))
    RatingFactory(comparison=pair, scale="seven", choice=2)
    client.force_login(researcher)
    page = client.get(f"/reports/{pair.evaluation_id}/").content.decode()
    assert f'href="/reports/{pair.evaluation_id}/reward/"' in page


@pytest.mark.parametrize(
    ("scale", "linked", "note"),
    [
        ("three", False, "Three-point ratings (A / tie / B) say which response"),
        ("likert", True, "only the mean score per Likert rating applies"),
        ("preference", True, None),
    ],
)
def test_the_page_says_what_applies_to_the_scale(client, researcher, scale, linked,
                                                 note):  # fmt: skip
    single = {"kind": "single", "candidate": None, "baseline": None}
    evaluation = EvaluationFactory(scale=scale, **(single if scale == "likert" else {}))
    client.force_login(researcher)
    report = client.get(f"/reports/{evaluation.pk}/").content.decode()
    assert ('id="reward-link"' in report) is linked
    page = client.get(f"/reports/{evaluation.pk}/reward/").content.decode()
    assert ('id="reward-scale-note"' in page) is (note is not None)
    if note:
        assert note in page
