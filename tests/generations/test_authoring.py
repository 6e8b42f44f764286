"""Prompt authoring services and pages, with the replies' pieces stubbed.

The streaming itself, against the real llama.cpp server, is in
test_authoring_llama.py.
"""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import transaction

from generations.exports import prompt_lines
from generations.models import (
    AuthoringPreference,
    AuthoringSetup,
    Draft,
    Prompt,
    PromptSet,
)
from generations.services import authoring, authoring_replies, authoring_start
from generations.services.imports import prompts_import
from tests.conftest import make_user
from tests.factories import ChatModelFactory, PromptFactory, PromptSetFactory

SERVER = {"backend": "openai", "base_url": "http://h:1/v1"}


@pytest.fixture
def setup(db):
    prompt_set = PromptSetFactory(name="written")
    setup = AuthoringSetup.objects.create(
        prompt_set=prompt_set,
        # The replies are stubbed: the servers are never asked.
        model_a=ChatModelFactory(name="gpt-like", **SERVER),
        model_b=ChatModelFactory(name="llama-like", **SERVER),
        method_targets={"best_of_both": 1},
    )
    setup.writers.add(make_user("writer", "annotator"))
    return setup


@pytest.fixture
def writer(setup):
    return setup.writers.get()


@pytest.fixture
def stub_replies(monkeypatch):
    """Each reply is two pieces naming the chat model that wrote it."""

    def pieces(chat_model, turns, max_tokens):
        yield f"{chat_model.name} "
        yield f"says {len(turns)}"

    monkeypatch.setattr(authoring_replies, "_reply_pieces", pieces)


def _reply(draft, writer) -> list[authoring_replies.ReplyEvent]:
    return list(authoring_replies.reply_stream(draft_id=draft.pk, writer=writer))


def _draft(setup, writer, method) -> Draft:
    return Draft.objects.create(
        prompt_set=setup.prompt_set, writer=writer, method=method
    )


def test_a_draft_gets_the_method_furthest_behind(setup, writer):
    # Target: only best of both -> every new draft is best of both.
    first = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer)
    assert first.method == "best_of_both"
    authoring.draft_user_turn_add(draft_id=first.pk, writer=writer, content="Hi")
    setup.method_targets = {"chatgpt": 1, "alternating": 1}
    setup.save()
    PromptFactory(prompt_set=setup.prompt_set, collection_method="chatgpt", num_turns=2)
    # Saved: chatgpt 1; open drafts: best_of_both 1 (n = 2). Deficits for the third:
    # chatgpt 0.5*3-1 = 0.5, alternating 1.5 -> alternating.
    draft = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer)
    assert draft.method == "alternating"


def test_only_writers_of_the_pool_start_drafts(setup):
    outsider = make_user("outsider", "annotator")
    with pytest.raises(PermissionDenied):
        authoring_start.draft_start(prompt_set=setup.prompt_set, writer=outsider)


@pytest.mark.parametrize(
    ("method", "models"),
    [
        ("chatgpt", ["gpt-like", "gpt-like"]),
        ("llama2chat", ["llama-like", "llama-like"]),
        ("alternating", ["gpt-like", "llama-like"]),
    ],
)
def test_the_method_decides_who_answers(setup, writer, stub_replies, method, models):
    draft = _draft(setup, writer, method)
    for turn in ("Hi", "More"):
        authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content=turn)
        events = _reply(draft, writer)
        assert [e.kind for e in events] == ["chunk", "chunk", "done"]
    draft.refresh_from_db()
    assert [t.get("model") for t in draft.turns if t["role"] == "assistant"] == models
    assert draft.turns[1]["content"] == f"{models[0]} says 1"


