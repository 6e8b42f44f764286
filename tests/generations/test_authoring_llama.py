"""Prompt authoring in headless Chromium against the real llama.cpp server, streaming.

One dialogue per collection method; each reply streams chunk by chunk into the page.
"""

import os
import threading

import pytest

from generations.backends import ChatRequest, Connection, PermanentBackendError
from generations.backends.openai import OpenAIChatBackend
from generations.models import (
    AuthoringPreference,
    AuthoringSetup,
    ChatModel,
    Draft,
    Prompt,
)
from generations.services import authoring_replies
from tests.conftest import browser_login, make_user
from tests.factories import PromptSetFactory
from tests.support.llama import LlamaServer, build_tiny_model, vocab_path

from .conftest import free_port

pytestmark = [
    pytest.mark.llama,
    pytest.mark.browser,
    # One test process for the module: its server starts once (.ci/run).
    pytest.mark.xdist_group("llama"),
]

# Set EVALSITE_SCREENSHOTS=1 to refresh docs/authoring-*.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"
# Random weights: no end-of-sequence token stops a reply short of its 16 tokens.
DECODING = {"seed": 7, "ignore_eos": True}


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    if vocab_path() is None:
        pytest.skip("Llama 2 vocabulary not cached: run scripts/llama_vocab.py")
    model = build_tiny_model(tmp_path_factory.mktemp("llama") / "tiny.gguf")
    server = LlamaServer(model, free_port(18150, 18200), n_ctx=4096, n_parallel=2)
    yield server.start()
    server.stop()


def test_the_backend_streams_what_it_would_complete(llama_server):
    backend = OpenAIChatBackend(
        Connection(base_url=f"{llama_server.url}/v1", model_id="tiny-llama2")
    )
    request = ChatRequest(
        messages=[{"role": "user", "content": "Tell me a story."}],
        max_new_tokens=16,
        extra=DECODING,
    )
    pieces = list(backend.stream(request))
    assert len(pieces) > 1
    assert "".join(pieces) == backend.complete(request).text


@pytest.fixture
def held_after_first_piece(monkeypatch):
    """The real reply's pieces, held after the first until the test releases them.

    The tiny model writes 16 tokens in milliseconds, faster than the page reads;
    holding the rest shows the page renders a reply while it is still coming. The
    live server runs in this process, so the patch reaches its requests.
    """
    release = threading.Event()
    real = authoring_replies._reply_pieces

    def held(chat_model, turns, max_tokens):
        pieces = real(chat_model, turns, max_tokens)
        yield next(pieces)
        release.wait(timeout=20)
        yield from pieces

    monkeypatch.setattr(authoring_replies, "_reply_pieces", held)
    return release


def test_a_refused_stream_is_a_permanent_error(llama_server):
    backend = OpenAIChatBackend(
        Connection(base_url=f"{llama_server.url}/v1", model_id="tiny-llama2")
    )
    request = ChatRequest(
        messages=[{"role": "user", "content": "Hi"}],
        max_new_tokens=16,
        extra={"n_probs": "many"},
    )
    with pytest.raises(PermanentBackendError, match="HTTP 400"):
        list(backend.stream(request))


def _setup(llama_server, method: str):
    sides = [
        ChatModel.objects.create(
            name=name,
            base_url=f"{llama_server.url}/v1",
            model_id="tiny-llama2",
            decoding=DECODING,
            temperature=temperature,
        )
        # Greedy on one side, sampled on the other: two different replies.
        for name, temperature in (("tiny gpt-like", 0.0), ("tiny llama-like", 1.0))
    ]
    setup = AuthoringSetup.objects.create(
        prompt_set=PromptSetFactory(name="written"),
        model_a=sides[0],
        model_b=sides[1],
        method_targets={method: 1},
        max_tokens=16,
    )
    writer = make_user("writer", "annotator")
    setup.writers.add(writer)
    return setup, writer


def _start(page, live_server, writer) -> None:
    browser_login(page, live_server, writer.username, then=None)
    page.goto(f"{live_server.url}/authoring/")
    page.click("text=Write a dialogue")
    page.wait_for_selector("#turn-form")
    # Its stylesheets too: before authoring.css arrives, rate.css's grid shows the
    # `hidden` two-reply columns (seen once on a loaded machine).
    page.wait_for_load_state("load")


