"""The report from the REST API and from `manage.py report`."""

import csv
import io
import json

import pandas as pd
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command


def test_api_report_json_for_researchers(client, researcher, annotator, h2h):
    url = f"/api/reports/{h2h.pk}/"
    assert client.get(url).status_code in (401, 403)
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    client.force_login(researcher)
    response = client.get(url, {"aggregation": "mean", "seed": 3, "resamples": 50})
    assert response.status_code == 200
    body = response.json()
    assert body["metadata"]["options"]["aggregation"] == "mean"
    assert body["headline"]["n_prompts"] == 12
    bad = client.get(url, {"aggregation": "plurality"})
    assert bad.status_code == 400
    assert "aggregation" in bad.json()["detail"]


@pytest.mark.parametrize("path", ["", "status/", "report.csv", "judges/"])
def test_api_refuses_a_parameter_it_does_not_take(client, researcher, h2h, path):
    """A misspelt option (``intervals`` for ``interval``) left the default in force
    without a word (a new-user pass)."""
    client.force_login(researcher)
    response = client.get(f"/api/reports/{h2h.pk}/{path}", {"intervals": "wilson"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("intervals: unknown parameter; use ")
    assert "interval," in response.json()["detail"]


def test_api_files(client, researcher, h2h):
    client.force_login(researcher)
    pairs = client.get(f"/api/reports/{h2h.pk}/pairs.csv")
    assert pairs.status_code == 200
    assert len(pd.read_csv(io.BytesIO(pairs.content))) == 12
    parquet = client.get(f"/api/reports/{h2h.pk}/ratings.parquet")
    assert len(pd.read_parquet(io.BytesIO(parquet.content))) == 36
    table = client.get(f"/api/reports/{h2h.pk}/report.csv")
    assert b"overall" in table.content
    # Counts are written as integers, not "6.0", though other sections leave them
    # empty (a new-user pass).
    rows = list(csv.DictReader(io.StringIO(table.content.decode())))
    overall = next(row for row in rows if row["section"] == "overall")
    assert overall["n"] == "12"
    assert all("." not in row["n_prompts"] for row in rows)
    assert any(row["n_prompts"] for row in rows)
    assert client.get(f"/api/reports/{h2h.pk}/nope.txt").status_code == 404


@pytest.mark.parametrize(
    ("name", "accept"),
    [
        ("report.csv", "text/csv"),
        ("ratings.csv", "text/csv"),
        ("ratings.parquet", "application/octet-stream"),
        ("ratings.parquet", "application/vnd.apache.parquet"),
        ("report.json", "application/json"),
    ],
)
def test_api_files_whatever_the_client_accepts(client, researcher, h2h, name, accept):
    """A file's own type in Accept (or the schema's octet-stream) gets the file; DRF
    knew only JSON and answered 406 (a new-user pass)."""
    client.force_login(researcher)
    response = client.get(f"/api/reports/{h2h.pk}/{name}", HTTP_ACCEPT=accept)
    assert response.status_code == 200, response.content
    assert response["Content-Disposition"].endswith(f'{name}"')


def test_report_command_json_and_csv(h2h, tmp_path, capsys):
    target = tmp_path / "report.json"
    call_command("report", "h2h", "--format", "json", "--seed", "5",
                 "--resamples", "50", "--output", str(target))  # fmt: skip
    report = json.loads(target.read_text())
    assert report["metadata"]["options"]["seed"] == 5
    assert report["headline"]["wins"] == 6
    call_command("report", "h2h", "--format", "csv", "--aggregation", "rating",
                 "--threshold", "2", "--resamples", "50")  # fmt: skip
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert set(table["aggregation"]) == {"rating"}
    assert set(table["threshold"]) == {2}
    with pytest.raises(CommandError, match="no evaluation"):
        call_command("report", "missing")


def test_one_seed_gives_identical_command_output(h2h, tmp_path):
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    for path in paths:
        cache.clear()
        call_command("report", "h2h", "--seed", "9", "--resamples", "100",
                     "--output", str(path))  # fmt: skip
    first, second = (json.loads(path.read_text()) for path in paths)
    first["metadata"].pop("generated_at")
    second["metadata"].pop("generated_at")
    assert first == second


@pytest.mark.parametrize(
    "url", ["/api/reports/{pk}/", "/api/reports/{pk}/report.json", "/reports/{pk}/",
            "/reports/{pk}/download/report.csv", "/reports/{pk}/figures/category.png"],
)  # fmt: skip
def test_a_job_that_is_no_job_id_is_a_400(client, researcher, h2h, url):
    """A new-user pass: ?job=../../etc answered the current report. An unknown
    (expired) job still does on a page; the API names it (404)."""
    client.force_login(researcher)
    url = url.format(pk=h2h.pk)
    refused = client.get(url, {"job": "../../etc", "resamples": 20})
    assert refused.status_code == 400
    assert "job: not a report job id" in refused.content.decode()
    unknown = client.get(url, {"job": "0" * 64, "resamples": 20})
    assert unknown.status_code == (404 if url.startswith("/api/") else 200)


@pytest.mark.parametrize(
    ("name", "header"),
    [
        # Letters beyond ASCII are kept, in RFC 6266's filename* (UTF-8, escaped).
        (
            "模型比较",
            "attachment; filename*=utf-8''%E6%A8%A1%E5%9E%8B%E6%AF%94%E8%BE%83-",
        ),
        ("Évaluation pilote", "attachment; filename*=utf-8''%C3%A9valuation-pilote-"),
        # A name with nothing for a file name falls back to the evaluation's number.
        ("!!!", 'attachment; filename="evaluation-{pk}-'),
    ],
)
def test_a_download_is_named_after_the_evaluation_in_any_script(
    client, researcher, h2h, name, header
):
    """An evaluation named in Chinese downloaded as ``-report.csv``: the slug kept
    only ASCII, and an empty one left the name starting with a dash."""
    h2h.name = name
    h2h.save(update_fields=["name"])
    client.force_login(researcher)
    for url in (
        f"/api/reports/{h2h.pk}/report.csv",
        f"/reports/{h2h.pk}/download/pairs.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        assert disposition.startswith(header.format(pk=h2h.pk)), disposition
        assert disposition.rstrip('"').endswith(url.rsplit("/", 1)[1])
