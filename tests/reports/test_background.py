"""Large reports are computed by a Celery worker; the request answers at once.

The tests with a real worker (marker ``redis``) need PostgreSQL, a Redis broker and a
Redis cache; the others run on whatever the settings give.
"""

import html
import io
import json
import logging
import socket
import threading
from dataclasses import asdict

import pytest
import redis
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from annotations.models import Evaluation
from reports import background, report_jobs
from reports.evaluation_reports import cache_key, evaluation_report
from reports.report_options import ReportOptions
from tests.factories import RatingFactory, UserFactory
from tests.support.worker import redis_broker

from .builders import head_to_head, tournament
from .worker_support import large_reports as large_reports  # a fixture
from .worker_support import start_worker as start_worker  # a fixture
from .worker_support import wait_for

OPTIONS = ReportOptions(resamples=50)
QUERY = "resamples=50"


def _urls(evaluation) -> dict[str, str]:
    pk = evaluation.pk
    return {
        "page": f"{reverse('reports:evaluation', args=[pk])}?{QUERY}",
        "api": f"/api/reports/{pk}/?{QUERY}",
        "status": f"/api/reports/{pk}/status/?{QUERY}",
    }


@pytest.fixture
def queued(monkeypatch):
    """Tasks queued by requests, recorded instead of sent."""
    calls = []
    monkeypatch.setattr(
        background.report_build, "delay", lambda *args: calls.append(args)
    )
    return calls


@pytest.fixture
def no_build(monkeypatch):
    """The web process never builds a report in these tests."""

    def refuse(*args, **kwargs):
        raise AssertionError("a large report was built in the request")

    monkeypatch.setattr("reports.evaluation_reports.build_report", refuse)


# Without a worker ----------------------------------------------------------------


@override_settings(EVALSITE_REPORT_BACKGROUND_MIN_RATINGS=20_000)
def test_many_resamples_make_a_small_report_large(client, researcher, queued):
    """Its work, not only its ratings: 100,000 resamples of a tournament's 8,931
    votes held a web worker until gunicorn killed it (a tournament now takes at most
    10,000, and a new-user pass saw 100,000 exhaust a worker's memory)."""
    arena = tournament()  # 15 votes
    client.force_login(researcher)
    api = f"/api/reports/{arena.pk}/"
    assert client.get(api, {"resamples": 1000}).status_code == 200
    assert queued == []
    assert background.report_work(15, ReportOptions(resamples=10_000)) == 150
    with override_settings(EVALSITE_REPORT_BACKGROUND_MIN_RATINGS=150):
        assert client.get(api, {"resamples": 10_000}).status_code == 202
        assert client.get(api, {"resamples": 9_900}).status_code == 200
        refused = client.get(api, {"resamples": 10_001})
    assert refused.status_code == 400
    assert (
        "resamples: a tournament refits its model on every resample; at most "
        "10000" in refused.content.decode()
    )
    assert len(queued) == 1
    # Fewer resamples than the default weigh as the default: never less work.
    assert background.report_work(15, ReportOptions(resamples=10)) == 15


def test_a_small_report_is_computed_in_the_request(h2h, client, researcher, queued):
    client.force_login(researcher)
    urls = _urls(h2h)
    page = client.get(urls["page"])
    assert page.status_code == 200
    assert b'id="headline"' in page.content
    assert client.get(urls["api"]).status_code == 200
    assert queued == []
    assert client.get(urls["status"]).json()["status"] == "done"