def _chunks_of_a_streamed_reply(page, selector: str) -> tuple[int, str]:
    """Waits for the reply to finish; its chunk count and text."""
    reply = page.wait_for_selector(f"{selector}[data-done]", timeout=30_000)
    return int(reply.get_attribute("data-chunks")), reply.inner_text()


def _send(page, text: str) -> None:
    page.fill("#content", text)
    page.click("#send")


def _end_and_save(page, last_turn: str, categories: list[str]) -> None:
    page.fill("#content", last_turn)
    page.click("#end")
    for category in categories:
        page.check(f"input[name=categories][value='{category}']")
    page.click("#save")
    page.wait_for_selector(".messages .success")


def _streamed_turn(page, index: int) -> tuple[int, str]:
    selector = f".turn-assistant >> nth={index} >> .turn-text"
    page.wait_for_selector(f"{selector}[data-done]", timeout=30_000)
    element = page.locator(selector)
    return int(element.get_attribute("data-chunks")), element.inner_text()


@pytest.mark.parametrize(
    ("method", "label"),
    [("chatgpt", "tiny gpt-like"), ("llama2chat", "tiny llama-like")],
)
@pytest.mark.django_db(transaction=True)
def test_one_interaction_model_streams_every_reply(
    live_server, page, llama_server, held_after_first_piece, method, label
):
    _, writer = _setup(llama_server, method)
    _start(page, live_server, writer)
    assert page.get_attribute("#method", "data-method") == method
    _send(page, "Tell me about owls.")
    # The first piece is on the page while the rest is still to come.
    page.wait_for_function(
        "() => (document.getElementById('streaming-reply') || {}).textContent"
    )
    first = page.locator("#streaming-reply").text_content()
    assert page.locator("#streaming-reply").get_attribute("data-done") is None
    held_after_first_piece.set()
    chunks, text = _streamed_turn(page, 0)
    assert chunks > 1
    assert text.strip().startswith(first.strip())
    assert len(text) > len(first)
    assert (
        page.locator(".turn-assistant .role").text_content() == f"assistant · {label}"
    )
    # Autosaved: a reload shows the same dialogue.
    page.reload()
    assert page.locator(".turn-assistant .turn-text").inner_text() == text.strip()
    _end_and_save(page, "And the smallest one?", ["factual questions"])
    prompt = Prompt.objects.get()
    assert prompt.collection_method == method
    assert prompt.turns[1]["content"] == text.strip()
    assert prompt.metadata["models"] == [label]


@pytest.mark.django_db(transaction=True)
def test_alternating_sides_take_turns(live_server, page, llama_server):
    _, writer = _setup(llama_server, "alternating")
    _start(page, live_server, writer)
    _send(page, "Hello.")
    assert _streamed_turn(page, 0)[0] > 1
    _send(page, "Go on.")
    assert _streamed_turn(page, 1)[0] > 1
    _end_and_save(page, "Thanks, and one more?", ["dialogue", "recommendations"])
    prompt = Prompt.objects.get()
    assert prompt.collection_method == "alternating"
    assert prompt.metadata["models"] == ["tiny gpt-like", "tiny llama-like"]
    assert prompt.categories == ["recommendations", "dialogue"]  # in form order


