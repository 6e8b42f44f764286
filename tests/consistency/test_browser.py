"""The judging page and the report in headless Chromium: keys Y, N and A answer;
no model name on the judging page. With EVALSITE_SCREENSHOTS=1 it refreshes
docs/consistency-judging.png and docs/consistency-report.png."""

import os
from pathlib import Path

import pytest
from django.conf import settings

from annotations import roles
from consistency.models import (
    ConsistencyEvaluation,
    Dialogue,
    Instruction,
    Reply,
    ReplyJudgement,
)
from consistency.services import judging
from tests.conftest import browser_login, make_user
from tests.factories import ChatModelFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"
DOCS = Path(settings.BASE_DIR) / "docs"
MODELS = ("chat-with-gatt", "chat-without-gatt")
TURNS = 6
SYSTEMS = [
    ("haiku", "Always answer with Haiku."),
    ("sentence", "Answer in one sentence only."),
    ("pirate", "Act as a pirate in every reply."),
    ("french", "Always answer in French."),
]
PROBES = [
    "What is the best season to visit Kyoto?",
    "How should I pack for it?",
    "Any food I must try?",
    "How do I get around the city?",
    "What about a day trip?",
    "Summarise the plan for me.",
]
HAIKU = "Maple leaves drift down\nTemple bells in autumn air\nKyoto waits for you"


def _world():
    """Four instructions x six turns x two chat models, every dialogue done."""
    evaluation = ConsistencyEvaluation.objects.create(name="Kyoto trip: instructions")
    models = [ChatModelFactory(name=name) for name in MODELS]
    evaluation.chat_models.set(models)
    for attribute, system in SYSTEMS:
        instruction = Instruction.objects.create(
            evaluation=evaluation,
            external_id=attribute,
            attribute=attribute,
            system_message=system,
            probes=PROBES,
        )
        for model in models:
            dialogue = Dialogue.objects.create(
                evaluation=evaluation,
                instruction=instruction,
                chat_model=model,
                status="done",
                turns_completed=TURNS,
            )
            Reply.objects.bulk_create(
                Reply(
                    dialogue=dialogue,
                    turn=t,
                    user_text=PROBES[t - 1],
                    text=HAIKU
                    if t == 1
                    else f"Reply {t}: autumn, when the "
                    "maples turn red, is the loveliest time.",
                )
                for t in range(1, TURNS + 1)
            )
    return evaluation


# The last turn each instruction holds (by its index in SYSTEMS): with GAtt all
# hold but one slip; without it they fade one after another, as in Figure 28.
HOLDS = {"chat-with-gatt": (6, 6, 6, 6), "chat-without-gatt": (2, 3, 4, 1)}


def _answer(annotator_index: int, reply: Reply) -> str:
    dialogue = reply.dialogue
    which = [a for a, _ in SYSTEMS].index(dialogue.instruction.external_id)
    holds = reply.turn <= HOLDS[dialogue.chat_model.name][which]
    if dialogue.chat_model.name == "chat-with-gatt" and (which, reply.turn) == (3, 4):
        holds = False
    answer = "yes" if holds else "no"
    if annotator_index == 2 and (reply.turn + which) % 5 == 0:
        answer = "not_applicable"  # one annotator of three differs: same majority
    return answer


def _judge_all(evaluation, user, index, limit=None):
    shown, done = judging.judgement_next(evaluation=evaluation, annotator=user), 0
    while shown is not None and (limit is None or done < limit):
        reply = (
            ReplyJudgement.objects.select_related(
                "reply__dialogue__chat_model", "reply__dialogue__instruction"
            )
            .get(pk=shown.judgement_id)
            .reply
        )
        shown = judging.judgement_answer(
            evaluation=evaluation,
            annotator=user,
            judgement_id=shown.judgement_id,
            answer=_answer(index, reply),
        ).next
        done += 1


def test_judging_with_keys_and_the_report(live_server, page):
    evaluation = _world()
    users = [make_user(f"kb{i}", roles.ANNOTATOR) for i in range(3)]
    researcher = make_user("kb-researcher", roles.RESEARCHER)
    evaluation.annotators.set(users)
    for index, user in enumerate(users[:2]):
        _judge_all(evaluation, user, index)

    browser_login(page, live_server, users[2].username, then=None)
    page.goto(f"{live_server.url}/consistency/{evaluation.pk}/judge/")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")  # judge.js, deferred, has the keys
    for name in MODELS:
        assert name not in page.content()
    # Find a later turn for the screenshot: the dialogue so far is shown.
    answered = []
    for key, expected in (("y", "yes"), ("n", "no"), ("a", "not_applicable")):
        before = page.get_attribute("#reply", "data-judgement")
        answered.append((int(before), expected))
        page.keyboard.press(key)
        page.wait_for_function(
            "(b) => { const r = document.getElementById('reply');"
            " return !r || r.dataset.judgement !== b; }",
            arg=before,
        )
    for judgement_id, expected in answered:
        assert ReplyJudgement.objects.get(pk=judgement_id).answer == expected
    # Answer on until a later turn is shown, with the dialogue so far.
    for _ in range(40):
        if page.locator("#reply .history").count():
            break
        before = page.get_attribute("#reply", "data-judgement")
        page.keyboard.press("y")
        page.wait_for_function(
            "(b) => document.getElementById('reply').dataset.judgement !== b",
            arg=before,
        )
    assert "Assistant:" in page.inner_text("#reply .history")
    for name in MODELS:
        assert name not in page.content()
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "consistency-judging.png"), full_page=True)
    _judge_all(evaluation, users[2], 2)

    page.context.clear_cookies()
    browser_login(page, live_server, researcher.username, then=None)
    page.goto(f"{live_server.url}/consistency/{evaluation.pk}/report/?resamples=300")
    page.wait_for_function(
        "() => { const i = document.getElementById('share-plot');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    cells = page.locator("#report-table td[data-turn='1']")
    assert cells.count() == 2
    assert "chat-with-gatt" in page.inner_text("#report-table thead").lower()
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "consistency-report.png"), full_page=True)
    # On a phone the figure shrinks to the page: nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("#share-plot").bounding_box()["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
