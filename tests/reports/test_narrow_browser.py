"""On a phone's width (360 px) no page scrolls sideways: a wide table scrolls inside
its card, figures shrink, and a tournament's row names a few of its chat models."""

import pytest
from django.core.cache import cache

from tests.conftest import browser_login, make_user
from tests.factories import ChatModelFactory

from .builders import head_to_head, tournament

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 360, "height": 740}


def _overflow(page) -> int:
    """How far the page reaches past the window's width, in CSS pixels."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )


def _flag(evaluation) -> None:
    """Two flags for the queue: one waiting, with a long comment, and one decided
    (the queue's table of recent decisions)."""
    from django.utils import timezone

    from annotations.models import Assignment
    from annotations.services.flag_reviews import flag_review_record

    now = timezone.now()
    waiting, decided = evaluation.comparisons.order_by("id")[:2]
    comments = {
        waiting: "The response is cut off mid-sentence and repeats itself " * 3,
        decided: "garbled",
    }
    for index, (comparison, comment) in enumerate(comments.items()):
        Assignment.objects.create(
            comparison=comparison,
            annotator=make_user(f"flagger{index}", "annotator"),
            candidate_on_left=True,
            state=Assignment.State.FLAGGED,
            leased_at=now,
            expires_at=now,
            ended_at=now,
            comment=comment,
        )
    flag_review_record(
        comparison_id=decided.pk,
        action="exclude",
        reviewer=make_user("reviewer", "admin"),
        note="Both responses are garbled beyond judging; excluded from the report.",
    )


def test_pages_fit_a_phone(browser, live_server):
    cache.clear()
    make_user("adm1", "admin")
    h2h = head_to_head()
    arena = tournament()
    arena.chat_models.add(*(ChatModelFactory(name=f"model-{k:02d}") for k in range(56)))
    _flag(h2h)
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    try:
        browser_login(page, live_server, "adm1")
        for path in (
            "/",
            "/reports/",
            f"/reports/{h2h.pk}/?resamples=50",
            f"/evaluations/{h2h.pk}/quality/",
            f"/evaluations/{h2h.pk}/flags/",  # its table spilled (a new-user pass)
            # Their tables spilled too (a later pass): the ratings of a prompt, the
            # prompts of an evaluation.
            f"/reports/prompts/{h2h.comparisons.order_by('id')[0].prompt_id}/",
            f"/reports/{h2h.pk}/prompts/",
            # Its two responses spilled (a later pass still): the page of one pair.
            f"/reports/{h2h.pk}/pairs/{h2h.comparisons.order_by('id')[0].pk}/",
        ):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            assert _overflow(page) <= 0, path
        page.goto(f"{live_server.url}/")
        row = page.locator(f'tr[data-evaluation="{arena.pk}"]')
        assert row.bounding_box()["height"] < 400  # 59 names made it 5,000 px
    finally:
        context.close()


def test_an_annotator_s_home_fits_a_phone(browser, live_server):
    """A new-annotator pass: on a 390 px phone the table of their evaluations was
    about 20 px wider than its card, so the card scrolled and the Start button sat
    clipped against its edge."""
    annotator = make_user("ann-phone", "annotator")
    evaluation = head_to_head()
    evaluation.pool.add(annotator)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        browser_login(page, live_server, "ann-phone")
        page.goto(f"{live_server.url}/")
        page.wait_for_load_state("load")
        spill = page.evaluate(
            "() => { const card = document.querySelector('section.card');"
            " return card.scrollWidth - card.clientWidth; }"
        )
        assert spill <= 0
        assert page.locator("button.start").is_visible()
    finally:
        context.close()


def test_judge_and_authoring_pages_fit_a_phone(browser, live_server):
    """A new-user pass at 390 px: the judge runs, a run's judgements and a writer's
    authoring home scrolled the whole page sideways (a ``<table class="card">``
    does not scroll inside itself: its box is the table's)."""
    from generations.models import AuthoringSetup
    from judges.models import Judgement, JudgeRun
    from judges.services import templates
    from tests.factories import PromptSetFactory
    from tests.judges.conftest import build_evaluation

    make_user("adm2", "admin")
    evaluation = build_evaluation(pairs=2)
    server = {"backend": "openai", "base_url": "http://h:1/v1"}
    judge = templates.judge_create(
        name="a judge with a long name",
        chat_model=ChatModelFactory(name="judge model", **server),
    )
    run = JudgeRun.objects.create(evaluation=evaluation, judge=judge, status="finished")
    for comparison in evaluation.comparisons.all():
        Judgement.objects.create(
            judge=judge,
            comparison=comparison,
            run=run,
            template=judge.template,
            scale=evaluation.scale,
            candidate_on_left=True,
            status="done",
            choice=1,
            score=1,
            reply='{"verdict": "A>"} since the first response answers the question',
        )
    setup = AuthoringSetup.objects.create(
        prompt_set=PromptSetFactory(name="written"),
        model_a=ChatModelFactory(name="gpt-like", **server),
        model_b=ChatModelFactory(name="llama-like", **server),
    )
    setup.writers.add(make_user("writer-phone", "annotator"))
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        browser_login(page, live_server, "adm2", then=None)
        for path in ("/judges/runs/", f"/judges/runs/{run.pk}/"):
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            assert _overflow(page) <= 0, path
        page.context.clear_cookies()
        browser_login(page, live_server, "writer-phone", then="/authoring/")
        assert _overflow(page) <= 0, "/authoring/"
    finally:
        context.close()
