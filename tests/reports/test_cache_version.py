"""A cached report is never stale: every change to the data behind it changes its key.

Runs on whatever the settings give: PostgreSQL and Redis with DATABASE_URL and
CACHE_URL, SQLite and the local-memory cache otherwise. The outage test starts (and
kills) a Redis of its own.
"""

import logging
import shlex
import shutil
import socket
import subprocess
from datetime import datetime

import pytest
import redis
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from annotations.models import Comparison, Rating
from generations.models import Generation, GenerationJob
from generations.services import execution
from generations.services.imports import generations_import
from reports import selectors
from reports.evaluation_reports import cache_key, evaluation_report
from reports.models import DataVersion
from reports.report_options import ReportOptions
from tests.factories import ComparisonFactory, RatingFactory, UserFactory

from .builders import head_to_head

OPTIONS = ReportOptions(resamples=50)


def _content(report) -> dict:
    """The report's JSON without the time it was computed."""
    data = report.to_json()
    data["metadata"].pop("generated_at")
    return data


def _cached_then(evaluation, change, on_commit):
    """The report before and after ``change`` (committed), and a fresh computation.

    Asserts that the first report was cached, so that a report read after the change
    can only differ from it if the key changed.
    """
    before = evaluation_report(evaluation, OPTIONS)
    assert cache.get(cache_key(evaluation.pk, OPTIONS)) is not None
    with on_commit(execute=True):
        change()
    after = evaluation_report(evaluation, OPTIONS)
    fresh = evaluation_report(evaluation, OPTIONS, use_cache=False)
    assert _content(after) == _content(fresh)
    return _content(before), _content(after)


def _rating_of(evaluation, username: str) -> Rating:
    return (
        Rating.objects.filter(
            comparison__evaluation=evaluation, annotator__username=username
        )
        .order_by("id")
        .first()
    )


def _flip(rating: Rating) -> None:
    rating.choice = -rating.choice or 3
    rating.score = rating.choice if rating.candidate_on_left else -rating.choice
    rating.save()


def test_an_edited_rating_changes_the_report(h2h, django_capture_on_commit_callbacks):
    rating = _rating_of(h2h, "ann-a")
    before, after = _cached_then(
        h2h, lambda: _flip(rating), django_capture_on_commit_callbacks
    )
    assert after["headline"] != before["headline"]


def _admin_data(form, prefix: str = "") -> dict:
    """POST data that resubmits an admin change form as it stands."""
    data = {}
    for field_name, field in form.fields.items():
        value = form[field_name].value()
        name = f"{prefix}-{field_name}" if prefix else field_name
        if isinstance(value, datetime):
            local = timezone.localtime(value)
            data[f"{name}_0"] = local.date().isoformat()
            data[f"{name}_1"] = local.time().isoformat()
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = field.prepare_value(value)
    return data


def test_a_rating_saved_in_place_changes_the_report(
    h2h, django_capture_on_commit_callbacks
):
    """The admin's form did this once; ratings are read-only there now, and any
    code that saves one in place still makes the report anew."""
    rating = _rating_of(h2h, "ann-b")
    choice = -rating.choice or 3

    def edit():
        rating.choice = choice
        rating.score = choice if rating.candidate_on_left else -choice
        rating.save()

    before, after = _cached_then(h2h, edit, django_capture_on_commit_callbacks)
    rating.refresh_from_db()
    assert rating.choice == choice
    assert after["headline"] != before["headline"]


