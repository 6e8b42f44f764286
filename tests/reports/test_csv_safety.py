"""CSV downloads are safe to open in a spreadsheet; JSON and Parquet keep raw values.

OWASP's CSV-injection rule: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return gets a leading single quote. Numbers stay numbers.
"""

import csv
import io
import json

import pandas as pd
import pytest
from django.core.management import call_command
from django.urls import reverse

from annotations.models import Comparison, Rating
from generations.models import ChatModel, Prompt
from reports.downloads import FORMULA_STARTS, spreadsheet_safe

from .builders import head_to_head, tournament

EVALUATION = '=HYPERLINK("http://evil.example","x")'
CANDIDATE = "+cmd|' /C calc'!A0"
BASELINE = "-2+3"
ANNOTATORS = ("@SUM(1+1)*cmd", "\tTAB-annotator", "\rCR-annotator")
PAIR_ID = "=pair-1"
COMMENT = "-1+1 looks fine"
CATEGORY = "@category"


@pytest.fixture
def hostile(db):
    """A head-to-head evaluation with a formula in every text field a CSV holds."""
    evaluation = head_to_head(
        name=EVALUATION, candidate=CANDIDATE, baseline=BASELINE, annotators=ANNOTATORS
    )
    first = Comparison.objects.filter(evaluation=evaluation).order_by("id").first()
    Comparison.objects.filter(pk=first.pk).update(external_id=PAIR_ID)
    Prompt.objects.filter(pk=first.prompt_id).update(categories=[CATEGORY])
    Rating.objects.filter(comparison=first).update(comment=COMMENT)
    return evaluation


def _cells(content: bytes) -> list[dict[str, str]]:
    """The CSV's rows as text, exactly as a spreadsheet would read the cells."""
    return list(csv.DictReader(io.StringIO(content.decode(), newline="")))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _assert_safe(rows: list[dict[str, str]]) -> None:
    """No cell starts a formula, except a number (a negative score is a number)."""
    assert rows
    for row in rows:
        for column, cell in row.items():
            if cell.startswith(FORMULA_STARTS):
                assert _is_number(cell), (column, cell)


def _download(client, evaluation, name: str) -> bytes:
    response = client.get(reverse("reports:download", args=[evaluation.pk, name]))
    assert response.status_code == 200
    return response.content


def test_ratings_csv_escapes_every_text_field(client, researcher, hostile):
    client.force_login(researcher)
    rows = _cells(_download(client, hostile, "ratings.csv"))
    _assert_safe(rows)
    assert {row["annotator"] for row in rows} == {"'" + name for name in ANNOTATORS}
    assert {row["candidate"] for row in rows} == {"'" + CANDIDATE}
    assert {row["baseline"] for row in rows} == {"'" + BASELINE}
    assert all(row["prompt_external_id"].startswith("'=") for row in rows)
    assert "'" + PAIR_ID in {row["comparison_external_id"] for row in rows}
    assert "'" + COMMENT in {row["comment"] for row in rows}
    assert "'" + CATEGORY in {row["categories"] for row in rows}
    # Numbers stay numbers: negative choices and scores are written as they are.
    choices = {row["choice"] for row in rows}
    assert {"-3", "-2", "-1"} & choices
    assert not any(cell.startswith("'") for cell in choices)
    assert not any(row["score"].startswith("'") for row in rows)


def test_pairs_and_report_csv_escape_names_and_groups(client, researcher, hostile):
    client.force_login(researcher)
    pairs = _cells(_download(client, hostile, "pairs.csv"))
    _assert_safe(pairs)
    assert {row["candidate"] for row in pairs} == {"'" + CANDIDATE}
    assert {row["baseline"] for row in pairs} == {"'" + BASELINE}
    assert "'" + PAIR_ID in {row["comparison_external_id"] for row in pairs}
    assert "-1" in {row["outcome"] for row in pairs}  # a loss, still a number
    report = _cells(_download(client, hostile, "report.csv"))
    _assert_safe(report)
    assert {row["evaluation"] for row in report} == {"'" + EVALUATION}
    assert "'" + CATEGORY in {row["group"] for row in report}


def test_the_api_and_the_command_write_the_same_safe_csv(client, researcher, hostile):
    client.force_login(researcher)
    url = f"/api/reports/{hostile.pk}/ratings.csv"
    response = client.get(url)
    assert response.status_code == 200
    rows = _cells(response.content)
    _assert_safe(rows)
    assert {row["candidate"] for row in rows} == {"'" + CANDIDATE}
    out = io.StringIO()
    call_command("report", EVALUATION, "--format", "csv", stdout=out)
    rows = _cells(out.getvalue().encode())
    _assert_safe(rows)
    assert {row["evaluation"] for row in rows} == {"'" + EVALUATION}


def test_a_tournaments_model_names_are_escaped(client, researcher, db):
    evaluation = tournament(name="@arena")
    for name in ("model-x", "model-y", "model-z"):
        ChatModel.objects.filter(name=name).update(name="=" + name)
    client.force_login(researcher)
    report = _cells(_download(client, evaluation, "report.csv"))
    _assert_safe(report)
    leaderboard = {row["group"] for row in report if row["section"] == "leaderboard"}
    assert leaderboard == {"'=model-x", "'=model-y", "'=model-z"}
    ratings = _cells(_download(client, evaluation, "ratings.csv"))
    _assert_safe(ratings)
    assert {row["candidate"] for row in ratings} <= leaderboard


def test_json_and_parquet_keep_the_raw_values(client, researcher, hostile):
    client.force_login(researcher)
    report = json.loads(_download(client, hostile, "report.json"))
    assert report["metadata"]["evaluation"]["name"] == EVALUATION
    assert report["metadata"]["evaluation"]["candidate"] == CANDIDATE
    assert {row["annotator"] for row in report["annotators"]} == set(ANNOTATORS)
    parquet = pd.read_parquet(io.BytesIO(_download(client, hostile, "ratings.parquet")))
    assert set(parquet["annotator"]) == set(ANNOTATORS)
    assert set(parquet["candidate"]) == {CANDIDATE}
    assert PAIR_ID in set(parquet["comparison_external_id"])
    assert COMMENT in set(parquet["comment"])
    assert [CATEGORY] in [list(categories) for categories in parquet["categories"]]
    assert parquet["choice"].min() < 0  # numbers, not text


def test_spreadsheet_safe_decides_by_the_columns_type():
    frame = pd.DataFrame(
        {
            "score": [-3, 2, 0],
            "seconds": [-1.5, None, 3.0],
            "name": ["-3", "=1+2", "plain"],
            "mixed": [-3, "+x", None],
            "label": pd.Series(["@a", "b", "\tc"], dtype="category"),
            "text": pd.Series(["\rd", None, "e"], dtype="string"),
        }
    )
    safe = spreadsheet_safe(frame)
    assert safe["score"].tolist() == [-3, 2, 0]
    assert safe["seconds"].tolist()[0] == -1.5
    assert safe["name"].tolist() == ["'-3", "'=1+2", "plain"]
    assert safe["mixed"].tolist() == [-3, "'+x", None]
    assert safe["label"].tolist() == ["'@a", "b", "'\tc"]
    assert safe["text"].tolist()[0] == "'\rd"
    assert frame["name"].tolist() == ["-3", "=1+2", "plain"]  # the input is kept
