"""The preference export from the page, the REST API and ``export_preferences``:
who may export, what comes back, and bad options named in a 400."""

import io
import json
import zipfile

import datasets
import pytest
from django.core.management import CommandError, call_command

from annotations.models import Evaluation
from tests.factories import (
    ComparisonFactory,
    EvaluationFactory,
    RatingFactory,
    UserFactory,
)

API = "/api/reports/preferences/"


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


@pytest.fixture
def seven(db):
    """A seven-point evaluation: one pair rated 3 and 2 (the candidate), -1 (the
    baseline) and 0 (about the same)."""
    evaluation = EvaluationFactory(name="seven eval", scale=Evaluation.Scale.SEVEN)
    pair = ComparisonFactory(evaluation=evaluation)
    for choice in (3, 2, -1, 0):
        RatingFactory(comparison=pair, annotator=UserFactory(), choice=choice)
    return evaluation


def _jsonl(content: bytes) -> list[dict]:
    return [json.loads(line) for line in content.decode().splitlines()]


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_researchers_export_from_the_api_and_annotators_may_not(
    client, researcher, annotator, seven
):
    params = {"evaluation": seven.pk, "margin": "large"}
    assert client.get(API, params).status_code in (401, 403)
    client.force_login(annotator)
    assert client.get(API, params).status_code == 403
    client.force_login(researcher)
    response = client.get(API, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl"
    assert "seven-eval-preferences.jsonl" in response["Content-Disposition"]
    rows = _jsonl(_body(response))
    assert [(row["strength"], row["margin"]) for row in rows] == [
        ("significantly better", 3.0),
        ("better", 2.0),
        ("slightly better", 1.0),
    ]


def test_api_hf_format_is_a_zip_of_a_folder_that_loads(
    client, researcher, seven, tmp_path
):
    client.force_login(researcher)
    response = client.get(
        API, {"evaluation": seven.name, "format": "hf", "about_same": "separate"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(_body(response))) as archive:
        archive.extractall(tmp_path)
    main = datasets.load_from_disk(str(tmp_path / "seven-eval-preferences"))
    same = datasets.load_from_disk(str(tmp_path / "seven-eval-preferences-about-same"))
    assert {"chosen", "rejected", "margin"} <= set(main.column_names)
    assert (len(main), len(same)) == (3, 1)
    assert same[0]["strength"] == "about the same"


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"evaluation": "SEVEN", "margin": "huge"}, "margin"),
        ({"evaluation": "SEVEN", "format": "csv"}, "format"),
        ({"evaluation": "SEVEN", "per": "prompt"}, "per"),
        ({"evaluation": "SEVEN", "about_same": "keep"}, "about_same"),
        # Misspelt: refused, not ignored (it would give the default margin).
        ({"evaluation": "SEVEN", "margins": "small"}, "margins"),
        ({}, "evaluation"),
        ({"evaluation": "missing"}, "evaluation"),
        # Were 500s: PostgreSQL refuses NUL in text, and the id overflows bigint.
        ({"evaluation": "a\x00b"}, "evaluation"),
        ({"evaluation": "9" * 25}, "evaluation"),
        ({"evaluation": "x" * 300}, "evaluation"),
    ],
)
def test_api_bad_options_answer_400_naming_the_parameter(
    client, researcher, seven, params, named
):
    client.force_login(researcher)
    query = {k: seven.pk if v == "SEVEN" else v for k, v in params.items()}
    response = client.get(API, query)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{named}:")


def test_api_refuses_an_evaluation_without_preferences(client, researcher, db):
    three = EvaluationFactory(scale=Evaluation.Scale.THREE)
    client.force_login(researcher)
    response = client.get(API, {"evaluation": three.pk})
    assert response.status_code == 400
    assert "three-point" in response.json()["detail"]


def test_api_exports_several_evaluations_at_once(client, researcher, seven):
    other = EvaluationFactory(scale=Evaluation.Scale.PREFERENCE)
    RatingFactory(
        comparison=ComparisonFactory(evaluation=other), scale="preference", choice=-4
    )
    client.force_login(researcher)
    response = client.get(API, {"evaluation": f"{seven.pk},{other.name}"})
    rows = _jsonl(_body(response))
    assert sorted(row["evaluation"] for row in rows) == sorted(
        [seven.name] * 3 + [other.name]
    )
    assert 'filename="preferences.jsonl"' in response["Content-Disposition"]


def test_the_page_offers_the_options_and_downloads(
    client, researcher, annotator, seven
):
    page = f"/reports/{seven.pk}/preferences/"
    download = f"/reports/{seven.pk}/preferences/download"
    client.force_login(annotator)
    assert client.get(page).status_code == 403
    assert client.get(download).status_code == 403
    client.force_login(researcher)
    html = client.get(page).content.decode()
    for name in ("format", "margin", "per", "about_same"):
        assert f'name="{name}"' in html
    assert download in html
    response = client.get(download, {"per": "pair", "margin": "none"})
    assert response.status_code == 200
    # Two of the three with a preference chose the candidate; four rated the pair.
    (row,) = _jsonl(_body(response))
    assert (row["ratings"], row["votes"]) == (4, 2)
    assert (row["strength"], row["margin"]) == ("better", 0.0)
    bad = client.get(download, {"margin": "huge"})
    assert bad.status_code == 400
    assert bad.content.decode().startswith("margin:")
    assert client.get(download, {"evaluation": "1"}).status_code == 400


def test_the_report_page_links_to_the_export(client, researcher, seven):
    client.force_login(researcher)
    html = client.get(f"/reports/{seven.pk}/", {"resamples": 10}).content.decode()
    assert f"/reports/{seven.pk}/preferences/" in html


def test_the_command_writes_jsonl_and_hf(seven, tmp_path):
    output = tmp_path / "out.jsonl"
    call_command("export_preferences", seven.name, "--output", str(output),
                 "--margin", "small", "--about-same", "separate")  # fmt: skip
    rows = datasets.load_dataset(
        "json", data_files=str(output), split="train", cache_dir=str(tmp_path / "c")
    )
    assert rows["margin"] == [1.0, 2 / 3, 1 / 3]
    assert (tmp_path / "out.about_same.jsonl").exists()
    folder = tmp_path / "hf"
    call_command("export_preferences", str(seven.pk), "--output", str(folder),
                 "--format", "hf", "--per", "pair")  # fmt: skip
    assert len(datasets.load_from_disk(str(folder))) == 1


def test_the_command_names_bad_input(seven, tmp_path):
    with pytest.raises(CommandError, match="evaluation: no evaluation 'nope'"):
        call_command("export_preferences", "nope", "--output", str(tmp_path / "x"))
    with pytest.raises(CommandError, match="output: no folder"):
        call_command(
            "export_preferences", seven.name, "--output", str(tmp_path / "a" / "b")
        )
    with pytest.raises(CommandError, match="--margin"):
        call_command("export_preferences", seven.name, "--output", "x",
                     "--margin", "huge")  # fmt: skip
