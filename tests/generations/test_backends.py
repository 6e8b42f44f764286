"""The OpenAI-compatible client against a scriptable real HTTP server."""

import pytest

from generations.backends import (
    ChatRequest,
    Connection,
    ContextExceededError,
    PermanentBackendError,
    TransientBackendError,
    get_backend,
)
from generations.backends.openai import split_base_url

from .conftest import STUB_PORTS, free_port

PROXY_PAGE = b"<html><body>Sign in to the proxy</body></html>"


def serve_page(
    server, path: str, page: bytes = PROXY_PAGE, content_type: str = "text/html"
) -> None:
    """Have the running stub answer POST ``path`` with 200 and ``page``: by default
    an HTML page, as a proxy's sign-in page or a web app at a wrong base URL is."""

    class Handler(server.server.RequestHandlerClass):
        def do_POST(self):
            if self.path != path:
                return super().do_POST()
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    server.server.RequestHandlerClass = Handler


def _backend(url: str, read_timeout: float = 2.0):
    connection = Connection(base_url=url, model_id="m", read_timeout=read_timeout)
    return get_backend("openai", connection)


def _ask(text: str) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": text}], max_new_tokens=7)


def test_base_url_with_or_without_v1():
    assert split_base_url("http://h:1/v1/") == ("http://h:1/v1", "http://h:1")
    assert split_base_url("http://h:1") == ("http://h:1/v1", "http://h:1")


def test_completion_returns_text_usage_and_model(stub_server):
    response = _backend(stub_server.url).complete(_ask("Hello there"))
    assert response.text == "Answer to Hello there"
    assert response.finish_reason == "stop"
    assert (response.prompt_tokens, response.completion_tokens) == (3, 3)
    assert response.model_id == "stub-model"
    assert response.latency_seconds > 0


def test_usage_counts_that_are_no_counts_are_dropped_not_fatal(stub_server):
    """A count of "x" failed the generation's write, retried as an outage."""
    stub_server.state.usage = {"prompt_tokens": "x", "completion_tokens": -5}
    response = _backend(stub_server.url).complete(_ask("Hello there"))
    assert response.text == "Answer to Hello there"
    assert (response.prompt_tokens, response.completion_tokens) == (None, None)


def test_a_reply_without_content_is_a_permanent_error(stub_server):
    """A null content was stored as a successful empty reply (a new-user pass)."""
    stub_server.state.reply = lambda body: None
    with pytest.raises(PermanentBackendError, match="returned no content") as info:
        _backend(stub_server.url).complete(_ask("Hello there"))
    assert not info.value.transient
    assert "finish_reason 'stop'" in str(info.value)


def test_an_empty_reply_is_a_reply(stub_server):
    stub_server.state.reply = lambda body: ""
    response = _backend(stub_server.url).complete(_ask("Hello there"))
    assert (response.text, response.finish_reason) == ("", "stop")


def test_a_page_instead_of_a_completion_is_a_permanent_error(stub_server):
    serve_page(stub_server, "/v1/chat/completions")
    with pytest.raises(PermanentBackendError, match="unexpected response: <html>"):
        _backend(stub_server.url).complete(_ask("a"))


def test_server_error_and_timeout_are_transient(stub_server):
    stub_server.state.fail_500 = 1
    with pytest.raises(TransientBackendError, match="HTTP 500"):
        _backend(stub_server.url).complete(_ask("a"))
    stub_server.state.hang, stub_server.state.hang_seconds = 1, 1.0
    with pytest.raises(TransientBackendError, match="timeout"):
        _backend(stub_server.url, read_timeout=0.3).complete(_ask("a"))


def test_connection_refused_is_transient():
    url = f"http://127.0.0.1:{free_port(*STUB_PORTS)}/v1"
    with pytest.raises(TransientBackendError, match="connection error"):
        _backend(url).complete(_ask("a"))


def test_bad_request_is_permanent_with_the_servers_message(stub_server):
    with pytest.raises(PermanentBackendError, match="unsupported input") as info:
        _backend(stub_server.url).complete(_ask("BAD-REQUEST"))
    assert not info.value.transient
    assert info.value.status_code == 400


def test_context_exceeded_is_recognised(stub_server):
    with pytest.raises(ContextExceededError):
        _backend(stub_server.url).complete(_ask("TOO-LONG"))


def test_counts_tokens_with_apply_template_and_tokenize(stub_server):
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "one two three"},
    ]
    assert _backend(stub_server.url).count_prompt_tokens(messages) == 6


@pytest.mark.parametrize("path", ["/apply-template", "/tokenize"])
def test_a_page_instead_of_a_token_count_is_a_permanent_error(stub_server, path):
    """A 200 that is no JSON raised JSONDecodeError, which the tasks retried for 20
    minutes as an unexpected error (a new-user pass)."""
    serve_page(stub_server, path)
    with pytest.raises(PermanentBackendError) as refused:
        _backend(stub_server.url).count_prompt_tokens(
            [{"role": "user", "content": "hi"}]
        )
    assert not refused.value.transient
    assert f"{path} answered with something other than JSON" in str(refused.value)
    assert "check the chat model's base URL" in str(refused.value)
    assert "Sign in to the proxy" in str(refused.value)


def test_a_token_count_without_tokens_is_a_permanent_error(stub_server):
    serve_page(stub_server, "/tokenize", b'{"tokens": 5}', "application/json")
    with pytest.raises(PermanentBackendError, match="/tokenize answered without"):
        _backend(stub_server.url).count_prompt_tokens(
            [{"role": "user", "content": "hi"}]
        )


def test_unknown_backend_is_a_permanent_error():
    with pytest.raises(PermanentBackendError):
        get_backend("carrier-pigeon", Connection(base_url="http://x", model_id="m"))


def test_a_wrong_path_in_the_base_url_is_named_when_counting_tokens(stub_server):
    """It read "has no /tokenize endpoint; set a tokenizer file", which would not
    help: the chat completions are not there either (a new-user pass)."""
    from generations.backends import TokenizeUnsupportedError

    root = stub_server.url.removesuffix("/v1")
    backend = _backend(f"{root}/nope")
    with pytest.raises(TokenizeUnsupportedError) as refused:
        backend.count_prompt_tokens([{"role": "user", "content": "hi"}])
    assert f"{root}/nope/tokenize answered 404" in str(refused.value)
    assert "check the chat model's base URL" in str(refused.value)
