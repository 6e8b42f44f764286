"""Benchmark: the preference export over 1.4 million preference ratings.

Creates its own database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/evalsite_bench_preferences), bulk-loads 5
preference-scale evaluations (safety labels on) x N prompts x 3 ratings with COPY
(30% of the prompts multi-turn), then runs each step of ``STEPS`` in a fresh child
process and prints its wall time, peak resident memory (VmHWM) and its ratio to the
first step, the baseline: reading the same rows with a bare cursor, every rating
joined to its comparison, evaluation, prompt (turns as JSON text), both responses'
texts and models, fetched and dropped. That is what the export writes, one row per
rating; the export itself reads each response and prompt once instead. The reader
behind the export (``preference_rows.preference_ratings``, no texts) is timed too.

    python benchmarks/preferences.py [--prompts 93334] [--repeats 1] [--keep]

Another step is one more ``(name, callable)`` in ``STEPS``: the callable gets the
evaluations (a list) and a scratch folder and returns the rows it handled.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.report import (  # noqa: E402  (after the path is set)
    ANNOTATORS,
    EVALUATIONS,
    MODELS,
    PER_PAIR,
    _copy,
    _database_create,
    _setup,
    _status_mb,
    _with_defaults,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/evalsite_bench_preferences"
# Shares of the four strengths (significantly .. negligibly) and of the candidate
# being chosen; unsafe responses among the labelled.
STRENGTH_SHARES = (0.18, 0.25, 0.30, 0.27)
CANDIDATE_CHOSEN, UNSAFE = 0.6, 0.15


def load(n_prompts: int, seed: int = 0) -> list[int]:
    """One prompt set, 6 models, 5 preference evaluations x n_prompts x 3 ratings."""
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
        [get_user_model()(username=f"bench-{i}", password="!")
         for i in range(ANNOTATORS)]
    )  # fmt: skip
    prompt_set = PromptSet.objects.create(name="bench")
    models = ChatModel.objects.bulk_create(
        [ChatModel(name=f"bench-model-{m}", backend="imported") for m in range(MODELS)]
    )
    evaluations = Evaluation.objects.bulk_create(
        [Evaluation(name=f"bench-{e}", prompt_set=prompt_set, candidate=models[0],
                    baseline=models[e + 1], scale="preference", safety_labels=True)
         for e in range(EVALUATIONS)]
    )  # fmt: skip
    p = np.arange(n_prompts)
    multi = rng.random(n_prompts) < 0.3
    words = rng.integers(5, 60, n_prompts)

    def turns(w: int, m: bool) -> str:
        first = [{"role": "user", "content": "word " * w}]
        if m:
            first += [{"role": "assistant", "content": "reply " * w},
                      {"role": "user", "content": "more " * (w // 2 + 1)}]  # fmt: skip
        return json.dumps(first)

    prompts = pd.DataFrame({
        "id": p + 1, "prompt_set_id": prompt_set.pk, "external_id": p.astype(str),
        "turns": [turns(w, m) for w, m in zip(words, multi, strict=True)],
        "categories": '["dialogue"]', "collection_method": "", "metadata": "{}",
        "num_turns": np.where(multi, 2, 1), "word_count": words,
    })  # fmt: skip
    g = np.arange(n_prompts * MODELS)
    lengths = rng.integers(5, 80, len(g))
    generations = pd.DataFrame({
        "id": g + 1, "prompt_id": g // MODELS + 1,
        "chat_model_id": np.array([m.pk for m in models])[g % MODELS],
        "status": "done", "source": "imported",
        "text": ["lorem " * k for k in lengths], "word_count": lengths, "html": "",
        "finish_reason": "stop", "request": "{}", "backend_model_id": "",
        "attempts": 1, "last_error": "", "metadata": "{}", "created_at": now,
        "updated_at": now,
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
    if hasattr(Comparison, "Stage"):
        comparisons["stage"] = int(Comparison.Stage.COMPLETE)
    r = np.arange(len(c) * PER_PAIR)
    start = rng.integers(0, ANNOTATORS, len(c))
    annotator = (np.repeat(start, PER_PAIR) + np.tile([0, 7, 19], len(c))) % ANNOTATORS
    strength = rng.choice([4, 3, 2, 1], len(r), p=STRENGTH_SHARES)
    score = np.where(rng.random(len(r)) < CANDIDATE_CHOSEN, strength, -strength)
    left = rng.random(len(r)) < 0.5
    ratings = pd.DataFrame({
        "id": r + 1, "comparison_id": r // PER_PAIR + 1,
        "annotator_id": np.array([u.pk for u in users])[annotator],
        "scale": "preference", "choice": np.where(left, score, -score),
        "candidate_on_left": left, "score": score,
        "safety_a": np.where(rng.random(len(r)) < UNSAFE, "unsafe", "safe"),
        "safety_b": np.where(rng.random(len(r)) < UNSAFE, "unsafe", "safe"),
        "seconds": rng.gamma(3, 20, len(r)).round(1), "comment": "",
        "source": "imported", "created_at": now,
    })  # fmt: skip
    with connection.cursor() as cursor:
        for model, frame in ((Prompt, prompts), (Generation, generations),
                             (Comparison, comparisons), (Rating, ratings)):  # fmt: skip
            _copy(cursor, model._meta.db_table, _with_defaults(model, frame))
        cursor.execute("ANALYZE")
    return [e.pk for e in evaluations]


READ_SQL = """
SELECT r.id, r.annotator_id, r.score, r.candidate_on_left, r.safety_a, r.safety_b,
       c.id, c.prompt_id, e.name, p.turns::text, cg.text, bg.text, cm.name, bm.name