def test_best_of_both_streams_both_and_stores_the_choice(setup, writer, stub_replies):
    draft = _draft(setup, writer, "best_of_both")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    events = _reply(draft, writer)
    assert [(e.kind, e.side) for e in events] == [
        ("chunk", "a"),
        ("chunk", "a"),
        ("chunk", "b"),
        ("chunk", "b"),
        ("done", ""),
    ]
    with pytest.raises(ValidationError, match="Keep one"):
        authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="x")
    authoring.draft_choice_store(draft_id=draft.pk, writer=writer, side="b", strength=3)
    preference = AuthoringPreference.objects.get()
    assert (preference.chosen_model.name, preference.rejected_model.name) == (
        "llama-like",
        "gpt-like",
    )
    assert (preference.turn_index, preference.strength) == (1, 3)
    assert preference.chosen_text == "llama-like says 1"
    draft.refresh_from_db()
    assert draft.pending == {}
    assert draft.turns[-1]["content"] == "llama-like says 1"
    # A second tab still showing the two replies: told to reload (409), not a 400
    # about the request (a new-user pass in Chromium); the first choice stands.
    with pytest.raises(authoring.DraftChanged, match="reload the page"):
        authoring.draft_choice_store(draft_id=draft.pk, writer=writer, side="a")
    assert AuthoringPreference.objects.count() == 1


def test_the_replies_are_named_alike_before_and_after_they_come(
    client, setup, writer, stub_replies
):
    """They read "Reply A/B" while streaming, "Reply A · gpt-like" after a reload."""
    draft = _draft(setup, writer, "best_of_both")
    client.force_login(writer)
    url = f"/authoring/drafts/{draft.pk}/"
    headings = ("<h2>Reply A · gpt-like</h2>", "<h2>Reply B · llama-like</h2>")
    before = client.get(url).content.decode()  # the box the replies stream into
    assert all(heading in before for heading in headings)
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    _reply(draft, writer)
    after = client.get(url).content.decode()  # reloaded with both pending
    assert all(heading in after for heading in headings)


def test_a_choice_on_a_draft_of_another_method_says_there_is_none(
    client, setup, writer, stub_replies
):
    """No page offers it; a crafted request was told another tab had chosen."""
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    response = client.post(f"/authoring/drafts/{draft.pk}/choose/", {"side": "a"})
    assert response.status_code == 400
    assert "keeps every reply: there is none to choose" in response.content.decode()
    assert not AuthoringPreference.objects.exists()


def test_a_stale_tab_s_choice_is_a_409_saying_reload(
    client, setup, writer, stub_replies
):
    draft = _draft(setup, writer, "best_of_both")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    _reply(draft, writer)
    client.force_login(writer)
    kept = client.post(f"/authoring/drafts/{draft.pk}/choose/", {"side": "b"})
    assert kept.status_code == 302
    stale = client.post(f"/authoring/drafts/{draft.pk}/choose/", {"side": "a"})
    assert stale.status_code == 409
    assert "reload the page" in stale.content.decode()
    assert AuthoringPreference.objects.get().chosen_text.startswith("llama-like")


def test_saving_makes_a_prompt_with_method_models_and_writer(
    setup, writer, stub_replies
):
    draft = _draft(setup, writer, "best_of_both")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    _reply(draft, writer)
    authoring.draft_choice_store(draft_id=draft.pk, writer=writer, side="a")
    prompt = authoring.draft_save(
        draft_id=draft.pk,
        writer=writer,
        categories=["dialogue", "recommendations"],
        final_turn="And then?",
    )
    assert prompt.collection_method == "best_of_both"
    assert prompt.num_turns == 2
    assert prompt.turns == [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "gpt-like says 1"},
        {"role": "user", "content": "And then?"},
    ]
    assert prompt.metadata == {
        "models": ["gpt-like"],
        "writer": "writer",
        "draft": draft.pk,
    }
    assert AuthoringPreference.objects.get().prompt == prompt
    draft.refresh_from_db()
    assert (draft.status, draft.prompt) == ("saved", prompt)