def test_a_large_report_answers_at_once_and_queues_one_task(
    h2h, client, researcher, large_reports, queued, no_build
):
    client.force_login(researcher)
    urls = _urls(h2h)
    status_url = (
        f"{urls['status']}&job={report_jobs.job_id(cache_key(h2h.pk, OPTIONS))}"
    )
    page = client.get(urls["page"])
    assert page.status_code == 202
    assert b'id="report-progress"' in page.content
    assert b"reports/report_progress.js" in page.content
    assert status_url.encode() in page.content.replace(b"&amp;", b"&")

    api = client.get(urls["api"])
    assert api.status_code == 202
    assert api.json()["status"] == "queued"
    assert api.json()["progress"] == 0.0
    assert api.json()["status_url"] == f"http://testserver{status_url}"
    assert api["Location"] == api.json()["status_url"]

    for url in (
        reverse("reports:figure", args=[h2h.pk, "shares", "png"]),
        reverse("reports:download", args=[h2h.pk, "report.json"]),
        f"/api/reports/{h2h.pk}/report.csv",
        f"{reverse('reports:compare')}?evaluation={h2h.pk}",
    ):
        assert client.get(url).status_code == 202, url
    # The ratings as stored need no report.
    ratings = client.get(reverse("reports:download", args=[h2h.pk, "ratings.csv"]))
    assert ratings.status_code == 200

    assert client.get(urls["status"]).json()["status"] == "queued"
    assert client.get(status_url).json()["status"] == "queued"
    # One task for the report of these options, however often it was asked for;
    # the figure and downloads above ask for the default options' report.
    assert [args[1]["resamples"] for args in queued] == [50, 1000]
    assert queued[0] == (h2h.pk, asdict(OPTIONS), cache_key(h2h.pk, OPTIONS))


def test_a_large_report_excluding_an_unknown_annotator_is_a_400_not_a_job(
    h2h, client, researcher, large_reports, queued, no_build
):
    client.force_login(researcher)
    pk = h2h.pk
    for url in (
        reverse("reports:evaluation", args=[pk]),
        f"/api/reports/{pk}/",
        reverse("reports:download", args=[pk, "report.csv"]),
        f"/api/reports/{pk}/report.json",
    ):
        response = client.get(url, {"exclude": "nobody"})
        assert response.status_code == 400, url
        text = html.unescape(response.content.decode())  # the page is HTML
        assert "exclude: no annotator named 'nobody'" in text, url
    assert queued == []


def test_the_status_url_needs_the_report_permission_and_good_options(
    h2h, client, researcher, annotator
):
    url = f"/api/reports/{h2h.pk}/status/"
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    client.force_login(researcher)
    # No job: no stage either (it said "queued"; a new-user pass).
    assert client.get(url).json() == {
        "status": "none",
        "job": "",
        "stage": "",
        "progress": 0.0,
        "error": "",
    }
    response = client.get(f"{url}?resamples=-1")
    assert response.status_code == 400
    assert "resamples" in response.json()["detail"]
    response = client.get(f"{url}?job=../../x")
    assert response.status_code == 400
    assert "job" in response.json()["detail"]
    assert client.get(f"{url}?job={'0' * 64}").json()["status"] == "none"


def test_the_job_records_its_stages_and_the_report(h2h, monkeypatch):
    key = cache_key(h2h.pk, OPTIONS)
    recorded = []
    record = report_jobs._record
    monkeypatch.setattr(
        report_jobs,
        "_record",
        lambda *args: recorded.append(args[1]) or record(*args),
    )
    report_jobs.job_run(evaluation_id=h2h.pk, options=asdict(OPTIONS), report_key=key)
    assert [job.stage for job in recorded] == [
        "reading", "outcomes", "agreement", "intervals", "done",
    ]  # fmt: skip
    assert [job.progress for job in recorded] == sorted(
        job.progress for job in recorded
    )
    assert recorded[-1].state == report_jobs.JobState.DONE
    assert recorded[-1].report_key == key
    assert cache.get(key) is not None
    assert report_jobs.job_read(key).state == report_jobs.JobState.DONE


def test_a_finished_jobs_report_is_served_after_new_ratings(
    h2h, client, researcher, large_reports, queued
):
    """The page reloaded when its job is done asks for that job's report, so an
    evaluation rated meanwhile does not start a new job on every reload."""
    job_id = report_jobs.job_id(cache_key(h2h.pk, OPTIONS))
    report_jobs.job_run(
        evaluation_id=h2h.pk,
        options=asdict(OPTIONS),
        report_key=cache_key(h2h.pk, OPTIONS),
    )
    RatingFactory(
        comparison=h2h.comparisons.order_by("id").last(),
        annotator=UserFactory(username="late"),
    )
    client.force_login(researcher)
    urls = _urls(h2h)
    page = client.get(f"{urls['page']}&job={job_id}")
    assert page.status_code == 200
    assert b'id="headline"' in page.content
    assert client.get(f"{urls['api']}&job={job_id}").status_code == 200
    assert queued == []
    # Not for other options, another evaluation, or without the job: the latest data.
    other = head_to_head(name="other", annotators=("o-a", "o-b", "o-c"))
    for url in (
        f"{urls['page']}&seed=3&job={job_id}",
        f"{_urls(other)['page']}&job={job_id}",
        urls["page"],
    ):
        assert client.get(url).status_code == 202, url
    assert len(queued) == 3


