"""Benchmark: the annotator loop (one request per click) behind gunicorn on PostgreSQL.

Creates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/evalsite_bench_annotate), migrates it, loads one
evaluation per concurrency level (--pairs comparisons, N = 3) and 64 annotators with
API tokens, then starts gunicorn (gthread workers) and, for 8, 32 and 64 simulated
annotators in turn, runs for --seconds each, in --rounds alternating phases:

  (a) the trivial Django view /bench/ping/ (benchmarks/annotate_urls.py), each
      simulated client requesting it in a loop; alternating with
  (b) the annotator loop over the REST API with token auth, one request per click:
      POST next once for the first pair, then POST rating, whose answer carries the
      next pair.

Prints ratings per second and p50/p95/p99 latency of one click (submit + next pair),
the same for the trivial view, and their ratios, all from the same server in the same
run. The target (issue 9): at 32 annotators, ratings/s at least 0.25 x ping req/s.

    python benchmarks/annotate.py [--levels 8 32 64] [--seconds 10] [--rounds 5]
        [--pairs 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/evalsite_bench_annotate"
ANNOTATORS = 64
PER_PAIR = 3


def _database_create(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _database_drop(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _history(evaluation, pairs: list, users: list) -> None:
    """A finished evaluation: every pair rated N times. The tables and the planner's
    statistics then look like those of a site in use; on empty tables PostgreSQL
    plans sequential scans that a growing table soon makes slow."""
    from django.utils import timezone

    from annotations.models import Assignment, Comparison, Evaluation, Rating

    now = timezone.now()
    comparisons = Comparison.objects.bulk_create(
        (
            Comparison(
                evaluation=evaluation,
                prompt=prompt,
                candidate_generation=candidate,
                baseline_generation=baseline,
                stage=Comparison.Stage.COMPLETE,
            )
            for prompt, candidate, baseline in pairs
        ),
        batch_size=2000,
    )
    assignments = Assignment.objects.bulk_create(
        (
            Assignment(
                comparison=comparison,
                annotator=users[(i * PER_PAIR + k) % len(users)],
                candidate_on_left=bool(k % 2),
                state=Assignment.State.SUBMITTED,
                leased_at=now,
                expires_at=now,
                ended_at=now,
            )
            for i, comparison in enumerate(comparisons)
            for k in range(PER_PAIR)
        ),
        batch_size=2000,
    )
    Rating.objects.bulk_create(
        (
            Rating(
                comparison=a.comparison,
                annotator=a.annotator,
                assignment=a,
                scale=Evaluation.Scale.SEVEN,
                choice=1,
                candidate_on_left=a.candidate_on_left,
                score=1 if a.candidate_on_left else -1,
                seconds=20.0,
                created_at=now,
            )
            for a in assignments
        ),
        batch_size=2000,
    )
    Evaluation.objects.filter(pk=evaluation.pk).update(status=Evaluation.Status.CLOSED)


def _load(levels: list[int], pairs: int, history: bool) -> tuple[list[int], list[str]]:
    """Migrate, then one evaluation per level and 64 annotators (and, with
    ``history``, a finished evaluation); returns ids, tokens."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from annotations import roles
    from annotations.models import Comparison, Evaluation
    from generations.models import ChatModel, Generation, Prompt, PromptSet

    call_command("migrate", verbosity=0)
    prompt_set = PromptSet.objects.create(name="bench")
    candidate = ChatModel.objects.create(name="bench-candidate", backend="imported")
    baseline = ChatModel.objects.create(name="bench-baseline", backend="imported")
    prompts = Prompt.objects.bulk_create(
        Prompt(
            prompt_set=prompt_set,
            external_id=f"p{i}",
            turns=[{"role": "user", "content": f"Question {i}: explain **this**."}],
            categories=["dialogue"],
        )
        for i in range(pairs)
    )
    text = "A response with `code` and a list:\n\n- one\n- two\n" * 8
    generations = Generation.objects.bulk_create(
        Generation(
            prompt=prompt,
            chat_model=model,
            status=Generation.Status.DONE,
            source=Generation.Source.IMPORTED,
            text=text,
        )
        for prompt in prompts
        for model in (candidate, baseline)
    )
    group = roles.group_for(roles.ANNOTATOR)
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"bench-{i:02d}", password=make_password(None))
        for i in range(ANNOTATORS)
    )
    group.user_set.add(*users)
    tokens = [Token.objects.create(user=user).key for user in users]
    if history:
        _history(
            Evaluation.objects.create(
                name="bench-history",
                prompt_set=prompt_set,
                candidate=candidate,
                baseline=baseline,
                annotators_per_pair=PER_PAIR,
            ),
            [
                (prompt, generations[2 * i], generations[2 * i + 1])
                for i, prompt in enumerate(prompts)
            ],
            users,
        )
    evaluation_ids = []
    for level in levels:
        evaluation = Evaluation.objects.create(
            name=f"bench-{level}",
            prompt_set=prompt_set,
            candidate=candidate,
            baseline=baseline,
            annotators_per_pair=PER_PAIR,
        )
        Comparison.objects.bulk_create(
            (
                Comparison(
                    evaluation=evaluation,
                    prompt=prompt,
                    candidate_generation=generations[2 * i],
                    baseline_generation=generations[2 * i + 1],
                )
                for i, prompt in enumerate(prompts)
            ),
            batch_size=2000,
        )
        evaluation.pool.add(*users)
        evaluation_ids.append(evaluation.pk)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    return evaluation_ids, tokens


