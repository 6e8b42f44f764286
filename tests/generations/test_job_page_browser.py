"""The job page in headless Chromium: live progress without reloading."""

import pytest
from django.db import transaction
from django.utils import timezone

from generations.models import ChatModel, Generation
from generations.services import jobs, rows
from tests.conftest import browser_login
from tests.factories import PromptFactory, PromptSetFactory

pytestmark = pytest.mark.browser


def _running_job():
    """A job started on three prompts of one chat model, and its generations."""
    prompt_set = PromptSetFactory()
    PromptFactory.create_batch(3, prompt_set=prompt_set)
    chat_model = ChatModel.objects.create(name="m", base_url="http://h:1/v1")
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    jobs.job_start(job=job)
    return job, list(Generation.objects.filter(jobs=job).order_by("id"))


@pytest.mark.django_db(transaction=True)
def test_job_page_updates_counts_and_errors_live(live_server, page, admin_user):
    job, (first, second, third) = _running_job()

    browser_login(page, live_server, admin_user.username, then=None)
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    pending = page.locator('[data-count="pending"]')
    assert pending.inner_text() == "3"

    now = timezone.now()
    # One commit: a poll between two would see "done 1" with "pending 2".
    with transaction.atomic():
        Generation.objects.filter(pk=first.pk).update(status="done", finished_at=now)
        Generation.objects.filter(pk=second.pk).update(
            status="failed", finished_at=now, last_error="HTTP 400: <b>bad</b> request"
        )
    page.wait_for_function(
        # A function, not an expression: an expression is eval'd in the page, which
        # the Content-Security-Policy forbids.
        "() => document.querySelector('[data-count=\"done\"]').textContent === '1'",
        timeout=10_000,
    )
    assert pending.inner_text() == "1"
    assert page.locator('[data-field="ended"]').inner_text() == "2"
    errors = page.locator('[data-field="errors"]')
    assert "HTTP 400: <b>bad</b> request" in errors.inner_text()  # shown as text
    assert errors.locator("b").count() == 0  # model output is never HTML
    assert errors.locator("strong").count() == 1
    assert page.locator('[data-field="per_minute"]').inner_text() != "\u2013"

    Generation.objects.filter(pk=third.pk).update(status="done", finished_at=now)
    rows.jobs_finish_if_complete(generation_id=third.pk)
    page.wait_for_selector("#resume-job", timeout=10_000)
    assert page.locator('[data-field="status"]').inner_text() == "finished"
    assert page.locator("progress").get_attribute("value") == "100"


@pytest.mark.django_db(transaction=True)
def test_a_cancelled_jobs_page_follows_its_requests_in_flight(
    live_server, page, admin_user
):
    """After Cancel, the page stopped polling at once and showed "running 2" for
    ever while the requests in flight ended."""
    job, (first, second, _) = _running_job()
    Generation.objects.filter(pk__in=[first.pk, second.pk]).update(status="running")
    jobs.job_cancel(job=job)

    browser_login(page, live_server, admin_user.username, then=None)
    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    running = page.locator('[data-count="running"]')
    assert running.inner_text() == "2"
    now = timezone.now()
    with transaction.atomic():
        Generation.objects.filter(pk__in=[first.pk, second.pk]).update(
            status="done", finished_at=now
        )
    page.wait_for_function(
        "() => document.querySelector('[data-count=\"running\"]').textContent === '0'",
        timeout=10_000,
    )
    assert page.locator('[data-count="done"]').inner_text() == "2"