@pytest.mark.parametrize(
    ("categories", "final_turn", "field"),
    [
        ([], "Bye?", "categories"),
        (["dialogue", "recommendations", "language assistance"], "Bye?", "categories"),
        (["poetry"], "Bye?", "categories"),
        (["dialogue"], "", "content"),  # ends on an assistant turn
    ],
)
def test_save_refuses_bad_endings_and_categories(
    setup, writer, stub_replies, categories, final_turn, field
):
    draft = _draft(setup, writer, "chatgpt")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    _reply(draft, writer)
    with pytest.raises(ValidationError) as caught:
        authoring.draft_save(
            draft_id=draft.pk,
            writer=writer,
            categories=categories,
            final_turn=final_turn,
        )
    assert field in caught.value.message_dict
    assert not Prompt.objects.exists()


def test_a_single_user_turn_is_not_a_written_dialogue(setup, writer):
    draft = _draft(setup, writer, "chatgpt")
    with pytest.raises(ValidationError, match="two user turns"):
        authoring.draft_save(
            draft_id=draft.pk, writer=writer, categories=["dialogue"], final_turn="Hi"
        )


def test_saved_prompts_round_trip_through_export_and_import(
    setup, writer, stub_replies, tmp_path
):
    for method in ("chatgpt", "alternating"):
        draft = _draft(setup, writer, method)
        authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
        _reply(draft, writer)
        authoring.draft_save(
            draft_id=draft.pk,
            writer=writer,
            categories=["factual questions"],
            final_turn="Why?",
        )
    out = tmp_path / "written.jsonl"
    call_command("export_prompts", "--prompt-set", "written", "--output", str(out))
    assert out.read_text() == "".join(prompt_lines(setup.prompt_set))
    prompts_import(prompt_set_name="copy", file_name=out.name, data=out.read_bytes())

    def fields(name):
        return list(
            PromptSet.objects.get(name=name)
            .prompts.order_by("external_id")
            .values_list(
                "external_id", "turns", "categories", "collection_method", "metadata"
            )
        )

    assert fields("copy") == fields("written")
    # External ids sort as text (authored-10 before authored-9): compare as a set.
    assert sorted(row[3] for row in fields("copy")) == ["alternating", "chatgpt"]


def test_the_writer_page_and_a_reload_restore_the_draft(
    client, setup, writer, stub_replies
):
    client.force_login(writer)
    response = client.post(f"/authoring/sets/{setup.prompt_set.pk}/write/")
    draft = Draft.objects.get()
    assert response.url == f"/authoring/drafts/{draft.pk}/"
    assert client.post(
        f"/authoring/drafts/{draft.pk}/turn/", {"content": "Hello there"}
    ).json() == {"ok": True}
    reply = client.post(f"/authoring/drafts/{draft.pk}/reply/")
    assert reply["Content-Type"] == "text/event-stream"
    body = b"".join(reply.streaming_content).decode()
    assert body.count("event: chunk") == 4
    assert body.endswith('event: done\ndata: {"side": "", "text": ""}\n\n')
    page = client.get(f"/authoring/drafts/{draft.pk}/").content.decode()
    assert "Hello there" in page
    assert "gpt-like says 1" in page
    assert "llama-like says 1" in page
    # A way back to the writer's prompt sets (the page had none but the site name).
    assert '<a href="/authoring/">Write prompts</a> / draft' in page
    assert client.get("/authoring/").status_code == 200


def test_bad_requests_are_4xx(client, setup, writer, stub_replies):
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    assert client.post(f"{base}/turn/", {"content": " "}).status_code == 400
    assert client.post(f"{base}/reply/").status_code == 400  # no user turn yet
    assert client.post(f"{base}/choose/", {"side": "c"}).status_code == 400
    assert client.post(f"{base}/save/", {"categories": "x"}).status_code == 400
    other = make_user("other", "annotator")
    client.force_login(other)
    assert client.get(f"{base}/").status_code == 404
    assert client.post(f"{base}/turn/", {"content": "hi"}).status_code == 403
    assert client.post(f"/authoring/sets/{setup.prompt_set.pk}/write/").status_code == (
        403
    )
    assert client.get(f"/authoring/sets/{setup.prompt_set.pk}/").status_code == 403


