"""The batch statistics page, its CSV, PNG and SVG, the API, and who may see them."""

import csv
import io

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import EvaluationFactory

from .batch_data import make_batch_data

PAGE, CSV = reverse("reports:batches"), reverse("reports:batches-csv")
PNG = reverse("reports:batches-figure", args=["png"])
SVG = reverse("reports:batches-figure", args=["svg"])
API = reverse("api-report-batches")


@pytest.fixture
def data(db):
    cache.clear()
    # A label that a spreadsheet would read as a formula.
    yield make_batch_data(batch="=HYPERLINK(1)")
    cache.clear()


def _query(data) -> dict:
    return {"evaluation": [data["labelled"].pk, data["weekly"].pk]}


def test_the_page_shows_each_batch_the_total_and_the_tokenizers(client, researcher,
                                                                data):  # fmt: skip
    client.force_login(researcher)
    response = client.get(PAGE, _query(data))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "2026-W01",
        "2026-W02",
        "=HYPERLINK(1)",
        "Total",
        "server-only",
        "tiktoken:cl100k_base",
        "(fallback)",
        "Significantly better",
    ):
        assert text in html  # fmt: skip
    # Total: 6 comparisons, 7/6 turns, 58.5/6 tokens per example.
    assert '<td class="num">6</td>' in html
    assert '<td class="num">1.2</td>' in html
    assert '<td class="num">9.8</td>' in html
    assert f"{PNG}?" in html
    assert f"{SVG}?" in html
    assert f"{CSV}?" in html


def test_the_csv_has_a_row_per_batch_and_the_total_safe_for_spreadsheets(
    client, researcher, data
):
    client.force_login(researcher)
    response = client.get(CSV, _query(data))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["batch"] for row in rows] == [
        "2026-W01", "2026-W02", "'=HYPERLINK(1)", "Total"
    ]  # fmt: skip
    total = rows[-1]
    assert int(total["comparisons"]) == 6
    assert float(total["tokens_per_prompt"]) == pytest.approx(4.0)
    assert float(total["tokens_per_response"]) == pytest.approx(5.75)
    assert float(total["significantly_better"]) == pytest.approx(1 / 3)
    assert float(total["negligibly_better_or_unsure"]) == 0
    assert "fallback for backend" in total["tokenizers"]


def test_the_figure_comes_as_png_and_svg(client, researcher, data):
    client.force_login(researcher)
    png = client.get(PNG, _query(data))
    assert png.status_code == 200
    assert png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = client.get(SVG, _query(data))
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    text = svg.content.decode()
    assert "<svg" in text
    assert "=HYPERLINK(1)" in text
    assert "2026-W02" in text
    assert client.get(reverse("reports:batches-figure", args=["gif"]),
                      _query(data)).status_code == 404  # fmt: skip


def test_the_api_answers_the_table_as_json(researcher, data):
    api = APIClient()
    api.force_authenticate(researcher)
    body = api.get(API, _query(data)).json()
    assert [row["batch"] for row in body["rows"]] == [
        "2026-W01", "2026-W02", "=HYPERLINK(1)"
    ]  # fmt: skip
    assert body["total"]["comparisons"] == 6
    assert body["total"]["turns_per_dialogue"] == pytest.approx(7 / 6)
    assert body["rows"][0]["significantly"] == 0.5
    assert body["fallback_tokenizer"] == "tiktoken:cl100k_base"
    assert {use["chat_model"] for use in body["tokenizers"]} == {
        "own-tokenizer", "server-only"
    }  # fmt: skip
    assert "ISO week" in body["definitions"]["batch"]
    # Named by their names, the same table (ids only before: a new-user pass).
    names = {"evaluation": [data["labelled"].name, data["weekly"].name]}
    assert api.get(API, names).json()["rows"] == body["rows"]


@pytest.mark.parametrize("url", [PAGE, CSV, PNG, SVG])
def test_annotators_and_strangers_are_refused(client, annotator, data, url):
    # A stranger is sent to log in (as on every report page); an annotator, 403.
    stranger = client.get(url, _query(data))
    assert stranger.status_code == 302
    assert stranger["Location"].startswith("/accounts/login/")
    client.force_login(annotator)
    assert client.get(url, _query(data)).status_code == 403


def test_the_api_refuses_annotators_and_strangers(annotator, data):
    api = APIClient()
    assert api.get(API, _query(data)).status_code in (401, 403)
    api.force_authenticate(annotator)
    assert api.get(API, _query(data)).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({}, "at least one"),
        # Names are taken as well as ids (as the preference export takes them).
        ({"evaluation": "abc"}, "no evaluation 'abc'"),
        ({"evaluation": "99999999999999999999"}, "no evaluation '9999"),
        ({"evaluation": "0"}, "no evaluation '0'"),
        ({"evaluation": "424242"}, "no evaluation '424242'"),
        ({"evaluation": "three"}, "three-point (A / tie / B) scale"),  # its capitals
    ],
)
def test_bad_evaluation_parameters_get_a_400_naming_them(client, researcher, query,
                                                         says):  # fmt: skip
    if query.get("evaluation") == "three":
        query = {"evaluation": EvaluationFactory(scale="three").pk}
    client.force_login(researcher)
    for url in (PAGE, CSV, PNG):
        response = client.get(url, query)
        assert response.status_code == 400
        assert "evaluation" in response.content.decode()
        assert says in response.content.decode()
    api = APIClient()
    api.force_authenticate(researcher)
    response = api.get(API, query)
    assert response.status_code == 400
    # As every report endpoint answers: {"detail": "evaluation: ..."}.
    assert response.json()["detail"].startswith("evaluation: ")
    assert says in response.json()["detail"]


def test_the_evaluation_page_links_to_the_batches_of_a_seven_point_evaluation(
    client, researcher, data
):
    client.force_login(researcher)
    weekly = data["weekly"]
    html = client.get(reverse("reports:evaluation", args=[weekly.pk])).content.decode()
    assert f'href="{PAGE}?evaluation={weekly.pk}"' in html
    three = EvaluationFactory(scale="three")
    html = client.get(reverse("reports:evaluation", args=[three.pk])).content.decode()
    assert 'id="batches-link"' not in html
