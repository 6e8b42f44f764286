"""Consistency end to end on the real parts: llama.cpp's server, a Celery worker on
Redis, PostgreSQL; annotators answer through the real judging page, and the report's
shares equal a hand count of the answers given."""

import itertools
import json
import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotations import roles
from consistency.models import ConsistencyEvaluation, Dialogue, ReplyJudgement
from generations.services import chat_models
from tests.conftest import make_user
from tests.generations.test_llama_end_to_end import _server_count

from .answering import answer_for, hand_count

pytestmark = [
    pytest.mark.llama,
    pytest.mark.redis,
    pytest.mark.postgres,
    # One test process for the module: its server and worker start once (.ci/run).
    pytest.mark.xdist_group("llama"),
]

MODELS = ("tiny alpha", "tiny beta")
INSTRUCTIONS = [
    {
        "id": f"i{i}",
        "system": system,
        "attribute": attribute,
        "probes": [f"{probe} ({i}.{t})" for t in range(1, 4)],
    }
    for i, (system, attribute, probe) in enumerate(
        [
            ("Always answer in haiku.", "haiku", "Tell me about the sea"),
            ("Act as a pirate.", "persona", "What should I cook tonight"),
            ("Answer in one sentence only.", "brevity", "Explain photosynthesis"),
        ]
    )
]


def _chat_model(name, url, **fields):
    return chat_models.chat_model_create(
        name=name,
        base_url=f"{url}/v1",
        model_id="tiny-llama2",
        limits="custom",
        context_limit=fields.pop("context_limit", 1000),
        generation_limit=fields.pop("generation_limit", 16),
        decoding={"seed": 7},
        max_concurrency=2,
        **fields,
    )