def test_progress_counts_methods_and_categories_against_targets(
    client, setup, admin_user
):
    """Targets: best of both only (share 1); categories: equal over the five.

    Saved: 2 best of both (dialogue; dialogue + recommendations), 1 chatgpt
    (dialogue). Method targets of 3: best of both 3.0, others 0.0. Category mentions
    4, target 0.8 each; dialogue 3, recommendations 1.
    """
    for method, categories in [
        ("best_of_both", ["dialogue"]),
        ("best_of_both", ["dialogue", "recommendations"]),
        ("chatgpt", ["dialogue"]),
    ]:
        PromptFactory(
            prompt_set=setup.prompt_set,
            collection_method=method,
            categories=categories,
            num_turns=2,
        )
    client.force_login(admin_user)
    response = client.get(f"/authoring/sets/{setup.prompt_set.pk}/")
    progress = response.context["progress"]
    methods = {row.name: (row.saved, row.target_count) for row in progress.methods}
    assert methods == {
        "chatgpt": (1, 0.0),
        "llama2chat": (0, 0.0),
        "best_of_both": (2, 3.0),
        "alternating": (0, 0.0),
    }
    categories = {
        row.name: (row.saved, row.target_count) for row in progress.categories
    }
    assert categories["dialogue"] == (3, pytest.approx(0.8))
    assert categories["recommendations"] == (1, pytest.approx(0.8))
    assert "prompts.jsonl" in response.content.decode()
    export = client.get(f"/authoring/sets/{setup.prompt_set.pk}/prompts.jsonl")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert [json.loads(line)["collection_method"] for line in lines] == [
        "best_of_both",
        "best_of_both",
        "chatgpt",
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method_targets", {"gpt4": 1}),
        ("method_targets", {"chatgpt": "half"}),
        ("method_targets", {"chatgpt": -1}),
        ("method_targets", {"chatgpt": float("inf")}),  # JSON's 1e400
        ("method_targets", {"chatgpt": 10**400}),  # no float holds it
        ("category_targets", {"dialogue": float("nan")}),  # JSON's NaN
        ("method_targets", [1, 2]),
        ("category_targets", {"poetry": 1}),
        # All zero read as equal shares on the progress page (a new-user pass).
        ("method_targets", {"chatgpt": 0, "llama2chat": 0, "best_of_both": 0}),
    ],
)
def test_setup_targets_are_checked(setup, field, value):
    setattr(setup, field, value)
    with pytest.raises(ValidationError) as caught:
        setup.full_clean()
    assert field in caught.value.message_dict


def test_cleared_targets_mean_equal_shares(setup):
    """The admin's cleared box is None: it was refused, though the help text says
    empty means equal shares (a new-user pass)."""
    setup.method_targets = None
    setup.category_targets = ""
    setup.full_clean()
    assert (setup.method_targets, setup.category_targets) == ({}, {})


def test_both_sides_need_a_server(setup):
    setup.full_clean()
    setup.model_b.backend = "imported"
    with pytest.raises(ValidationError, match="server"):
        setup.full_clean()


def test_a_reply_to_a_draft_saved_meanwhile_is_an_error_event(
    setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    events = authoring_replies.reply_stream(draft_id=draft.pk, writer=writer)
    assert next(events).kind == "chunk"
    Draft.objects.filter(pk=draft.pk).update(status="saved")
    events = list(events)
    assert [event.kind for event in events] == ["chunk", "error"]
    # Shown to the writer as it is, not as a dict of lists.
    assert events[-1].text == "This dialogue is already saved."


def test_services_refuse_an_outer_transaction(setup, writer):
    with transaction.atomic(), pytest.raises(RuntimeError):
        authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer)


def test_the_admin_pages_show_setup_drafts_and_preferences(client, setup, admin_user):
    client.force_login(admin_user)
    page = client.get("/admin/generations/authoringsetup/")
    assert f"/authoring/sets/{setup.prompt_set.pk}/" in page.content.decode()
    assert (
        client.get(f"/admin/generations/authoringsetup/{setup.pk}/change/").status_code
        == 200
    )
    for name in ("draft", "authoringpreference"):
        assert client.get(f"/admin/generations/{name}/").status_code == 200


