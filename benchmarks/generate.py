"""Benchmark: a generation job of 2,000 prompts against a server with a fixed 100 ms latency.

A real Celery worker (thread pool, 32 threads in all) on the Redis broker and the database of
DATABASE_URL; the server is the OpenAI-compatible stub of tests/support. Prints the job's wall
time, its ratio to the ideal (requests x latency / concurrency) and, as a baseline measured in
the same run, the wall time of the same 2,000 requests sent by 32 bare httpx threads.
The server (tests/support/openai_stub.py, asyncio) runs in a process of its own.

usage: DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... python benchmarks/generate.py
       [--requests 2000] [--latency 0.1] [--concurrency 32] [--processes 2] [--port 18200]
       [--tokenizer backend|tiktoken:cl100k_base]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")

import django  # noqa: E402

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from generations.models import ChatModel, Generation, Prompt, PromptSet  # noqa: E402
from generations.services import jobs  # noqa: E402
from generations.tasks import job_launch  # noqa: E402


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


def start_workers(processes: int, threads: int, log: Path) -> list:
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "60"}
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "evalsite",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(threads),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "--hostname",
                f"bench{i}-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("a"),
            stderr=subprocess.STDOUT,
        )
        for i in range(processes)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--port", type=int, default=18200)
    parser.add_argument(
        "--tokenizer",
        default="backend",
        help='how the chat model counts tokens: "backend" (the server\'s '
        "/apply-template and /tokenize: two more requests a generation) or "
        '"tiktoken:cl100k_base" (counted in the worker)',
    )
    args = parser.parse_args()
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        sys.exit("needs CELERY_BROKER_URL=redis://...")
    call_command("migrate", verbosity=0)
    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()

    tag = f"bench-{int(time.time())}"
    prompt_set = PromptSet.objects.create(name=tag)
    Prompt.objects.bulk_create(
        Prompt(
            prompt_set=prompt_set,
            external_id=f"p{i}",
            turns=[{"role": "user", "content": f"Question number {i}?"}],
            categories=["factual questions"],
        )
        for i in range(args.requests)
    )
    server = start_server(args.port, args.latency)
    url = f"http://127.0.0.1:{args.port}/v1"
    try:
        chat_model = ChatModel.objects.create(
            name=tag,
            base_url=url,
            model_id="stub-model",
            max_concurrency=args.concurrency,
            request_timeout=30,
            tokenizer=args.tokenizer,
        )
        baseline = bare_client_baseline(url, args.requests, args.concurrency)
        requests_before = chat_requests(args.port)
        log = Path(tempfile.mkstemp(prefix="bench-worker-", suffix=".log")[1])
        threads = args.concurrency // args.processes
        workers = start_workers(args.processes, threads, log)
        try:
            time.sleep(8)  # let the workers connect before the clock starts
            cpu_before = sum(cpu_seconds(w.pid) for w in workers)
            job = jobs.job_create(prompt_sets=[prompt_set], chat_models=[chat_model])
            started = time.perf_counter()
            job_launch(job_id=job.pk)
            while True:
                job.refresh_from_db(fields=["status"])
                if job.status == "finished":
                    break
                time.sleep(0.05)
            wall = time.perf_counter() - started
            worker_cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu_before
            load = os.getloadavg()[0]
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait()
        done = Generation.objects.filter(jobs=job, status="done").count()
        finished = sorted(
            Generation.objects.filter(jobs=job).values_list("finished_at", flat=True)
        )
        job.refresh_from_db()
        first = job.started_at
        marks = [
            finished[int(q * (len(finished) - 1))] for q in (0, 0.25, 0.5, 0.75, 1)
        ]
        timeline = ", ".join(f"{(m - first).total_seconds():.1f}" for m in marks)
        requests_sent = chat_requests(args.port) - requests_before
    finally:
        server.terminate()
        server.wait()
    ideal = args.requests * args.latency / args.concurrency
    print(
        f"database {connection.vendor}, broker redis, CPU cores {os.cpu_count()}, "
        f"load average at the end {load:.1f} (a machine shared with others)"
    )
    print(
        f"job: {args.requests} generations, {args.latency * 1000:.0f} ms latency, "
        f"concurrency {args.concurrency} ({args.processes} worker processes x "
        f"{threads} threads); tokenizer {args.tokenizer}"
    )
    print(f"done {done}/{args.requests}; chat requests sent {requests_sent}")
    print(f"generations ended at 0/25/50/75/100 % (s after start): {timeline}")
    print(f"ideal (requests x latency / concurrency): {ideal:.2f} s")
    print(
        f"bare httpx client, same server:           {baseline:.2f} s "
        f"(ratio to ideal {baseline / ideal:.3f})"
    )
    print(f"job wall time:                            {wall:.2f} s")
    print(f"ratio to ideal: {wall / ideal:.3f} (target < 1.25)")
    print(
        f"worker CPU: {worker_cpu:.1f} s, {1000 * worker_cpu / args.requests:.1f} ms "
        f"a generation; the ideal needs {worker_cpu / ideal:.1f} cores for the workers"
    )
    print(f"ratio to bare client: {wall / baseline:.3f}")
    Generation.objects.filter(chat_model=chat_model).delete()
    job.delete()
    chat_model.delete()
    prompt_set.delete()


if __name__ == "__main__":
    main()
