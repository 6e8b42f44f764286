"""The judge run page in headless Chromium: live progress, errors named by prompt."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from generations.models import ChatModel
from judges.models import Judgement, JudgeRun
from judges.services import templates
from tests.conftest import browser_login

from .conftest import build_evaluation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_run_page_updates_counts_and_errors_live_and_reloads_when_it_ends(
    live_server, page, admin_user
):
    evaluation = build_evaluation(pairs=2)
    chat_model = ChatModel.objects.create(name="judge model", base_url="http://h:1/v1")
    judge = templates.judge_create(name="j", chat_model=chat_model)
    run = JudgeRun.objects.create(evaluation=evaluation, judge=judge, status="running")
    first, second = (
        Judgement.objects.create(
            judge=judge,
            comparison=comparison,
            run=run,
            template=judge.template,
            scale=evaluation.scale,
            candidate_on_left=True,
        )
        for comparison in evaluation.comparisons.order_by("id")
    )
    browser_login(page, live_server, admin_user.username, then=None)
    page.goto(f"{live_server.url}/judges/runs/{run.pk}/")
    assert page.locator('[data-count="pending"]').inner_text() == "2"
    assert page.locator('[data-field="errors"]').inner_text() == "None."

    Judgement.objects.filter(pk=first.pk).update(
        status="failed", last_error="HTTP 400: <b>bad</b>", updated_at=timezone.now()
    )
    page.wait_for_function(
        "() => document.querySelector('[data-count=\"failed\"]').textContent === '1'",
        timeout=10_000,
    )
    errors = page.locator('[data-field="errors"]')
    prompt = first.comparison.prompt.external_id
    assert errors.inner_text() == f"prompt {prompt} (failed): HTTP 400: <b>bad</b>"
    assert errors.locator("b").count() == 0  # a server's text is never HTML

    # A retry's time reads as the page renders it, in UTC (the live update gave
    # the browser's local time, without a zone: a browser pass).
    at = timezone.now().replace(microsecond=0) + timedelta(minutes=5)
    Judgement.objects.filter(pk=second.pk).update(
        next_attempt_at=at, attempts=1, last_error="HTTP 503", updated_at=timezone.now()
    )
    page.wait_for_function(
        "() => !document.querySelector('[data-field=\"retry\"]').hidden",
        timeout=10_000,
    )
    retry_at = page.inner_text('[data-field="retry-at"]')
    assert retry_at == at.astimezone(UTC).strftime("%H:%M:%S") + " UTC"

    Judgement.objects.filter(pk=second.pk).update(status="done", choice=0, score=0)
    JudgeRun.objects.filter(pk=run.pk).update(status="finished")
    # The end reloads the page once: the judgements table then shows the outcome.
    page.wait_for_selector("#resume-run", timeout=10_000)
    assert "Reply holds no verdict" not in page.inner_text("#judgements")
    assert page.locator("#judgements tbody tr").count() == 2
    assert "Failed" in page.inner_text("#judgements")