@pytest.mark.django_db(transaction=True)
def test_best_of_both_streams_two_replies_and_keeps_one(
    live_server, page, llama_server
):
    setup, writer = _setup(llama_server, "best_of_both")
    _start(page, live_server, writer)
    _send(page, "Write a haiku about rain.")
    chunks_a, text_a = _chunks_of_a_streamed_reply(page, "#reply-a")
    chunks_b, text_b = _chunks_of_a_streamed_reply(page, "#reply-b")
    assert chunks_a > 1
    assert chunks_b > 1
    assert text_a != text_b  # two sides, two replies
    assert page.is_visible("#keep-b")
    if SCREENSHOTS:
        page.screenshot(path="docs/authoring-best-of-both.png", full_page=True)
    page.select_option("#strength", "2")
    page.click("#keep-b")
    page.wait_for_selector(".turn-assistant")
    _end_and_save(page, "Now one about snow?", ["writing and content creation"])
    prompt = Prompt.objects.get()
    assert prompt.collection_method == "best_of_both"
    assert prompt.turns[1]["content"] == text_b.strip()
    preference = AuthoringPreference.objects.get()
    assert (preference.prompt, preference.strength) == (prompt, 2)
    assert (preference.chosen_text, preference.rejected_text) == (
        text_b.strip(),
        text_a.strip(),
    )
    if SCREENSHOTS:
        admin = make_user("adm1", "admin")
        page.context.clear_cookies()
        browser_login(page, live_server, admin.username, then=None)
        page.goto(f"{live_server.url}/authoring/sets/{setup.prompt_set.pk}/")
        page.screenshot(path="docs/authoring-progress.png", full_page=True)


def _settled(page) -> None:
    page.wait_for_function(
        "() => !document.getElementById('send').disabled"
        " && !document.getElementById('streaming-reply')",
        timeout=30_000,
    )


@pytest.mark.django_db(transaction=True)
def test_the_page_shows_only_what_the_writer_can_do(live_server, page, llama_server):
    _, writer = _setup(llama_server, "chatgpt")
    _start(page, live_server, writer)
    # One interaction model: no two-reply columns (a grid that ignored `hidden`).
    assert not page.is_visible("#replies")
    page.click("#send")  # nothing written
    assert page.inner_text("#reply-error") == "Write the user turn first."
    # No user turn awaits a reply: nothing to "get again".
    assert not page.is_visible("#retry")
    _send(page, "Hello.")
    _streamed_turn(page, 0)
    assert not page.is_visible("#replies")
    # From the keyboard: End here opens the categories and focuses the first.
    page.focus("#end")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.name") == "categories"


@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_or_a_stale_tab_leaves_the_page_usable(
    live_server, page, llama_server
):
    _, writer = _setup(llama_server, "llama2chat")
    _start(page, live_server, writer)
    stale = page.context.new_page()
    stale.goto(page.url)
    _send(page, "Hello.")
    _streamed_turn(page, 0)
    # The other tab never saw that turn: its own is refused, and kept in the box.
    stale.fill("#content", "A first question?")
    stale.click("#send")
    stale.wait_for_selector("#reply-error:not([hidden])")
    assert "another tab" in stale.inner_text("#reply-error")
    assert stale.input_value("#content") == "A first question?"
    assert not stale.is_visible("#retry")
    assert stale.is_enabled("#send")
    # Offline: an error, and the buttons work again (they stayed disabled).
    page.context.set_offline(True)
    _send(page, "Go on.")
    page.wait_for_selector("#reply-error:not([hidden])")
    assert "connection" in page.inner_text("#reply-error")
    assert page.is_enabled("#send")
    page.context.set_offline(False)
    page.click("#send")
    _streamed_turn(page, 1)
    _settled(page)
    assert Draft.objects.get().turns[2]["content"] == "Go on."


@pytest.mark.django_db(transaction=True)
def test_a_turn_too_long_for_the_model_is_taken_back_and_shortened(
    live_server, page, llama_server
):
    """The turn is over the chat model's context limit (1,000 tokens; the server's
    is 2,048): it is not sent, and the writer is told to shorten it (the server's
    refusal was shown before, in its words to an operator)."""
    _, writer = _setup(llama_server, "chatgpt")
    _start(page, live_server, writer)
    too_long = "owl " * 2500
    _send(page, too_long)
    page.wait_for_selector("#reply-error:not([hidden])", timeout=30_000)
    assert "take the turn back and shorten it" in page.inner_text("#reply-error")
    page.click("#withdraw")
    page.wait_for_selector("#withdraw", state="hidden")
    assert page.input_value("#content") == too_long.strip()
    assert page.locator(".turn").count() == 0
    assert Draft.objects.get().turns == []
    _send(page, "owl " * 5)
    assert _streamed_turn(page, 0)[0] > 1