FROM annotations_rating r
JOIN annotations_comparison c ON c.id = r.comparison_id
JOIN annotations_evaluation e ON e.id = c.evaluation_id
JOIN generations_prompt p ON p.id = c.prompt_id
JOIN generations_generation cg ON cg.id = c.candidate_generation_id
JOIN generations_generation bg ON bg.id = c.baseline_generation_id
JOIN generations_chatmodel cm ON cm.id = cg.chat_model_id
JOIN generations_chatmodel bm ON bm.id = bg.chat_model_id
WHERE c.evaluation_id = ANY(%s) AND r.scale IN ('preference', 'seven')
ORDER BY r.id
"""


def read_rows(evaluations, scratch: Path) -> int:
    """The baseline: every exported row with its texts, by a bare cursor."""
    from django.db import connection

    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(READ_SQL, [[e.pk for e in evaluations]])
        while batch := cursor.fetchmany(2000):
            rows += len(batch)
    return rows


def read_preference_rows(evaluations, scratch: Path) -> int:
    from reports.preference_rows import preference_ratings

    # As the export reads them: no times, no usernames.
    ids = [e.pk for e in evaluations]
    return len(preference_ratings(ids, times=False, names=False))


def _export(**options):
    def step(evaluations, scratch: Path) -> int:
        from reports.preference_export import export_preferences
        from reports.preference_options import ExportOptions

        output = scratch / ("export.jsonl" if options["format"] == "jsonl" else "hf")
        return export_preferences(evaluations, ExportOptions(**options), output).rows

    return step


def batch_table(evaluations, scratch: Path) -> int:
    """Table 26, every token counted (no counts kept from an earlier run)."""
    from reports.preference_batches import batch_statistics

    table = batch_statistics([e.pk for e in evaluations], use_cache=False)
    return table.total.comparisons


STEPS = [
    ("read the rows with their texts (baseline)", read_rows),
    ("read preference_rows, no texts", read_preference_rows),
    ("export JSONL, per rating", _export(format="jsonl")),
    ("export HF folder, per rating", _export(format="hf")),
    ("export JSONL, per pair", _export(format="jsonl", per="pair")),
    ("batch table (Table 26), tokens counted", batch_table),
]


def child(index: int, ids: list[int]) -> dict:
    """Run in a fresh process: one step, timed."""
    from django.db import connection

    from annotations.models import Evaluation

    # Imported before the clock starts, as a server has them imported.
    for module in (
        "datasets",
        "reports.preference_export",
        "reports.preference_batches",
    ):
        __import__(module)
    connection.ensure_connection()
    evaluations = list(Evaluation.objects.filter(pk__in=ids).order_by("pk"))
    scratch = Path(tempfile.mkdtemp(prefix="bench-preferences-"))
    try:
        start = time.perf_counter()
        rows = STEPS[index][1](evaluations, scratch)
        wall = time.perf_counter() - start
        size = sum(f.stat().st_size for f in scratch.rglob("*") if f.is_file())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"wall_s": wall, "rows": rows, "peak_rss_mb": _status_mb("VmHWM"),
            "bytes": size}  # fmt: skip


def _run_child(url: str, index: int, ids: list[int]) -> dict:
    command = [sys.executable, __file__, "--child", str(index), "--url", url,
               "--ids", ",".join(map(str, ids))]  # fmt: skip
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--prompts",
        type=int,
        default=93_334,
        help="prompts per evaluation (x 5 evaluations x 3 ratings)",
    )
    parser.add_argument(
        "--url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    )
    parser.add_argument(
        "--keep", action="store_true", help="reuse the loaded database (same --prompts)"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=1,
        help="rounds of all steps; the median of each is shown",
    )
    parser.add_argument("--child", type=int)
    parser.add_argument("--ids", default="")
    args = parser.parse_args()  # fmt: skip
    if args.child is not None:
        _setup(args.url)
        ids = [int(pk) for pk in args.ids.split(",")]
        print(json.dumps(child(args.child, ids)))
        return
    print(f"preference export benchmark on {os.cpu_count()} CPUs (shared machine: "
          "other work may run)")  # fmt: skip
    if not args.keep:
        _database_create(args.url)
    _setup(args.url)
    from django.db import connection

    from annotations.models import Evaluation

    started = time.perf_counter()
    if args.keep and Evaluation.objects.exists():
        ids = list(Evaluation.objects.order_by("pk").values_list("pk", flat=True))
        loaded = "reused"
    else:
        ids = load(args.prompts)
        loaded = f"loaded with COPY in {time.perf_counter() - started:.1f} s"
    connection.close()
    n = args.prompts * EVALUATIONS * PER_PAIR
    print(f"\n{n:,} preference ratings ({EVALUATIONS} evaluations x "
          f"{args.prompts:,} prompts x {PER_PAIR}); {loaded}")  # fmt: skip
    # The machine is shared: every step once per round, rounds in turn, so a busy
    # spell slows all steps alike; the median of each step is shown.
    runs: list[list[dict]] = [[] for _ in STEPS]
    for _ in range(args.repeats):
        for index in range(len(STEPS)):
            runs[index].append(_run_child(args.url, index, ids))
    medians = [sorted(r, key=lambda run: run["wall_s"])[len(r) // 2] for r in runs]
    base = medians[0]["wall_s"]
    for (name, _), run, every in zip(STEPS, medians, runs, strict=True):
        written = f", {run['bytes'] / 1e6:,.0f} MB written" if run["bytes"] else ""
        times = ", ".join(f"{r['wall_s']:.1f}" for r in every)
        print(f"  {name:44} {run['wall_s']:7.2f} s  x{run['wall_s'] / base:5.2f}"
              f"   peak RSS {run['peak_rss_mb']:6.0f} MB   ({run['rows']:,} rows"
              f"{written}; runs {times} s)")  # fmt: skip


if __name__ == "__main__":
    main()
