"""A scriptable OpenAI-compatible server: fixed latency, injected faults, request log.

Speaks POST /v1/chat/completions, /apply-template and /tokenize (llama.cpp's shapes).
A message containing BAD-REQUEST gets a 400; one containing TOO-LONG gets llama.cpp's
context-exceeded 400. ``fail_500`` / ``hang`` make the next N chat requests answer 500
or stall past the client's timeout. ``reply``, when set, writes the answer's text from
the request body (a judge's verdict); ``bodies`` keeps every chat request's body.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubState:
    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.fail_500 = 0
        self.hang = 0
        self.hang_seconds = 5.0
        self.lock = threading.Lock()
        self.completed: Counter[str] = Counter()
        self.requests = 0
        self.reply: Callable[[dict], str] | None = None
        self.usage: dict | None = None  # what "usage" says instead of the counts
        self.bodies: list[dict] = []

    def take_fault(self) -> str | None:
        with self.lock:
            if self.fail_500:
                self.fail_500 -= 1
                return "500"
            if self.hang:
                self.hang -= 1
                return "hang"
        return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; with Nagle's algorithm the body waits
    # for the client's delayed ACK of the headers, 40 ms a response.
    disable_nagle_algorithm = True
    state: StubState

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(200, {"status": "ok"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
        if self.path == "/apply-template":
            text = "\n".join(m["content"] for m in body["messages"])
            return self._send(200, {"prompt": text})
        if self.path == "/tokenize":
            return self._send(
                200, {"tokens": list(range(len(body["content"].split()) + 1))}
            )
        if self.path != "/v1/chat/completions":
            return self._send(404, {"error": {"message": "not found"}})
        self._chat(body)

    def _chat(self, body: dict) -> None:
        text = "\n".join(m["content"] for m in body["messages"])
        with self.state.lock:
            self.state.requests += 1
            self.state.bodies.append(body)
        if "BAD-REQUEST" in text:
            return self._send(
                400,
                {
                    "error": {
                        "message": "bad request: unsupported input",
                        "type": "invalid_request_error",
                    }
                },
            )
        if "TOO-LONG" in text:
            return self._send(
                400,
                {
                    "error": {
                        "message": "request exceeds the available context size",
                        "type": "exceed_context_size_error",
                    }
                },
            )
        fault = self.state.take_fault()
        if fault == "500":
            return self._send(500, {"error": {"message": "internal error"}})
        time.sleep(self.state.hang_seconds if fault == "hang" else self.state.latency)
        last = body["messages"][-1]["content"]
        with self.state.lock:
            self.state.completed[last] += 1
        words = len(text.split()) + 1
        self._send(
            200,
            {
                "model": "stub-model",
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {
                            "role": "assistant",
                            "content": self.state.reply(body)
                            if self.state.reply
                            else f"Answer to {last}",
                        },
                    }
                ],
                "usage": self.state.usage
                or {
                    "prompt_tokens": words,
                    "completion_tokens": 3,
                    "total_tokens": words + 3,
                },
            },
        )


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # clients that time out or get killed mid-request are expected here


class StubServer:
    """The stub in a background thread of this process."""

    def __init__(self, port: int, latency: float = 0.0):
        self.state = StubState(latency)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = _QuietServer(("127.0.0.1", port), handler)
        # serve_forever checks for shutdown every poll_interval (0.5 s by default):
        # each test's stop would wait that long.
        self.thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.02},
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> StubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


async def _serve_fast(port: int, latency: float) -> None:
    """The same routes on asyncio, for benchmarks: one process, no thread per request."""
    import asyncio

    stats = {"chat": 0}

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                length = 0
                for line in lines[1:]:
                    if line.lower().startswith("content-length:"):
                        length = int(line.split(":", 1)[1])
                body = json.loads(await reader.readexactly(length)) if length else {}
                if method == "GET":  # the job's start-up check (GET /v1/models)
                    answer = {"status": "ok"}
                elif path == "/apply-template":
                    text = "\n".join(m["content"] for m in body["messages"])
                    answer = {"prompt": text}
                elif path == "/tokenize":
                    answer = {"tokens": list(range(len(body["content"].split()) + 1))}
                elif path == "/stats":
                    answer = stats
                else:
                    stats["chat"] += 1
                    await asyncio.sleep(latency)
                    last = body["messages"][-1]["content"]
                    answer = {
                        "model": "stub-model",
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": {
                                    "role": "assistant",
                                    "content": f"Answer to {last}",
                                },
                            }
                        ],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 3},
                    }
                data = json.dumps(answer).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(data), data)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import asyncio
    import sys

    asyncio.run(_serve_fast(int(sys.argv[1]), float(sys.argv[2])))
