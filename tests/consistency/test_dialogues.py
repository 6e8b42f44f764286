"""Running dialogues against a scripted OpenAI-compatible server: each reply feeds the
next turn, a retry never redoes a stored turn, errors end as they should."""

import pytest

from consistency.models import ConsistencyEvaluation, Dialogue, Instruction, Reply
from consistency.services import dialogues, runs
from generations.backends import TransientBackendError
from tests.generations.conftest import stub_chat_model

pytestmark = pytest.mark.django_db


def _dialogue(server, probes, name="stub"):
    evaluation = ConsistencyEvaluation.objects.create(name=f"run-{name}")
    model = stub_chat_model(server, name=name)
    evaluation.chat_models.set([model])
    instruction = Instruction.objects.create(
        evaluation=evaluation,
        external_id="i",
        system_message="Be a pirate.",
        probes=probes,
    )
    return evaluation, Dialogue.objects.create(
        evaluation=evaluation, instruction=instruction, chat_model=model
    )


def test_a_retry_continues_after_the_stored_turns(stub_server):
    _, dialogue = _dialogue(stub_server, ["One?", "Two?", "Three?"])
    Reply.objects.create(dialogue=dialogue, turn=1, user_text="One?", text="Arr, one.")
    stub_server.state.fail_500 = 1
    with pytest.raises(TransientBackendError):
        dialogues.dialogue_execute(dialogue_id=dialogue.pk)
    dialogue.refresh_from_db()
    assert dialogue.status == "queued"
    assert "500" in dialogue.note

    assert dialogues.dialogue_execute(dialogue_id=dialogue.pk) == "done"
    dialogue.refresh_from_db()
    assert (dialogue.status, dialogue.turns_completed, dialogue.note) == ("done", 3, "")
    texts = list(dialogue.replies.order_by("turn").values_list("text", flat=True))
    assert texts == ["Arr, one.", "Answer to Two?", "Answer to Three?"]
    # Turn 1 was never asked again; turn 3's prompt holds both replies before it.
    last = [body["messages"] for body in stub_server.state.bodies][-1]
    assert last == [
        {"role": "system", "content": "Be a pirate."},
        {"role": "user", "content": "One?"},
        {"role": "assistant", "content": "Arr, one."},
        {"role": "user", "content": "Two?"},
        {"role": "assistant", "content": "Answer to Two?"},
        {"role": "user", "content": "Three?"},
    ]
    assert stub_server.state.completed["One?"] == 0
    # A finished dialogue's task returns at once.
    assert dialogues.dialogue_execute(dialogue_id=dialogue.pk) == "skipped"


def test_errors_end_the_dialogue(stub_server):
    _, bad = _dialogue(stub_server, ["Hi", "BAD-REQUEST"], name="bad")
    assert dialogues.dialogue_execute(dialogue_id=bad.pk) == "failed"
    bad.refresh_from_db()
    assert (bad.turns_completed, bad.replies.count()) == (1, 1)
    assert "400" in bad.note

    _, long = _dialogue(stub_server, ["Hi", "TOO-LONG please"], name="long")
    assert dialogues.dialogue_execute(dialogue_id=long.pk) == "stopped_at_context"
    long.refresh_from_db()
    assert long.note.startswith("stopped before turn 2: the server refused")

    _, flaky = _dialogue(stub_server, ["Hi"], name="flaky")
    stub_server.state.fail_500 = 1
    assert (
        dialogues.dialogue_execute(dialogue_id=flaky.pk, final_attempt=True) == "failed"
    )


def test_a_reply_without_content_fails_the_dialogue(stub_server):
    """A null content was stored as an empty reply for annotators to judge (a
    new-user pass)."""
    _, dialogue = _dialogue(stub_server, ["Hi", "Again"])
    stub_server.state.reply = lambda body: None
    assert dialogues.dialogue_execute(dialogue_id=dialogue.pk) == "failed"
    dialogue.refresh_from_db()
    assert (dialogue.turns_completed, dialogue.replies.count()) == (0, 0)
    assert "the server returned no content" in dialogue.note


@pytest.mark.django_db(transaction=True)
def test_start_runs_every_dialogue_through_the_task(
    stub_server, eager_celery, django_capture_on_commit_callbacks
):
    evaluation, dialogue = _dialogue(stub_server, ["A?", "B?"])
    dialogue.delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.evaluation_start(evaluation=evaluation) == 1
    (dialogue,) = Dialogue.objects.filter(evaluation=evaluation)
    assert (dialogue.status, dialogue.replies.count()) == ("done", 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert runs.evaluation_start(evaluation=evaluation) == 0


@pytest.mark.django_db(transaction=True)
def test_start_refuses_a_chat_model_whose_server_cannot_be_reached(
    stub_server, eager_celery, client, admin_user
):
    """As generation jobs and judge runs refuse: the dialogues sat queued for many
    minutes of retries (a new-user pass in Chromium). Nothing is stored."""
    evaluation, dialogue = _dialogue(stub_server, ["A?"])
    dialogue.delete()
    model = evaluation.chat_models.get()
    model.base_url = "http://127.0.0.1:9/v1"  # nothing listens on port 9
    model.save()
    client.force_login(admin_user)
    response = client.post(f"/api/consistency/evaluations/{evaluation.pk}/start/")
    assert response.status_code == 503
    assert "cannot connect" in response.json()["detail"]
    assert response.json()["code"] == "service_unavailable"  # as jobs and judges say
    page = client.post(f"/consistency/{evaluation.pk}/start/", follow=True)
    assert "cannot connect" in page.content.decode()
    assert not Dialogue.objects.filter(evaluation=evaluation).exists()