def _percentiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        value = values[0] if values else float("nan")
        return value, value, value
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


RETRIED = {"count": 0}


async def _send(client, method: str, url: str, **kwargs):
    """One request, retried once on a dropped connection: both API calls are safe to
    repeat (next returns the lease held, a repeated rating counts once)."""
    import httpx

    try:
        return await client.request(method, url, **kwargs)
    except httpx.TransportError:
        RETRIED["count"] += 1
        return await client.request(method, url, **kwargs)


async def _ping_loop(client, deadline: float, latencies: list[float]) -> None:
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        response = await _send(client, "GET", "/bench/ping/")
        response.raise_for_status()
        latencies.append(time.perf_counter() - started)


class _Annotator:
    """One simulated annotator: the pair they hold carries over between phases."""

    def __init__(self, client, evaluation_id: int, seed: int):
        self.client = client
        self.evaluation_id = evaluation_id
        self.rng = random.Random(seed)
        self.pair: dict | None = None
        self.done = False

    async def loop(self, deadline: float, latencies: list[float]) -> None:
        if self.pair is None and not self.done:
            first = await _send(
                self.client, "POST", f"/api/evaluations/{self.evaluation_id}/next/"
            )
            if first.status_code == 204:
                self.done = True
                return
            first.raise_for_status()
            self.pair = first.json()
        while self.pair is not None and time.perf_counter() < deadline:
            started = time.perf_counter()
            rated = await _send(
                self.client,
                "POST",
                f"/api/assignments/{self.pair['assignment']}/rating/",
                json={"choice": self.rng.randint(-3, 3), "seconds": 20.0},
            )
            if rated.status_code not in (200, 201):
                raise RuntimeError(f"rating refused: {rated.status_code} {rated.text}")
            self.pair = rated.json()["next"]
            self.done = self.pair is None
            latencies.append(time.perf_counter() - started)


class _CpuMeter:
    """CPU seconds spent by this process (the clients), the gunicorn workers and the
    benchmark database's backends, read from Linux's /proc: what one request costs,
    apart from whatever else runs on the machine."""

    def __init__(self, server_pid: int, url: str):
        import psycopg

        self.server_pid = server_pid
        self.database = url.rsplit("/", 1)[1]
        self.admin = psycopg.connect(
            url.rsplit("/", 1)[0] + "/postgres", autocommit=True
        )
        self.tick = os.sysconf("SC_CLK_TCK")

    def _pids(self) -> dict[int, str]:
        """The gunicorn processes and the database's backends, by process id."""
        pids = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.server_pid:
                    pids[int(entry.name)] = "gunicorn"
        rows = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s"
            " AND backend_type = 'client backend'",
            [self.database],
        )
        return pids | {pid: "PostgreSQL" for (pid,) in rows}

    def read(self) -> dict[tuple[str, int], float]:
        """CPU seconds by (program, process id); the clients are this process."""
        used = {("clients", 0): time.process_time()}
        for pid, program in self._pids().items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[program, pid] = (int(fields[11]) + int(fields[12])) / self.tick
        return used

    @staticmethod
    def spent(before: dict, after: dict, into: dict[str, float]) -> None:
        """Add the CPU seconds spent between two readings to ``into``, by program."""
        for (program, pid), value in after.items():
            into[program] = (
                into.get(program, 0.0) + value - before.get((program, pid), 0.0)
            )


async def _level(
    base: str,
    tokens: list[str],
    count: int,
    evaluation_id: int,
    secs,
    rounds: int,
    meter: _CpuMeter | None,
):
    """Ping and annotate in alternating phases (``rounds`` of each, ``secs`` in all
    for each), so a load that drifts during the run weighs on both alike."""
    import httpx

    limits = httpx.Limits(max_connections=count + 4)
    clients = [
        httpx.AsyncClient(
            base_url=base,
            headers={"Authorization": f"Token {token}"},
            timeout=60,
            limits=limits,
        )
        for token in tokens[:count]
    ]
    annotators = [_Annotator(c, evaluation_id, seed) for seed, c in enumerate(clients)]
    ping: list[float] = []
    loops: list[float] = []
    ping_elapsed = loop_elapsed = 0.0
    ping_cpu: dict[str, float] = {}
    loop_cpu: dict[str, float] = {}
    try:
        for _ in range(rounds):
            cpu = meter.read() if meter else {}
            started = time.perf_counter()
            deadline = started + secs / rounds
            await asyncio.gather(*(_ping_loop(c, deadline, ping) for c in clients))
            ping_elapsed += time.perf_counter() - started
            if meter:
                meter.spent(cpu, cpu := meter.read(), ping_cpu)
            started = time.perf_counter()
            deadline = started + secs / rounds
            await asyncio.gather(*(a.loop(deadline, loops) for a in annotators))
            loop_elapsed += time.perf_counter() - started
            if meter:
                meter.spent(cpu, meter.read(), loop_cpu)
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return {
        "ping_rate": len(ping) / ping_elapsed,
        "ping": _percentiles(ping),
        "rating_rate": len(loops) / loop_elapsed,
        "loop": _percentiles(loops),
        "ratings": len(loops),
        "ping_cpu": {k: v / max(len(ping), 1) for k, v in ping_cpu.items()},
        "loop_cpu": {k: v / max(len(loops), 1) for k, v in loop_cpu.items()},
    }


