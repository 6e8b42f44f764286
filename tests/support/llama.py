"""A real llama.cpp server (xllamacpp wheel) on a tiny random-weight Llama 2 model.

``python -m tests.support.llama MODEL.gguf PORT [N_CTX] [N_PARALLEL]`` runs the server
in the foreground; ``LlamaServer`` starts it as a subprocess for tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

VOCAB_NAME = "ggml-vocab-llama-spm.gguf"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def vocab_path() -> Path | None:
    """The Llama 2 vocabulary GGUF, or None when it is not cached (see scripts/)."""
    explicit = os.environ.get("EVALSITE_LLAMA_VOCAB")
    candidates = [Path(explicit)] if explicit else []
    candidates.append(Path.home() / ".cache" / "evalsite" / VOCAB_NAME)
    return next((path for path in candidates if path.is_file()), None)


def build_tiny_model(out_path: Path) -> Path:
    """Write the tiny random-weight model next to the cached vocabulary's tokenizer."""
    from .tiny_llama_gguf import main as build

    vocab = vocab_path()
    if vocab is None:
        raise FileNotFoundError(VOCAB_NAME)
    build(str(vocab), str(out_path))
    return out_path


class LlamaServer:
    """llama.cpp's HTTP server in a subprocess, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, model: Path, port: int, n_ctx: int = 4096, n_parallel: int = 2):
        self.model, self.port = model, port
        self.n_ctx, self.n_parallel = n_ctx, n_parallel
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> LlamaServer:
        args = [str(self.model), str(self.port), str(self.n_ctx), str(self.n_parallel)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.llama", *args],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("llama.cpp server exited during start-up")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise TimeoutError("llama.cpp server did not become healthy")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None


def serve(model: str, port: int, n_ctx: int = 4096, n_parallel: int = 2) -> None:
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = model
    params.model_alias = ["tiny-llama2"]
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = n_ctx  # split across the n_parallel slots
    params.n_parallel = n_parallel
    params.n_predict = 2000
    # One thread: the tiny model needs no more, and two threads that wait for each
    # other spin when the test processes share the cores (five times slower there).
    params.cpuparams.n_threads = 1
    params.cpuparams_batch.n_threads = 1
    params.use_jinja = True  # the chat template stored in the GGUF
    params.warmup = False
    params.sampling.seed = 1234
    server = xlc.Server(params)
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
    print("listening on", server.listening_address, flush=True)
    try:
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), *(int(arg) for arg in sys.argv[3:5]))