def test_a_nul_byte_or_a_bad_count_in_a_turn_is_a_400_naming_the_field(
    client, setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    response = client.post(f"{base}/turn/", {"content": "owls \x00 here"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("content: ")
    response = client.post(f"{base}/turn/", {"content": "Hi", "turns": "two"})
    assert (response.status_code, response.json()["error"]) == (
        400,
        "turns: a count of turns.",
    )
    assert client.post(f"{base}/turn/", {"content": "Hi"}).status_code == 200
    b"".join(client.post(f"{base}/reply/").streaming_content)
    response = client.post(
        f"{base}/save/", {"content": "Bye\x00?", "categories": ["dialogue"]}
    )
    assert response.status_code == 400
    assert "NUL" in response.content.decode()
    draft.refresh_from_db()
    assert (len(draft.turns), draft.status) == (2, "draft")
    assert not Prompt.objects.exists()


def test_line_breaks_from_the_browser_are_stored_as_newlines(setup, writer):
    draft = _draft(setup, writer, "chatgpt")
    authoring.draft_user_turn_add(
        draft_id=draft.pk, writer=writer, content="One\r\nTwo\r\n"
    )
    draft.refresh_from_db()
    assert draft.turns == [{"role": "user", "content": "One\nTwo"}]


def test_a_turn_from_a_page_that_missed_another_tabs_turns_is_a_409(
    client, setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    # Tab one: a turn and its reply. Tab two still shows the empty draft.
    assert client.post(f"{base}/turn/", {"content": "Hi", "turns": "0"}).json() == {
        "ok": True
    }
    b"".join(client.post(f"{base}/reply/").streaming_content)
    response = client.post(f"{base}/turn/", {"content": "Hello?", "turns": "0"})
    assert response.status_code == 409
    assert "another tab" in response.json()["error"]
    draft.refresh_from_db()
    assert [turn["content"] for turn in draft.turns] == ["Hi", "gpt-like says 1"]
    assert client.post(f"{base}/turn/", {"content": "More", "turns": "2"}).json() == {
        "ok": True
    }


def test_a_reply_to_a_dialogue_that_went_on_meanwhile_is_not_stored(
    setup, writer, stub_replies
):
    """Two tabs ask for the reply to "Hi"; the first stores it and the writer goes
    on with "More". The second tab's reply is an error event, stored nowhere: not
    as a second reply to "Hi", not as the reply to "More"."""
    draft = _draft(setup, writer, "chatgpt")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    late = authoring_replies.reply_stream(draft_id=draft.pk, writer=writer)
    assert next(late).kind == "chunk"
    assert [event.kind for event in _reply(draft, writer)][-1] == "done"
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="More")
    events = list(late)
    assert [event.kind for event in events] == ["chunk", "error"]
    assert "another tab" in events[-1].text
    draft.refresh_from_db()
    assert [turn["content"] for turn in draft.turns] == [
        "Hi",
        "gpt-like says 1",
        "More",
    ]


def test_every_writers_open_drafts_count_toward_the_method_mix(setup, writer):
    """Targets a and b equal: the first writer's open draft is (a), so a second
    writer starting at the same time gets (b), not (a) again."""
    setup.method_targets = {"chatgpt": 1, "llama2chat": 1}
    setup.save()
    second = make_user("writer2", "annotator")
    setup.writers.add(second)
    first = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer)
    other = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=second)
    assert (first.method, other.method) == ("chatgpt", "llama2chat")


def test_a_refused_save_shows_the_typed_turn_and_categories_again(
    client, setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    client.post(f"{base}/turn/", {"content": "Hi"})
    b"".join(client.post(f"{base}/reply/").streaming_content)
    three = ["dialogue", "recommendations", "language assistance"]
    response = client.post(
        f"{base}/save/", {"content": "A long final question?", "categories": three}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert ">\nA long final question?</textarea>" in page
    assert '<fieldset id="categories">' in page  # open, not hidden
    for category in three:
        assert f'value="{category}" checked>' in page
    assert 'value="factual questions">' in page
    assert not Prompt.objects.exists()


def test_a_saved_draft_page_says_so_and_offers_no_form(
    client, setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    _reply(draft, writer)
    authoring.draft_save(
        draft_id=draft.pk, writer=writer, categories=["dialogue"], final_turn="Why?"
    )
    client.force_login(writer)
    page = client.get(f"/authoring/drafts/{draft.pk}/").content.decode()
    assert f"Saved as authored-{draft.pk} (dialogue)" in page
    assert "Why?" in page
    assert 'id="turn-form"' not in page
    assert 'id="choose-form"' not in page


def test_an_unanswered_turn_can_be_taken_back(client, setup, writer, stub_replies):
    """A turn whose reply keeps failing (too long for a model, say) would stop the
    draft for good: the writer takes it back into the box."""
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    response = client.post(f"{base}/withdraw/", {"turns": "0"})
    assert response.status_code == 400
    assert "No unanswered user turn" in response.json()["error"]
    client.post(f"{base}/turn/", {"content": "Hi"})
    b"".join(client.post(f"{base}/reply/").streaming_content)
    client.post(f"{base}/turn/", {"content": "A question too long"})
    assert client.post(f"{base}/withdraw/", {"turns": "2"}).status_code == 409
    assert client.post(f"{base}/withdraw/", {"turns": "x\x00"}).status_code == 400
    response = client.post(f"{base}/withdraw/", {"turns": "3"})
    assert response.json() == {"ok": True, "content": "A question too long"}
    draft.refresh_from_db()
    assert [turn["content"] for turn in draft.turns] == ["Hi", "gpt-like says 1"]
    # Answered turns stay: only an unanswered last user turn is taken back.
    assert client.post(f"{base}/withdraw/").status_code == 400
    assert client.post(f"{base}/turn/", {"content": "Shorter?"}).status_code == 200


def test_a_reply_asked_before_a_turn_was_taken_back_is_not_stored(
    setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    late = authoring_replies.reply_stream(draft_id=draft.pk, writer=writer)
    assert next(late).kind == "chunk"
    authoring.draft_user_turn_withdraw(draft_id=draft.pk, writer=writer)
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hello")
    assert [event.kind for event in late] == ["chunk", "error"]
    draft.refresh_from_db()
    assert draft.turns == [{"role": "user", "content": "Hello"}]


def test_starting_again_reuses_the_writers_untouched_draft(setup, writer):
    first = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer)
    assert (
        authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer) == first
    )
    authoring.draft_user_turn_add(draft_id=first.pk, writer=writer, content="Hi")
    second = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer)
    assert second != first
    assert Draft.objects.count() == 2


@pytest.mark.parametrize("targets", ['{"chatgpt": 1e400}', '{"chatgpt": NaN}'])
def test_the_admin_form_refuses_shares_json_cannot_store(
    client, setup, admin_user, targets
):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/generations/authoringsetup/{setup.pk}/change/",
        {
            "prompt_set": setup.prompt_set.pk,
            "model_a": setup.model_a.pk,
            "model_b": setup.model_b.pk,
            "method_targets": targets,
            "category_targets": "{}",
            "max_tokens": 256,
        },
    )
    assert response.status_code == 200
    assert "is a finite number" in response.content.decode()
    setup.refresh_from_db()
    assert setup.method_targets == {"best_of_both": 1}


def test_a_writer_taken_out_of_the_pool_can_no_longer_write(
    client, setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content="Hi")
    _reply(draft, writer)
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    assert f"{base}/" in client.get("/authoring/").content.decode()
    setup.writers.remove(writer)
    assert f"{base}/" not in client.get("/authoring/").content.decode()
    assert client.get(f"{base}/").status_code == 403
    assert client.post(f"{base}/turn/", {"content": "More"}).status_code == 403
    saved = client.post(f"{base}/save/", {"content": "Bye?", "categories": "dialogue"})
    assert saved.status_code == 403
    assert not Prompt.objects.exists()
    draft.refresh_from_db()
    assert len(draft.turns) == 2


def test_a_deleted_setup_leaves_its_drafts_refused_not_broken(
    client, setup, writer, stub_replies
):
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    setup.delete()
    assert client.get(f"{base}/").status_code == 403
    assert client.post(f"{base}/turn/", {"content": "More"}).status_code == 403
    draft.refresh_from_db()
    assert draft.turns == []


def test_writers_and_overseers_find_authoring_from_every_page(client, setup, writer):
    """The nav links to the writers' page; those who oversee authoring (admins and
    researchers) see every set's progress there, writers only their own sets."""
    client.force_login(writer)
    home = client.get("/").content.decode()
    assert 'href="/authoring/"' in home
    page = client.get("/authoring/").content.decode()
    assert "written" in page
    assert f'href="/authoring/sets/{setup.prompt_set.pk}/"' not in page
    for name, role in (("lead", "admin"), ("reader", "researcher")):
        client.force_login(make_user(name, role))
        assert 'href="/authoring/"' in client.get("/").content.decode()
        page = client.get("/authoring/").content.decode()
        assert f'href="/authoring/sets/{setup.prompt_set.pk}/"' in page
        progress = client.get(f"/authoring/sets/{setup.prompt_set.pk}/")
        assert progress.status_code == 200


def test_a_dialogue_over_the_context_limit_is_not_sent_and_the_writer_told(
    setup, writer
):
    """Counted as a generation's prompt is (the job would filter it): it was sent,
    and the writer shown the server's advice to its operator (a new-user pass in
    Chromium). The port named is closed: nothing may reach it."""
    model = setup.model_a
    model.tokenizer, model.context_limit = "tiktoken:cl100k_base", 30
    model.base_url = "http://127.0.0.1:9/v1"
    model.save()
    draft = _draft(setup, writer, "chatgpt")
    long_turn = "Please summarise this. " * 20
    authoring.draft_user_turn_add(draft_id=draft.pk, writer=writer, content=long_turn)
    events = _reply(draft, writer)
    [error] = [e for e in events if e.kind == "error"]
    assert "over gpt-like's limit of 30: take the turn back and shorten it" in (
        error.text
    )
    draft.refresh_from_db()
    assert draft.turns[-1]["role"] == "user"  # nothing stored


def test_saving_from_a_page_that_missed_another_tabs_turns_is_a_409(
    client, setup, writer, stub_replies
):
    """Tab two shows the dialogue at two turns; tab one went on to four. Tab two's
    save (with or without a final turn) stores nothing and shows the turns it
    missed, keeping what the writer typed; a save from the current page works."""
    draft = _draft(setup, writer, "chatgpt")
    client.force_login(writer)
    base = f"/authoring/drafts/{draft.pk}"
    for turn, shown in (("Hi", "0"), ("Second question", "2")):
        client.post(f"{base}/turn/", {"content": turn, "turns": shown})
        b"".join(client.post(f"{base}/reply/").streaming_content)
    page = client.get(f"{base}/").content.decode()
    assert '<input type="hidden" name="turns" id="turns" value="4">' in page
    for content in ("Tab two final question", ""):
        response = client.post(
            f"{base}/save/",
            {"content": content, "categories": "dialogue", "turns": "2"},
        )
        assert response.status_code == 409
        page = response.content.decode()
        assert (
            "changed in another tab or window: it is shown below as it is now" in page
        )
        assert "reload the page" not in page  # a reload would post the stale form again
        assert "Second question" in page  # the missed turn is shown now
        assert f">\n{content}</textarea>" in page
        assert not Prompt.objects.exists()
        draft.refresh_from_db()
        assert draft.status == Draft.Status.DRAFT
        assert len(draft.turns) == 4
    assert client.post(f"{base}/save/", {"turns": "x"}).status_code == 400
    response = client.post(
        f"{base}/save/",
        {"content": "Tab one's final question", "categories": "dialogue", "turns": "4"},
    )
    assert response.status_code == 302
    assert Prompt.objects.get().num_turns == 3


def test_drafts_of_writers_taken_out_of_the_pool_count_nowhere(
    client, setup, writer, admin_user
):
    """Targets a and b equal. The second writer's draft (a) would make the next
    draft (b); once they are out of the pool it counts neither in the mix nor
    among the open drafts, and the next draft is (a) again (a tie goes to a)."""
    setup.method_targets = {"chatgpt": 1, "llama2chat": 1}
    setup.save()
    second = make_user("writer2", "annotator")
    setup.writers.add(second)
    gone = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=second)
    assert gone.method == "chatgpt"
    client.force_login(admin_user)
    progress = f"/authoring/sets/{setup.prompt_set.pk}/"
    assert client.get(progress).context["progress"].open_drafts == 1
    setup.writers.remove(second)
    assert client.get(progress).context["progress"].open_drafts == 0
    mine = authoring_start.draft_start(prompt_set=setup.prompt_set, writer=writer)
    assert mine.method == "chatgpt"
    assert client.get(progress).context["progress"].open_drafts == 1