def _serve(url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="benchmarks.annotate_settings",
        DJANGO_DEBUG="false",
        PYTHONWARNINGS="ignore::UserWarning",  # whitenoise: no collected static
    )
    env.pop("CACHE_URL", None)
    command = [
        sys.executable, "-m", "gunicorn", "benchmarks.annotate_wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads),
        "--timeout", "120", "--keep-alive", "75",
        "--log-level", "warning", "--chdir", str(ROOT),
    ]  # fmt: skip
    server = subprocess.Popen(command, env=env)
    import httpx

    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/bench/ping/").status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not come up")


def _ms(values) -> str:
    return "/".join(f"{v * 1000:.0f}" for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rounds",
        type=int,
        default=5,
        help="Alternate ping and annotator phases this many times per level.",
    )
    parser.add_argument("--pairs", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="Keep the database.")
    parser.add_argument(
        "--history",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Load a finished evaluation first (--pairs pairs, N ratings each), so "
        "the tables are not empty (default: yes).",
    )
    args = parser.parse_args()
    if max(args.levels) > ANNOTATORS:
        raise SystemExit(f"--levels: at most {ANNOTATORS} annotators")
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("CACHE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
    # Benchmarks run without DEBUG; the settings refuse to start without a key.
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")

    _database_create(url)
    started = time.perf_counter()
    evaluation_ids, tokens = _load(args.levels, args.pairs, args.history)
    history = f", a finished one with {args.pairs * PER_PAIR} ratings" * args.history
    print(
        f"loaded {len(args.levels)} evaluations x {args.pairs} pairs (N = {PER_PAIR})"
        f"{history}, {ANNOTATORS} annotators in {time.perf_counter() - started:.1f} s"
    )
    server = _serve(url, args.port, args.workers, args.threads)
    base = f"http://127.0.0.1:{args.port}"
    meter = _CpuMeter(server.pid, url) if Path("/proc/self/stat").exists() else None
    rows = []
    try:
        for level, evaluation_id in zip(args.levels, evaluation_ids, strict=True):
            result = asyncio.run(
                _level(
                    base,
                    tokens,
                    level,
                    evaluation_id,
                    args.seconds,
                    args.rounds,
                    meter,
                )
            )
            rows.append((level, result))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        if not args.keep:
            _database_drop(url)
    print(
        f"\ngunicorn gthread {args.workers} workers x {args.threads} threads, "
        f"PostgreSQL, {args.seconds:.0f} s per measurement in {args.rounds} "
        "alternating phases, token auth; "
        "latencies p50/p95/p99 in ms\n"
    )
    header = (
        f"{'annotators':>10} | {'ratings/s':>9} | {'click p50/p95/p99':>17} | "
        f"{'ping req/s':>10} | {'ping p50/p95/p99':>16} | "
        f"{'ratings/ping':>12} | {'p95 click/ping':>14}"
    )
    print(header)
    print("-" * len(header))
    if RETRIED["count"]:
        print(f"(requests retried after a dropped connection: {RETRIED['count']})")
    for level, r in rows:
        print(
            f"{level:>10} | {r['rating_rate']:>9.1f} | {_ms(r['loop']):>17} | "
            f"{r['ping_rate']:>10.1f} | {_ms(r['ping']):>16} | "
            f"{r['rating_rate'] / r['ping_rate']:>12.2f} | "
            f"{r['loop'][1] / r['ping'][1]:>14.1f}"
        )
    print(
        "\nratings/ping: ratings per second over the trivial view's requests per "
        "second (target at 32 annotators: at least 0.25)."
    )
    if meter:
        print(
            "\nCPU per request, clients + gunicorn + PostgreSQL (what the ratio comes "
            "to on an otherwise idle machine):\n"
        )
        for level, r in rows:
            click, ping = sum(r["loop_cpu"].values()), sum(r["ping_cpu"].values())
            print(
                f"{level:>10} annotators: click {click * 1000:.2f} ms "
                f"({_by_program(r['loop_cpu'])}), ping {ping * 1000:.2f} ms "
                f"({_by_program(r['ping_cpu'])}), ping/click {ping / click:.2f}"
            )


def _by_program(cpu: dict[str, float]) -> str:
    return ", ".join(
        f"{program} {cpu.get(program, 0.0) * 1000:.2f}"
        for program in ("clients", "gunicorn", "PostgreSQL")
    )


if __name__ == "__main__":
    main()
