"""Benchmark: generation jobs of 2,000 prompts against a server with a fixed 1 s latency.

Real Celery workers (thread pool, 8 processes x 8 threads: concurrency 64) on the Redis
broker and the database of DATABASE_URL; the server is the OpenAI-compatible stub of
tests/support (asyncio, a process of its own), its chat model allowing 64 requests at
once. For each server latency (1 s: the target, at most 1.10 x ideal; 100 ms: for
information, where the workers' CPU shows) and each way of counting tokens: a warm-up
job, then ``--runs`` timed jobs of fresh prompts (created untimed, then launched): each
job's wall time, its ratio to the ideal (requests x latency / concurrency), CPU by
program, and the median. As a baseline measured in the same run: the same requests sent
by 64 bare httpx threads.

usage: DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... python benchmarks/generate.py
       [--requests 2000] [--latency 1.0 0.1] [--concurrency 64] [--processes 8]
       [--runs 3] [--warmup 128] [--port 18200] [--tokenizer backend tiktoken:cl100k_base]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
# Benchmarks run without DEBUG; the settings refuse to start without a key.
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from generations.models import (  # noqa: E402
    ChatModel,
    Generation,
    GenerationJob,
    Prompt,
    PromptSet,
)
from generations.services import jobs  # noqa: E402
from tests.support.worker import worker_command  # noqa: E402


def bare_client_baseline(url: str, n: int, concurrency: int) -> float:
    """Wall time of n chat requests from ``concurrency`` threads, nothing else."""
    client = httpx.Client(limits=httpx.Limits(max_connections=concurrency))
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

    def one(_):
        client.post(f"{url}/chat/completions", json=body).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    return time.perf_counter() - started


def start_server(port: int, latency: float) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.support.openai_stub", str(port), str(latency)],
        cwd=ROOT,
    )
    for _ in range(100):
        try:
            httpx.post(f"http://127.0.0.1:{port}/stats")
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("stub server did not start")


def chat_requests(port: int) -> int:
    return httpx.post(f"http://127.0.0.1:{port}/stats").json()["chat"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (Linux /proc/stat)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def start_workers(processes: int, threads: int, log: Path) -> list:
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "60"}
    return [
        subprocess.Popen(
            worker_command(threads, f"bench{i}-{os.getpid()}@%h", loglevel="WARNING"),
            cwd=ROOT,
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        for i in range(processes)
    ]


def make_prompt_set(name: str, size: int) -> PromptSet:
    prompt_set = PromptSet.objects.create(name=name)
    Prompt.objects.bulk_create(
        Prompt(
            prompt_set=prompt_set,
            external_id=f"p{i}",
            turns=[{"role": "user", "content": f"Question number {i} of {name}?"}],
            categories=["factual questions"],
        )
        for i in range(size)
    )
    return prompt_set


def run_job(prompt_set: PromptSet, chat_model: ChatModel, workers: list) -> tuple:
    """Launch a job over the prompt set; (job, seconds until it is finished)."""
    job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
    started = time.perf_counter()
    jobs.job_launch(job=job)
    while True:
        job.refresh_from_db(fields=["status"])
        if job.status == "finished":
            return job, time.perf_counter() - started
        if any(worker.poll() is not None for worker in workers):
            sys.exit("a worker exited: see its log, bench-worker-*.log in /tmp")
        time.sleep(0.05)


def measure_run(args, chat_model: ChatModel, prompt_set: PromptSet, workers) -> dict:
    """One timed job; its wall time, CPU by program and what the workers saw."""
    requests_before = chat_requests(args.port)
    cpu_before = sum(cpu_seconds(w.pid) for w in workers)
    busy_before, server_before = machine_busy_seconds(), cpu_seconds(args.server_pid)
    job, wall = run_job(prompt_set, chat_model, workers)
    worker_cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu_before
    busy = machine_busy_seconds() - busy_before
    server_seconds = cpu_seconds(args.server_pid) - server_before
    generations = Generation.objects.filter(jobs=job)
    latencies = sorted(
        generations.filter(status="done").values_list("latency_seconds", flat=True)
    )
    job.refresh_from_db()
    finished = sorted(generations.values_list("finished_at", flat=True))
    marks = [finished[int(q * (len(finished) - 1))] for q in (0.25, 0.5, 0.75, 0.99, 1)]
    return {
        "timeline": "/".join(
            f"{(mark - job.started_at).total_seconds():.1f}" for mark in marks
        ),
        "wall": wall,
        "done": len(latencies),
        "requests": chat_requests(args.port) - requests_before,
        "worker_cpu": worker_cpu,
        "busy": busy,
        "server_cpu": server_seconds,
        "latency_mean": sum(latencies) / max(len(latencies), 1),
        "latency_p95": latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0,
    }


TARGET = 1.10  # at 1 s latency; other latencies are for information


def report(
    args, latency: float, tokenizer: str, runs: list[dict], warmup_wall: float
) -> None:
    ideal = args.requests * latency / args.concurrency
    print(
        f"\ntokenizer {tokenizer}, {latency * 1000:.0f} ms latency "
        f"(warm-up job of {args.warmup}: {warmup_wall:.1f} s)"
    )
    for number, run in enumerate(runs, 1):
        print(
            f"  run {number}: {run['wall']:.2f} s, ratio {run['wall'] / ideal:.3f}; "
            f"done {run['done']}/{args.requests}, chat requests {run['requests']}; "
            f"25/50/75/99/100 % ended at {run['timeline']} s; "
            f"round trip seen by workers mean {run['latency_mean'] * 1000:.0f} ms, "
            f"p95 {run['latency_p95'] * 1000:.0f} ms; worker CPU "
            f"{1000 * run['worker_cpu'] / args.requests:.1f} ms a generation "
            f"({run['worker_cpu']:.1f} s), stub server {run['server_cpu']:.1f} s, "
            f"all processes {run['busy']:.1f} s of the cores' "
            f"{run['wall'] * (os.cpu_count() or 1):.1f} s"
        )
    wall = statistics.median(run["wall"] for run in runs)
    target = f"target <= {TARGET:.2f}" if latency == 1.0 else "for information"
    print(
        f"  median job wall time {wall:.2f} s; ratio to ideal: {wall / ideal:.3f} "
        f"({target})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--latency", type=float, nargs="+", default=[1.0, 0.1], help="seconds"
    )
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3, help="timed jobs per tokenizer")
    parser.add_argument(
        "--warmup",
        type=int,
        default=128,
        help="generations of a first, untimed job that warms the workers up",
    )
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument(
        "--tokenizer",
        nargs="+",
        default=["backend", "tiktoken:cl100k_base"],
        help='how the chat model counts tokens: "backend" (the server\'s '
        "/apply-template and /tokenize: two more requests a generation) and/or "
        '"tiktoken:cl100k_base" (counted in the worker)',
    )
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        sys.exit("needs CELERY_BROKER_URL=redis://...")
    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
    tag = f"bench-{int(time.time())}"
    url = f"http://127.0.0.1:{args.port}/v1"
    threads = args.concurrency // args.processes
    print(
        f"database {connection.vendor}, broker redis, CPU cores {os.cpu_count()}; "
        f"{args.processes} worker processes x {threads} threads (concurrency "
        f"{args.concurrency}); {args.requests} generations a job; chat model "
        f"max_concurrency {args.concurrency}"
    )
    log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
    workers: list = []
    created: list = []
    try:
        for latency in args.latency:
            server = start_server(args.port, latency)
            args.server_pid = server.pid
            try:
                ideal = args.requests * latency / args.concurrency
                baseline = bare_client_baseline(url, args.requests, args.concurrency)
                print(
                    f"\n== {latency * 1000:.0f} ms server latency; ideal (requests x "
                    f"latency / concurrency): {ideal:.2f} s; bare httpx client, same "
                    f"server, same requests: {baseline:.2f} s (ratio to ideal "
                    f"{baseline / ideal:.3f})"
                )
                if not workers:  # started after the first baseline, which they'd slow
                    workers = start_workers(args.processes, threads, log)
                for index, tokenizer in enumerate(args.tokenizer):
                    name = f"{tag}-{latency}-{index}"
                    chat_model = ChatModel.objects.create(
                        name=name,
                        base_url=url,
                        model_id="stub-model",
                        max_concurrency=args.concurrency,
                        request_timeout=30,
                        tokenizer=tokenizer,
                    )
                    created.append(chat_model)
                    # Long-lived workers are warm: connections open, tokenizer loaded.
                    warmup_set = make_prompt_set(f"{name}-warm-up", args.warmup)
                    created.append(warmup_set)
                    _, warmup_wall = run_job(warmup_set, chat_model, workers)
                    runs = []
                    for number in range(args.runs):
                        prompt_set = make_prompt_set(f"{name}-{number}", args.requests)
                        created.append(prompt_set)
                        runs.append(measure_run(args, chat_model, prompt_set, workers))
                    report(args, latency, tokenizer, runs, warmup_wall)
            finally:
                server.terminate()
                server.wait()
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        for item in created:
            if isinstance(item, ChatModel):
                GenerationJob.objects.filter(chat_models=item).delete()
                Generation.objects.filter(chat_model=item).delete()
            item.delete()


if __name__ == "__main__":
    main()
