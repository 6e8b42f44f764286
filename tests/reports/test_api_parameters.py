"""The reports API's query parameters as a client scripting it from the schema meets
them: unknown names refused, lists as the preference export takes them, ``format``
with its real values, ``job`` of this evaluation only, and pairs.csv's columns."""

import csv
import io
from dataclasses import asdict

import pytest

from reports import report_jobs
from reports.downloads import PAIRS_COLUMNS
from reports.evaluation_reports import cache_key
from reports.report_options import ReportOptions
from tests.preferences.batch_data import make_batch_data

from .builders import head_to_head
from .test_preference_reports import _preference_evaluation

pytestmark = pytest.mark.django_db

OPTIONS = ReportOptions(resamples=50)


@pytest.fixture
def reader(client, researcher):
    client.force_login(researcher)
    return client


@pytest.fixture
def batch_data(db):
    return make_batch_data()


def _unknown(response, name: str) -> None:
    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(f"{name}: unknown parameter; use ")


def test_batches_and_reward_refuse_an_unknown_parameter(reader, batch_data):
    pk = batch_data["labelled"].pk
    _unknown(reader.get("/api/reports/batches/", {"evaluation": pk, "foo": 1}), "foo")
    evaluation = _preference_evaluation()
    _unknown(reader.get(f"/api/reports/{evaluation.pk}/reward/?foo=1"), "foo")
    # What they take still works.
    assert reader.get("/api/reports/batches/", {"evaluation": pk}).status_code == 200
    reward = reader.get(f"/api/reports/{evaluation.pk}/reward/?bins=4&format=json")
    assert reward.status_code == 200, reward.content


def test_batches_take_a_comma_separated_list_as_the_export_does(reader, batch_data):
    labelled, weekly = batch_data["labelled"], batch_data["weekly"]
    repeated = reader.get(
        "/api/reports/batches/", {"evaluation": [labelled.pk, weekly.pk]}
    )
    listed = reader.get(
        "/api/reports/batches/", {"evaluation": f"{labelled.pk}, {weekly.name}"}
    )
    assert listed.status_code == 200, listed.content
    assert listed.json() == repeated.json()
    assert listed.json()["evaluation_ids"] == [labelled.pk, weekly.pk]
    missing = reader.get("/api/reports/batches/", {"evaluation": f"{labelled.pk},x"})
    assert missing.status_code == 400
    assert missing.json()["detail"] == "evaluation: no evaluation 'x'"


def test_format_is_checked_against_the_formats_there_are(reader, h2h):
    url = f"/api/reports/{h2h.pk}/"
    assert reader.get(url, {"format": "json", "resamples": 20}).status_code == 200
    for path in ("", "status/", "judges/"):
        refused = reader.get(f"{url}{path}", {"format": "csv"})
        assert refused.status_code == 400, (path, refused.content)  # it was a 404
        assert refused.json()["detail"] == "format: no format 'csv'; use json, api"
    # A file is the file its name says: format is no parameter of it.
    _unknown(reader.get(f"{url}pairs.csv", {"format": "json"}), "format")


def test_the_schema_gives_format_its_values(admin_client):
    schema = admin_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/reports/{id}/"]["get"]
    [parameter] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert sorted(parameter["schema"]["enum"]) == ["api", "json"]


def test_a_job_of_another_evaluation_or_none_is_a_404_naming_job(reader, h2h):
    other = head_to_head(name="other", annotators=("o-a", "o-b", "o-c"))
    theirs = report_jobs.job_id(cache_key(other.pk, OPTIONS))
    report_jobs.job_run(
        evaluation_id=other.pk,
        options=asdict(OPTIONS),
        report_key=cache_key(other.pk, OPTIONS),
    )
    url = f"/api/reports/{h2h.pk}/"
    for job in (theirs, "0" * 64):
        for path in ("", "report.json"):
            response = reader.get(f"{url}{path}", {"resamples": 50, "job": job})
            assert response.status_code == 404, (path, response.content)
            assert response.json()["detail"].startswith("job: no report job of ")
    status = reader.get(f"{url}status/", {"resamples": 50, "job": theirs})
    assert status.status_code == 404
    # Its own evaluation's job still gives its report.
    own = reader.get(f"/api/reports/{other.pk}/", {"resamples": 50, "job": theirs})
    assert own.status_code == 200
    assert own.json()["metadata"]["evaluation"]["id"] == other.pk


def test_a_report_built_in_the_request_is_found_by_the_job_its_status_gives(
    reader, h2h
):
    url = f"/api/reports/{h2h.pk}/"
    assert reader.get(url, {"resamples": 50}).status_code == 200
    done = reader.get(f"{url}status/", {"resamples": 50}).json()
    assert done["status"] == "done"
    report = reader.get(done["report_url"])
    assert report.status_code == 200, report.content
    assert report.json()["metadata"]["evaluation"]["id"] == h2h.pk


def test_a_job_of_another_evaluation_is_a_404_on_every_file_and_the_status(reader, h2h):
    """A second pass found another evaluation's job (one a status handed out for a
    report built in the request) taken by pairs.csv and ratings.csv (200, the
    files of the data as it is) and by the status ("none", as if no job)."""
    other = head_to_head(name="other", annotators=("o-a", "o-b", "o-c"))
    theirs = f"/api/reports/{other.pk}/"
    assert reader.get(theirs, {"resamples": 50}).status_code == 200
    job = reader.get(f"{theirs}status/", {"resamples": 50}).json()["job"]
    url = f"/api/reports/{h2h.pk}/"
    for path in ("pairs.csv", "ratings.csv", "report.csv", "status/", ""):
        response = reader.get(f"{url}{path}", {"resamples": 50, "job": job})
        assert response.status_code == 404, (path, response.content[:300])
        assert response.json()["detail"].startswith("job: no report job of ")
    # Its own evaluation's: the files, and a status that says done.
    for path in ("pairs.csv", "ratings.csv"):
        response = reader.get(f"{theirs}{path}", {"resamples": 50, "job": job})
        assert response.status_code == 200
    status = reader.get(f"{theirs}status/", {"resamples": 50, "job": job}).json()
    assert status["status"] == "done"


def _pairs(reader, evaluation, aggregation: str) -> list[dict]:
    response = reader.get(
        f"/api/reports/{evaluation.pk}/pairs.csv", {"aggregation": aggregation}
    )
    assert response.status_code == 200, response.content
    reader_ = csv.reader(io.StringIO(response.content.decode()))
    header = next(reader_)
    assert header == list(PAIRS_COLUMNS), aggregation
    return [dict(zip(header, row, strict=True)) for row in reader_]


def test_pairs_csv_has_one_column_order_and_float_values_whatever_the_rule(reader, h2h):
    """Under the rating rule the columns came in another order and ``value`` as
    integers (a new-user pass)."""
    for aggregation in ("rating", "majority", "median", "mean"):
        rows = _pairs(reader, h2h, aggregation)
        assert rows, aggregation
        for row in rows:
            float(row["value"])
            assert "." in row["value"], (aggregation, row["value"])
            assert row["aggregation"] == aggregation