def test_a_generation_edited_in_the_admin_changes_the_report(
    h2h, client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    generation = h2h.comparisons.order_by("id").first().candidate_generation
    url = reverse("admin:generations_generation_change", args=[generation.pk])
    data = _admin_data(client.get(url).context["adminform"].form)
    data.update(text="many " * 500, word_count=500)

    def edit():
        response = client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors

    before, after = _cached_then(h2h, edit, django_capture_on_commit_callbacks)
    assert after["quintile_edges"] != before["quintile_edges"]


def test_a_renamed_evaluation_changes_the_report(
    h2h, django_capture_on_commit_callbacks
):
    def rename():
        h2h.name = "renamed"
        h2h.save()

    before, after = _cached_then(h2h, rename, django_capture_on_commit_callbacks)
    assert before["metadata"]["evaluation"]["name"] == "h2h"
    assert after["metadata"]["evaluation"]["name"] == "renamed"


def test_a_prompts_new_categories_change_the_report(
    h2h, django_capture_on_commit_callbacks
):
    prompt = h2h.comparisons.order_by("id").first().prompt

    def recategorise():
        prompt.categories = ["brand new category"]
        prompt.save()

    before, after = _cached_then(h2h, recategorise, django_capture_on_commit_callbacks)
    groups = {row["group"] for row in after["breakdowns"]["category"]}
    assert "brand new category" in groups
    assert groups != {row["group"] for row in before["breakdowns"]["category"]}


def test_a_generations_new_text_changes_the_report(
    h2h, django_capture_on_commit_callbacks
):
    generation = h2h.comparisons.order_by("id").first().baseline_generation

    def rewrite():
        generation.text = "word " * 400
        generation.word_count = 400
        generation.save()

    before, after = _cached_then(h2h, rewrite, django_capture_on_commit_callbacks)
    assert after["quintile_edges"] != before["quintile_edges"]


def test_a_generation_replaced_by_an_import_changes_the_report(
    h2h, django_capture_on_commit_callbacks
):
    """The import's bulk_update fires no model signal; the service says so itself."""
    comparison = h2h.comparisons.order_by("id").first()
    generation = comparison.baseline_generation
    # A response marked failed (a queryset update: no signal, no new version) ...
    Generation.objects.filter(pk=generation.pk).update(status=Generation.Status.FAILED)
    line = (
        f'{{"prompt_id": "{comparison.prompt.external_id}", '
        f'"model": "{generation.chat_model.name}", "text": "{"long " * 300}"}}\n'
    )

    def reimport():  # ... and imported again: its words change in place.
        generations_import(
            prompt_set_name=h2h.prompt_set.name,
            file_name="again.jsonl",
            data=line.encode(),
        )

    before, after = _cached_then(h2h, reimport, django_capture_on_commit_callbacks)
    generation.refresh_from_db()
    assert generation.word_count == 300
    assert after["quintile_edges"] != before["quintile_edges"]


def test_renamed_chat_model_and_annotator_change_the_report(
    h2h, django_capture_on_commit_callbacks
):
    def rename():
        h2h.candidate.name = "Renamed model"
        h2h.candidate.save()
        user = UserFactory._meta.model.objects.get(username="ann-c")
        user.username = "ann-renamed"
        user.save()

    before, after = _cached_then(h2h, rename, django_capture_on_commit_callbacks)
    assert after["metadata"]["evaluation"]["candidate"] == "Renamed model"
    annotators = {row["annotator"] for row in after["annotators"]}
    assert "ann-renamed" in annotators
    assert "ann-c" in {row["annotator"] for row in before["annotators"]}


def test_added_and_removed_comparisons_change_the_report(
    h2h, django_capture_on_commit_callbacks
):
    def add():
        comparison = ComparisonFactory(evaluation=h2h)
        for username in ("ann-a", "ann-b"):
            RatingFactory(
                comparison=comparison,
                annotator=UserFactory._meta.model.objects.get(username=username),
                choice=-3,
            )

    before, added = _cached_then(h2h, add, django_capture_on_commit_callbacks)
    assert added["headline"]["n_ratings"] == before["headline"]["n_ratings"] + 2

    def remove():
        Comparison.objects.filter(evaluation=h2h).order_by("id").first().delete()

    _, removed = _cached_then(h2h, remove, django_capture_on_commit_callbacks)
    assert removed["headline"]["n_ratings"] == added["headline"]["n_ratings"] - 3


def test_the_version_changes_when_the_change_commits(
    h2h, django_capture_on_commit_callbacks
):
    """A report computed before the commit is never stored under the new version."""
    version = selectors.report_version(h2h.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        h2h.name = "renamed"
        h2h.save()
    assert selectors.report_version(h2h.pk) == version  # not committed yet
    for callback in callbacks:
        callback()
    assert selectors.report_version(h2h.pk) != version
    assert DataVersion.objects.filter(evaluation=h2h).exists()


def test_a_new_rating_costs_the_annotator_no_version_write(
    h2h, django_capture_on_commit_callbacks
):
    """New ratings are counted by the key; the click's path writes no version."""
    version = selectors.report_version(h2h.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        RatingFactory(
            comparison=h2h.comparisons.order_by("id").last(),
            annotator=UserFactory(username="late"),
        )
    assert callbacks == []
    assert selectors.report_version(h2h.pk) != version


def test_an_unrelated_change_keeps_the_cached_report(
    h2h, django_capture_on_commit_callbacks
):
    other = head_to_head(name="other", candidate="x", baseline="y",
                         annotators=("o-a", "o-b", "o-c"))  # fmt: skip
    version = selectors.report_version(h2h.pk)
    with django_capture_on_commit_callbacks(execute=True):
        other.name = "other renamed"
        other.save()
        _flip(_rating_of(other, "o-a"))
    assert selectors.report_version(h2h.pk) == version


# The cache down ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def own_redis():
    """A Redis server of this test's own, on a free port, without persistence."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not on PATH")
    port = _free_port()
    command = f"redis-server --port {port} --bind 127.0.0.1 --save '' --appendonly no"
    process = subprocess.Popen(
        [*shlex.split(command), "--daemonize", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)
    try:
        for _ in range(200):  # wait until it accepts connections (at most ~10 s)
            try:
                client.ping()
                break
            except redis.ConnectionError:
                try:  # not up yet: wait a little for it, or see it exit
                    process.wait(timeout=0.05)
                except subprocess.TimeoutExpired:
                    continue
                pytest.fail("redis-server exited at start")
        else:
            pytest.fail("redis-server did not start")
        yield process, client, f"redis://127.0.0.1:{port}/0"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_reports_are_served_while_the_cache_is_down(
    h2h, client, researcher, own_redis, caplog
):
    process, redis_client, url = own_redis
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
        }
    }
    client.force_login(researcher)
    page = reverse("reports:evaluation", args=[h2h.pk])
    api = f"/api/reports/{h2h.pk}/"
    with override_settings(CACHES=caches):
        assert client.get(page).status_code == 200
        assert redis_client.dbsize() >= 1  # the report went to this Redis
        process.kill()
        process.wait(timeout=10)
        with caplog.at_level(logging.WARNING, logger="reports.evaluation_reports"):
            response = client.get(page)
            assert response.status_code == 200
            assert b"h2h" in response.content
            response = client.get(api)
            assert response.status_code == 200
            assert response.json()["metadata"]["evaluation"]["name"] == "h2h"
    warnings = [
        record
        for record in caplog.records
        if record.name == "reports.evaluation_reports"
        and record.levelno == logging.WARNING
    ]
    assert warnings
    assert "report cache unavailable" in warnings[0].getMessage()


def test_a_response_made_again_by_a_job_changes_the_report_when_the_job_ends(
    h2h, django_capture_on_commit_callbacks
):
    """The worker records a response with one UPDATE (no model signal); the end of
    its job announces the job's responses, so a response set back to pending and
    made again does not leave the old report in the cache."""
    generation = h2h.comparisons.order_by("id").first().baseline_generation
    job = GenerationJob.objects.create(status=GenerationJob.Status.RUNNING)
    job.generations.add(generation)

    def made_again():
        Generation.objects.filter(pk=generation.pk).update(
            text="word " * 400, word_count=400
        )
        execution._ended(generation.pk, None)  # the job's last task delivery

    before, after = _cached_then(h2h, made_again, django_capture_on_commit_callbacks)
    job.refresh_from_db()
    assert job.status == GenerationJob.Status.FINISHED
    assert after["quintile_edges"] != before["quintile_edges"]
