"""Benchmark: a full report over 60,000 and 1.4 million ratings on PostgreSQL.

Creates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/evalsite_bench_report), bulk-loads 5 evaluations
x N prompts x 3 ratings with COPY, then, each in a fresh child process, times
(a) reading the same rows with the report's own queries and nothing else, and
(b) the full report of every evaluation (ratings frame, outcomes, bootstrap with
1,000 resamples, breakdowns, agreement, annotator table), no cache. Prints wall
times, peak resident memory and the ratio (b) / (a).

    python benchmarks/report.py [--sizes 4000 93334] [--resamples 1000] [--repeats 3]

With ``--tournament`` it times the tournament cases instead, each in a fresh child
process: the LLMFAO crowd leaderboard (``load_demo``: 8,931 votes, 59 models, 13
prompts) as a full report with no cache and as its statistics alone, and the
statistics of a synthetic tournament of 100,000 votes over 50 models and 2,000
prompts; every case with ``--resamples`` prompt-clustered resamples.

    python benchmarks/report.py --tournament [--resamples 1000] [--repeats 3]

With --background it times instead what a web request costs for a report too large
to compute in it (a page and the API, each answering 202 at once), how long a real
Celery worker then takes until the report is ready, and the API's answer from the
cache: CACHE_URL and CELERY_BROKER_URL must name Redis.

    python benchmarks/report.py --background [--sizes 20000] [--worker-threads 2]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/evalsite_bench_report"
EVALUATIONS, PER_PAIR, ANNOTATORS, MODELS = 5, 3, 60, 6
TOURNAMENT_CASES = ("llmfao-report", "llmfao-statistics", "synthetic")
CATEGORIES = ["factual questions", "writing and content creation",
              "language assistance", "recommendations", "dialogue"]  # fmt: skip


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.pop("CACHE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
    # Benchmarks run without DEBUG; the settings refuse to start without a key.
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")
    import django

    django.setup()


def _database_create(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _with_defaults(model, frame):
    """Fill columns the frame leaves out with the model's Python-side defaults (a
    text field without one: the empty string); a column with a database default is
    left to the database."""
    for field in model._meta.concrete_fields:
        if field.column in frame or field.null or field.has_db_default():
            continue
        if not (field.has_default() or field.empty_strings_allowed):
            continue
        value = field.get_default()
        frame[field.column] = (
            json.dumps(value) if isinstance(value, dict | list) else value
        )
    return frame


def _copy(cursor, table: str, frame) -> None:
    buffer = io.StringIO()
    # COPY's text format: tab-separated, no quoting (the JSON keeps its quotes).
    frame.to_csv(buffer, sep="\t", header=False, index=False, na_rep="\\N",
                 quoting=csv.QUOTE_NONE, quotechar="\x01")  # fmt: skip
    columns = ", ".join(frame.columns)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(buffer.getvalue())


def load(n_prompts: int, seed: int = 0) -> list[int]:
    """Bulk-load one prompt set, 6 models, 5 evaluations x n_prompts x 3 ratings."""
    import numpy as np
    import pandas as pd
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from annotations.models import Comparison, Evaluation, Rating
    from generations.models import ChatModel, Generation, Prompt, PromptSet

    call_command("migrate", verbosity=0)
    rng = np.random.default_rng(seed)
    now = pd.Timestamp("2026-01-01", tz="UTC").isoformat()
    users = get_user_model().objects.bulk_create(
        [
            get_user_model()(username=f"bench-{i}", password="!")
            for i in range(ANNOTATORS)
        ]
    )
    prompt_set = PromptSet.objects.create(name="bench")
    models = ChatModel.objects.bulk_create(
        [ChatModel(name=f"bench-model-{m}", backend="imported") for m in range(MODELS)]
    )
    evaluations = Evaluation.objects.bulk_create(
        [
            Evaluation(
                name=f"bench-{e}",
                prompt_set=prompt_set,
                candidate=models[0],
                baseline=models[e + 1],
            )
            for e in range(EVALUATIONS)
        ]
    )
    p = np.arange(n_prompts)
    multi = rng.random(n_prompts) < 0.3
    first, second = rng.integers(0, 5, n_prompts), rng.integers(0, 5, n_prompts)
    words = rng.integers(5, 60, n_prompts)
    prompts = pd.DataFrame({
        "id": p + 1, "prompt_set_id": prompt_set.pk, "external_id": p.astype(str),
        "turns": [json.dumps([{"role": "user", "content": "word " * w}]) for w in words],
        "categories": [json.dumps([CATEGORIES[a], CATEGORIES[b]] if m and a != b
                                  else [CATEGORIES[a]])
                       for a, b, m in zip(first, second, multi, strict=True)],
        "collection_method": np.where(multi, "chatgpt", ""), "metadata": "{}",
        "num_turns": np.where(multi, 2, 1), "word_count": words,
    })  # fmt: skip
    g = np.arange(n_prompts * MODELS)
    lengths = rng.integers(5, 80, len(g))
    generations = pd.DataFrame({
        "id": g + 1, "prompt_id": g // MODELS + 1,
        "chat_model_id": np.array([m.pk for m in models])[g % MODELS],
        "status": "done", "source": "imported",
        "text": ["lorem " * k for k in lengths], "word_count": lengths, "html": "",
        "finish_reason": "stop",
        "request": "{}", "backend_model_id": "", "attempts": 1, "last_error": "",
        "metadata": "{}", "created_at": now, "updated_at": now,
    })  # fmt: skip
    c = np.arange(n_prompts * EVALUATIONS)
    prompt_of, evaluation_of = c % n_prompts, c // n_prompts
    comparisons = pd.DataFrame({
        "id": c + 1,
        "evaluation_id": np.array([e.pk for e in evaluations])[evaluation_of],
        "prompt_id": prompt_of + 1,
        "candidate_generation_id": prompt_of * MODELS + 1,
        "baseline_generation_id": prompt_of * MODELS + evaluation_of + 2,
        "external_id": "", "created_at": now,
    })  # fmt: skip
    r = np.arange(len(c) * PER_PAIR)
    start = rng.integers(0, ANNOTATORS, len(c))
    annotator = (np.repeat(start, PER_PAIR) + np.tile([0, 7, 19], len(c))) % ANNOTATORS
    choice = rng.choice([-3, -2, -1, 0, 1, 2, 3], len(r),
                        p=[.06, .1, .12, .24, .18, .18, .12])  # fmt: skip
    left = rng.random(len(r)) < 0.5
    ratings = pd.DataFrame({
        "id": r + 1, "comparison_id": r // PER_PAIR + 1,
        "annotator_id": np.array([u.pk for u in users])[annotator],
        "scale": "seven", "choice": choice, "candidate_on_left": left,
        "score": np.where(left, choice, -choice),
        "seconds": rng.gamma(3, 20, len(r)).round(1), "comment": "",
        "source": "imported", "created_at": now,
    })  # fmt: skip
    if hasattr(Comparison, "Stage"):  # every pair here is fully rated
        comparisons["stage"] = int(Comparison.Stage.COMPLETE)
    with connection.cursor() as cursor:
        for model, frame in (
            (Prompt, prompts),
            (Generation, generations),
            (Comparison, comparisons),
            (Rating, ratings),
        ):
            _copy(cursor, model._meta.db_table, _with_defaults(model, frame))
        cursor.execute("ANALYZE")
    return [e.pk for e in evaluations]


def _status_mb(key: str) -> float:
    """VmRSS or VmHWM of this process (ru_maxrss would carry the parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(mode: str, ids: list[int], resamples: int) -> dict:
    """Run in a fresh process: time reading the rows, or the full reports."""
    from django.db import connection

    from annotations.models import Evaluation
    from reports import selectors
    from reports.evaluation_reports import evaluation_report
    from reports.report_options import ReportOptions

    connection.ensure_connection()
    baseline_rss = _status_mb("VmRSS")
    start = time.perf_counter()
    rows = 0
    if mode == "read":
        # The report's own two queries per evaluation, fetched and nothing else.
        for pk in ids:
            for queryset, lookups in (
                (selectors.report_ratings([pk]), selectors.REPORT_RATING_FIELDS.values()),
                (selectors.report_comparisons([pk]),
                 [*selectors.REPORT_COMPARISON_FIELDS.values(),
                  *selectors.RESPONSE_WORD_FIELDS.values()]),
            ):  # fmt: skip
                rows += len(selectors._columns(queryset, list(lookups))[0])
    else:
        options = ReportOptions(resamples=resamples)
        evaluations = Evaluation.objects.filter(pk__in=ids).select_related(
            "prompt_set", "candidate", "baseline"
        )
        for evaluation in evaluations:
            report = evaluation_report(evaluation, options, use_cache=False)
            rows += report.headline.n_ratings
    wall = time.perf_counter() - start
    peak = _status_mb("VmHWM")
    return {"mode": mode, "wall_s": wall, "rows": rows, "peak_rss_mb": peak,
            "rss_before_mb": baseline_rss}  # fmt: skip


def synthetic_votes(n_votes=100_000, n_models=50, n_prompts=2000, seed=0):
    """Votes of a tournament: random pairs, Bradley-Terry outcomes, 25% ties."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1, n_models)
    x = rng.integers(0, n_models, n_votes)
    y = (x + rng.integers(1, n_models, n_votes)) % n_models
    p = 1 / (1 + np.exp(strength[y] - strength[x]))
    u = rng.random(n_votes)
    outcome = np.where(u < 0.25, 0, np.where(u < 0.25 + 0.75 * p, 1, -1))
    names = np.array([f"model-{k:02d}" for k in range(n_models)])
    return pd.DataFrame({"prompt_id": rng.integers(0, n_prompts, n_votes),
                         "candidate": names[x], "baseline": names[y],
                         "outcome": outcome})  # fmt: skip


def tournament_child(case: str, resamples: int) -> dict:
    """Run in a fresh process: one tournament case, timed."""
    from annotations.models import Evaluation
    from reports import selectors
    from reports import statistics as st
    from reports.evaluation_reports import evaluation_report
    from reports.report_builder import PAIR_COLUMNS
    from reports.report_options import ReportOptions

    if case == "synthetic":
        votes = synthetic_votes()
        start = time.perf_counter()
        st.tournament_fit(votes, resamples=resamples)
        return {"case": case, "wall_s": time.perf_counter() - start,
                "votes": len(votes)}  # fmt: skip
    crowd = Evaluation.objects.select_related("prompt_set").get(name="llmfao-crowd")
    options = ReportOptions(aggregation="rating", resamples=resamples)
    if case == "llmfao-report":
        start = time.perf_counter()
        report = evaluation_report(crowd, options, use_cache=False)
        return {"case": case, "wall_s": time.perf_counter() - start,
                "votes": report.tournament.n_outcomes}  # fmt: skip
    ratings = selectors.ratings_frame([crowd.pk])
    ratings = ratings.assign(outcome=st.outcome_of(ratings["score"]))
    votes = st.pair_outcomes(ratings, rule="rating", carry=PAIR_COLUMNS)
    start = time.perf_counter()
    st.tournament_fit(votes, resamples=resamples)
    return {"case": case, "wall_s": time.perf_counter() - start, "votes": len(votes)}


def tournament_main(url: str, resamples: int, repeats: int) -> None:
    from django.core.management import call_command

    _database_create(url)
    _setup(url)
    call_command("migrate", verbosity=0)
    call_command("load_demo", stdout=io.StringIO())
    from django.db import connection

    connection.close()
    print(f"tournament benchmark on {os.cpu_count()} CPUs, {resamples} resamples "
          "over prompts (shared machine: other work may run)")  # fmt: skip
    labels = {
        "llmfao-report": "LLMFAO leaderboard, full report, no cache",
        "llmfao-statistics": "LLMFAO leaderboard, statistics only",
        "synthetic": "100,000 votes, 50 models, 2,000 prompts, statistics",
    }
    for case, label in labels.items():
        runs = [_run_child(url, case, [], resamples) for _ in range(repeats)]
        walls = ", ".join(f"{run['wall_s']:.2f}" for run in runs)
        print(f"  {label}: {_median(runs)['wall_s']:6.2f} s median "
              f"({runs[0]['votes']:,} votes; runs {walls} s)")  # fmt: skip


def _run_child(url: str, mode: str, ids: list[int], resamples: int) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--url", url,
               "--ids", ",".join(map(str, ids)), "--resamples", str(resamples)]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _median(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["wall_s"])[len(runs) // 2]


def _setup_background(url: str) -> None:
    """Django on the benchmark database with the Redis cache and broker (required)."""
    cache_url = os.environ.get("CACHE_URL", "")
    if not (cache_url.startswith("redis") and
            os.environ.get("CELERY_BROKER_URL", "").startswith("redis")):  # fmt: skip
        sys.exit("--background needs CACHE_URL and CELERY_BROKER_URL (Redis)")
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "evalsite.settings"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")
    import django

    django.setup()


def _start_worker(log: Path, threads: int) -> subprocess.Popen:
    from tests.support.worker import worker_command

    command = worker_command(threads, f"bench-report-{os.getpid()}@%h")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while " ready." not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process


def _timed_get(client, url: str):
    started = time.perf_counter()
    response = client.get(url)
    return response, time.perf_counter() - started


def background(args) -> None:
    """Each evaluation's report asked for by the page and the API while uncached:
    the web request's time, the time until a real worker's report is ready (from
    the page request), and the API's answer from the cache."""
    import statistics
    import tempfile

    _database_create(args.url)
    _setup_background(args.url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    threshold = settings.EVALSITE_REPORT_BACKGROUND_MIN_RATINGS
    log = Path(tempfile.gettempdir()) / f"bench-report-worker-{os.getpid()}.log"
    print(f"background reports on {os.cpu_count()} CPUs (shared machine: other work "
          f"may run); a worker of {args.worker_threads} threads; reports over "
          f"{threshold:,} ratings go to the worker")  # fmt: skip
    for size in args.sizes:
        if size != args.sizes[0]:
            from django.db import connection

            connection.close()
            _database_create(args.url)
        ids = load(size)
        # A worker per database: dropping one ends the connections of the last.
        worker = _start_worker(log, args.worker_threads)
        try:
            user = get_user_model().objects.create_superuser("bench-researcher")
            client = Client()
            client.force_login(user)
            client.get(f"/api/reports/{ids[0]}/status/")  # warm up: imports, sessions
            print(f"\n{EVALUATIONS} evaluations x {size * PER_PAIR:,} ratings "
                  f"({args.resamples} resamples)")  # fmt: skip
            rows = []
            for pk in ids:
                query = f"?resamples={args.resamples}&seed={pk}"  # never cached yet
                started = time.perf_counter()
                page, page_s = _timed_get(client, f"/reports/{pk}/{query}")
                api, api_s = _timed_get(client, f"/api/reports/{pk}/{query}")
                while api.status_code == 202:
                    status = client.get(api.json()["status_url"]).json()
                    if status["status"] not in ("queued", "running"):
                        break
                    time.sleep(0.05)
                ready_s = time.perf_counter() - started
                cached, cached_s = _timed_get(client, f"/api/reports/{pk}/{query}")
                rows.append((page.status_code, page_s, api.status_code, api_s,
                             ready_s, cached.status_code, cached_s))  # fmt: skip
            for name, code, column in (("page", 0, 1), ("API", 2, 3),
                                       ("report ready", None, 4),
                                       ("API from the cache", 5, 6)):  # fmt: skip
                times = [row[column] for row in rows]
                codes = "" if code is None else f" (HTTP {rows[0][code]})"
                print(f"  {name + codes:30} median {statistics.median(times):6.3f} s"
                      f"   max {max(times):6.3f} s   runs "
                      + ", ".join(f"{t:.3f}" for t in times))  # fmt: skip
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    from django.db import connection

    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[4000, 93334],
        help="prompts per evaluation (x 5 evaluations x 3 ratings)",
    )
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="fresh processes per measurement, median shown "
        "(default 3, and 1 above 10,000 prompts)",
    )
    parser.add_argument(
        "--tournament", action="store_true", help="time the tournament cases"
    )
    parser.add_argument(
        "--background",
        action="store_true",
        help="time the web requests for large uncached reports and a real worker's "
        "report instead (needs CACHE_URL and CELERY_BROKER_URL on Redis)",
    )
    parser.add_argument("--worker-threads", type=int, default=2)
    parser.add_argument("--child", choices=["read", "report", *TOURNAMENT_CASES])
    parser.add_argument("--ids", default="")
    args = parser.parse_args()
    if args.child in TOURNAMENT_CASES:
        _setup(args.url)
        print(json.dumps(tournament_child(args.child, args.resamples)))
        return
    if args.background:
        background(args)
        return
    if args.child:
        _setup(args.url)
        ids = [int(pk) for pk in args.ids.split(",")]
        print(json.dumps(child(args.child, ids, args.resamples)))
        return
    if args.tournament:
        tournament_main(args.url, args.resamples, args.repeats or 3)
        return
    print(
        f"report benchmark on {os.cpu_count()} CPUs (shared machine: other work may run)"
    )
    for size in args.sizes:
        _database_create(args.url)
        if "django" not in sys.modules:
            _setup(args.url)
        else:
            from django.db import connection

            connection.close()
        started = time.perf_counter()
        ids = load(size)
        loaded = time.perf_counter() - started
        n = size * EVALUATIONS * PER_PAIR
        print(f"\n{n:,} ratings ({EVALUATIONS} evaluations x {size:,} prompts x "
              f"{PER_PAIR}); loaded with COPY in {loaded:.1f} s")  # fmt: skip
        # The machine is shared: alternate fresh processes and keep the median.
        reads, fulls = [], []
        repeats = args.repeats or (3 if size <= 10_000 else 1)
        for _ in range(repeats):
            reads.append(_run_child(args.url, "read", ids, args.resamples))
            fulls.append(_run_child(args.url, "report", ids, args.resamples))
        read, full = _median(reads), _median(fulls)
        runs = ", ".join(f"{run['wall_s']:.2f}" for run in fulls)
        read_runs = ", ".join(f"{run['wall_s']:.2f}" for run in reads)
        print(f"  read the same rows:  {read['wall_s']:7.2f} s median   peak RSS "
              f"{read['peak_rss_mb']:5.0f} MB   runs {read_runs} s "
              f"({read['rows']:,} rows)")  # fmt: skip
        print(f"  full report:         {full['wall_s']:7.2f} s median   peak RSS "
              f"{full['peak_rss_mb']:5.0f} MB   runs {runs} s "
              f"(+{full['peak_rss_mb'] - full['rss_before_mb']:.0f} MB over the idle "
              f"process; {args.resamples} resamples)")  # fmt: skip
        best = min(r["wall_s"] for r in fulls) / min(r["wall_s"] for r in reads)
        print(f"  ratio report / read: {full['wall_s'] / read['wall_s']:7.2f} (medians)"
              f", {best:.2f} (best runs)")  # fmt: skip
    from django.db import connection

    connection.close()


if __name__ == "__main__":
    main()