def test_a_writer_taken_out_of_the_pool_is_told_so(client, setup, writer):
    draft = _draft(setup, writer, "chatgpt")
    setup.writers.remove(writer)
    client.force_login(writer)
    # In the page they still have open: its turn is refused with the reason.
    sent = client.post(f"/authoring/drafts/{draft.pk}/turn/", {"content": "Hi"})
    assert sent.status_code == 403
    assert sent.json()["error"].startswith("You are no longer a writer of this")
    response = client.get(f"/authoring/drafts/{draft.pk}/")
    assert response.status_code == 403
    page = response.content.decode()
    assert "You are no longer a writer of this prompt set" in page
    assert "Your account&#x27;s role may not open this page" not in page


def test_a_turn_for_another_writers_draft_is_not_called_out_of_the_pool(
    client, setup, writer
):
    """A new-user pass: a turn sent to a draft that is not the writer's (another
    writer's, or none) said "You are no longer a writer of this prompt set" to a
    writer still in the pool."""
    other = make_user("other-writer", "annotator")
    setup.writers.add(other)
    theirs = _draft(setup, other, "chatgpt")
    client.force_login(writer)
    for pk in (theirs.pk, theirs.pk + 1000):
        for action, data in (("turn", {"content": "Hi"}), ("withdraw", {})):
            sent = client.post(f"/authoring/drafts/{pk}/{action}/", data)
            assert sent.status_code == 403, action
            assert sent.json() == {"error": "No such draft of yours."}
    theirs.refresh_from_db()
    assert theirs.turns == []