def _upload(api, name, models, records, **fields):
    data = "\n".join(json.dumps(r) for r in records).encode()
    response = api.post(
        "/api/consistency/imports/",
        {
            "evaluation": name,
            "chat_models": ",".join(models),
            "file": SimpleUploadedFile("instructions.jsonl", data),
            **fields,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    return ConsistencyEvaluation.objects.get(name=name)


def _run(api, evaluation, worker, timeout=240):
    response = api.post(f"/api/consistency/evaluations/{evaluation.pk}/start/")
    assert response.status_code == 202, response.content
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not evaluation.dialogues.filter(status__in=("queued", "running")).exists():
            return
        time.sleep(0.3)
    pytest.fail(f"dialogues did not end\n{worker.log_path.read_text()[-3000:]}")


def test_two_chat_models_end_to_end_report_equals_hand_count(
    llama_server, worker, client
):
    admin = make_user("cadmin", roles.ADMIN)
    annotators = [make_user(f"cann{i}", roles.ANNOTATOR) for i in range(3)]
    for name in MODELS:
        _chat_model(name, llama_server.url)
    api = APIClient()
    api.force_authenticate(admin)
    evaluation = _upload(
        api,
        "consistency e2e",
        MODELS,
        INSTRUCTIONS,
        annotators=",".join(u.username for u in annotators),
    )
    _run(api, evaluation, worker)

    dialogues = Dialogue.objects.filter(evaluation=evaluation)
    assert dialogues.count() == 6
    for dialogue in dialogues:
        assert (dialogue.status, dialogue.turns_completed) == ("done", 3)
        replies = list(dialogue.replies.order_by("turn"))
        assert [r.turn for r in replies] == [1, 2, 3]
        # Each turn's prompt holds the turns before it, replies included.
        for before, after in itertools.pairwise(replies):
            assert after.prompt_tokens >= before.prompt_tokens + max(
                before.completion_tokens - 1, 0
            )
        assert all(1 <= r.completion_tokens <= 16 for r in replies)

    # Annotators answer through the judging page: one POST stores and serves next.
    given = []
    for index, user in enumerate(annotators):
        client.force_login(user)
        page = client.get(f"/consistency/{evaluation.pk}/judge/")
        while 'name="judgement"' in (html := page.content.decode()):
            assert not any(name in html for name in MODELS)
            judgement_id = int(re.search(r'name="judgement" value="(\d+)"', html)[1])
            reply = (
                ReplyJudgement.objects.select_related(
                    "reply__dialogue__chat_model", "reply__dialogue__instruction"
                )
                .get(pk=judgement_id)
                .reply
            )
            key = (
                reply.dialogue.chat_model.name,
                reply.dialogue.instruction.external_id,
                reply.turn,
            )
            answer = answer_for(index, key[1], key[2], key[0])
            given.append((*key, answer))
            page = client.post(
                f"/consistency/{evaluation.pk}/judge/",
                {"judgement": judgement_id, "answer": answer},
            )
            assert page.status_code == 200
    assert len(given) == 3 * 18

    status = api.get(f"/api/consistency/evaluations/{evaluation.pk}/").json()
    assert (status["replies"], status["complete"]) == (18, 18)
    assert status["dialogues"] == {name: {"done": 3} for name in MODELS}
    body = api.get(f"/api/consistency/evaluations/{evaluation.pk}/report/").json()
    expected = hand_count(given, per_reply=3)
    assert body["chat_models"] == sorted(MODELS)
    assert len(body["rows"]) == 6
    for row in body["rows"]:
        respecting, decided = expected[(row["chat_model"], row["turn"])]
        assert (row["respecting"], row["respecting"] + row["not_respecting"]) == (
            respecting,
            decided,
        )
        assert row["share"] == (respecting / decided if decided else None)
        assert row["replies"] == row["complete"] == 3


def test_dialogues_stop_at_the_context_limit(llama_server, worker):
    admin = make_user("cadmin2", roles.ADMIN)
    # A small limit: the prompt grows each turn and passes it by turn 5.
    _chat_model(
        "tiny small context", llama_server.url, context_limit=200, generation_limit=24
    )
    # A limit over the server's 2048 tokens a slot: the server refuses instead.
    _chat_model(
        "tiny server refuses", llama_server.url, context_limit=4000, generation_limit=8
    )
    api = APIClient()
    api.force_authenticate(admin)
    # About 35 tokens a probe: turn 2 fits under 200 whatever reply 1 is, turn 5
    # cannot even with empty replies.
    probes = [
        f"Tell me more about topic number {t}, please, in detail, with examples "
        "from history, science, art and daily life, and why it matters today."
        for t in range(1, 6)
    ]
    records = [
        {"id": "grow", "system": "Always answer in haiku.", "probes": probes},
        {"id": "huge", "system": "Be brief.", "probes": ["Hi!", "dog " * 2600]},
    ]
    small = _upload(api, "context small", ["tiny small context"], records[:1])
    refuses = _upload(api, "context refuses", ["tiny server refuses"], records[1:])
    _run(api, small, worker)
    _run(api, refuses, worker)

    dialogue = small.dialogues.get()
    assert dialogue.status == "stopped_at_context"
    stop = dialogue.turns_completed + 1
    assert 2 <= stop <= 5
    assert dialogue.replies.count() == dialogue.turns_completed
    replies = list(dialogue.replies.order_by("turn").values_list("text", flat=True))
    messages = [{"role": "system", "content": "Always answer in haiku."}]
    for turn, reply in enumerate(replies, start=1):
        messages += [
            {"role": "user", "content": probes[turn - 1]},
            {"role": "assistant", "content": reply},
        ]
    messages.append({"role": "user", "content": probes[stop - 1]})
    needed = _server_count(llama_server.url, messages)
    assert needed > 200
    assert dialogue.note == (
        f"stopped before turn {stop}: the prompt would need {needed} tokens, "
        "over the context limit 200"
    )

    refused = refuses.dialogues.get()
    assert (refused.status, refused.turns_completed) == ("stopped_at_context", 1)
    assert refused.note.startswith("stopped before turn 2: the server refused")