def test_a_cached_large_report_is_served_from_the_cache(
    h2h, client, researcher, large_reports, queued
):
    report = evaluation_report(h2h, OPTIONS)
    client.force_login(researcher)
    response = client.get(_urls(h2h)["api"])
    assert response.status_code == 200
    assert (
        response.json()["metadata"]["generated_at"]
        == (report.to_json()["metadata"]["generated_at"])
    )
    assert queued == []


def test_the_command_computes_a_large_report_itself(h2h, large_reports, queued):
    out = io.StringIO()
    call_command("report", "h2h", "--resamples", "50", stdout=out)
    assert json.loads(out.getvalue())["metadata"]["evaluation"]["name"] == "h2h"
    assert queued == []


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_the_cache_a_large_report_is_computed_in_the_request(
    h2h, client, researcher, large_reports, queued, caplog
):
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_refused_port()}/0",
        }
    }
    client.force_login(researcher)
    with (
        override_settings(CACHES=caches),
        caplog.at_level(logging.WARNING, logger="reports.background"),
    ):
        response = client.get(_urls(h2h)["api"])
    assert response.status_code == 200
    assert response.json()["metadata"]["evaluation"]["name"] == "h2h"
    assert queued == []
    assert any(
        "computing in the request" in record.getMessage() for record in caplog.records
    )


# With a real worker --------------------------------------------------------------


def _ask_at_once(urls: list[str], user) -> list[int]:
    """GET each URL from its own thread and client, all released together."""
    barrier = threading.Barrier(len(urls))
    codes: list[int] = []

    def ask(url: str) -> None:
        client = Client()
        client.force_login(user)
        barrier.wait()
        codes.append(client.get(url).status_code)
        connection.close()

    threads = [threading.Thread(target=ask, args=(url,)) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


@pytest.mark.redis
@pytest.mark.postgres
def test_a_worker_computes_a_large_report_asked_for_at_once_by_many(
    start_worker, large_reports, researcher, client
):
    evaluation = head_to_head()
    urls = _urls(evaluation)
    codes = _ask_at_once([urls["api"]] * 4 + [urls["page"]] * 4, researcher)
    assert codes == [202] * 8
    assert redis.Redis.from_url(redis_broker()).llen("celery") == 1  # one task
    client.force_login(researcher)
    page = client.get(urls["page"])
    assert page.status_code == 202
    assert b"<progress" in page.content
    status_url = client.get(urls["api"]).json()["status_url"]

    start_worker()
    done = wait_for(client, status_url, {"done", "failed"})
    assert done["status"] == "done", done
    assert done["progress"] == 1.0
    assert done["report_url"] == f"http://testserver{urls['api']}&job={done['job']}"
    assert client.get(urls["status"]).json()["status"] == "done"
    report = client.get(urls["api"])
    assert report.status_code == 200
    fresh = evaluation_report(evaluation, OPTIONS, use_cache=False).to_json()
    assert report.json()["headline"] == json.loads(json.dumps(fresh["headline"]))
    page = client.get(urls["page"])
    assert page.status_code == 200
    assert b'id="headline"' in page.content


@pytest.mark.redis
@pytest.mark.postgres
def test_a_failing_report_task_shows_its_error(
    start_worker, large_reports, researcher, client
):
    evaluation = head_to_head()
    # A scale the report builder does not know (no database constraint holds it).
    Evaluation.objects.filter(pk=evaluation.pk).update(scale="five")
    urls = _urls(evaluation)
    client.force_login(researcher)
    start_worker()
    assert client.get(urls["page"]).status_code == 202
    failed = wait_for(client, urls["status"], {"done", "failed"})
    assert failed["status"] == "failed"
    assert failed["error"] == "KeyError: 'five'"
    page = client.get(urls["page"])
    assert page.status_code == 500
    assert b"The report could not be computed" in page.content
    assert b"KeyError: &#x27;five&#x27;" in page.content
    api = client.get(urls["api"])
    assert api.status_code == 500
    assert api.json()["error"] == "KeyError: 'five'"