@pytest.mark.parametrize("value", ["0", "-1"])
def test_the_admin_form_refuses_replies_of_no_tokens(client, setup, admin_user, value):
    client.force_login(admin_user)
    response = client.post(
        f"/admin/generations/authoringsetup/{setup.pk}/change/",
        {
            "prompt_set": setup.prompt_set.pk,
            "model_a": setup.model_a.pk,
            "model_b": setup.model_b.pk,
            "method_targets": "{}",
            "category_targets": "{}",
            "max_tokens": value,
        },
    )
    assert response.status_code == 200
    assert "greater than or equal to 1" in response.content.decode()
    setup.refresh_from_db()
    assert setup.max_tokens == 256


def test_the_admin_form_refuses_replies_of_more_tokens_than_it_can_store(
    client, setup, admin_user
):
    client.force_login(admin_user)
    url = f"/admin/generations/authoringsetup/{setup.pk}/change/"
    assert 'max="2147483647"' in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "prompt_set": setup.prompt_set.pk,
            "model_a": setup.model_a.pk,
            "model_b": setup.model_b.pk,
            "method_targets": "{}",
            "category_targets": "{}",
            "max_tokens": "99999999999",
        },
    )
    assert response.status_code == 200
    assert "less than or equal to 2147483647" in response.content.decode()
