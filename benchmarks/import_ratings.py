"""Benchmark: import of 1.4 million ratings vs a bare COPY of the same rows.

Usage: python benchmarks/import_ratings.py [--ratings N] [--database-url URL]
Creates (and drops) its own PostgreSQL database; builds prompts and generations
of 8 models (each prompt's 28 pairs rated by 3 annotators), writes the ratings
JSONL to a temporary file, imports it in a child process (its peak RSS is read
from ru_maxrss), imports it again unchanged, then COPYs the same comparisons and
ratings into a second evaluation. Prints the times, their ratio and the peak RSS.
"""

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

MODELS = [f"model-{index}" for index in range(8)]
PAIRS = list(itertools.combinations(MODELS, 2))
ANNOTATORS = 3


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")
    os.environ["EVALSITE_MAX_UPLOAD_BYTES"] = str(1 << 34)
    import django

    django.setup()


def build(ratings: int, path: str) -> int:
    """Prompts and generations in the database, the ratings file on disk."""
    from generations.models import ChatModel, Generation, Prompt, PromptSet

    prompts = -(-ratings // (len(PAIRS) * ANNOTATORS))
    prompt_set = PromptSet.objects.create(name="bench")
    Prompt.objects.bulk_create(
        (
            Prompt(
                prompt_set=prompt_set,
                external_id=f"p{index}",
                turns=[{"role": "user", "content": f"Question {index}?"}],
            )
            for index in range(prompts)
        ),
        batch_size=5000,
    )
    models = [ChatModel.objects.create(name=name) for name in MODELS]
    ids = Prompt.objects.filter(prompt_set=prompt_set).values_list("id", flat=True)
    Generation.objects.bulk_create(
        (
            Generation(
                prompt_id=prompt_id,
                chat_model=model,
                text=f"{model.name} answers.",
                status=Generation.Status.DONE,
            )
            for prompt_id in ids.iterator()
            for model in models
        ),
        batch_size=5000,
    )
    written = 0
    with open(path, "w") as file:
        for index in range(prompts):
            for number, (a, b) in enumerate(PAIRS):
                for k in range(ANNOTATORS):
                    if written == ratings:
                        return written
                    row = {
                        "prompt_id": f"p{index}",
                        "model_a": a if k % 2 else b,
                        "model_b": b if k % 2 else a,
                        "annotator": f"ann-{(number * ANNOTATORS + k) % 60}",
                        "choice": (index + number + k) % 7 - 3,
                        "seconds": 10.0 + k,
                    }
                    file.write(json.dumps(row) + "\n")
                    written += 1
    return written


def child(url: str, path: str) -> None:
    """Import the file; print the seconds and this process's peak RSS."""
    _django(url)
    from annotations.services.imports import ratings_import

    start = time.perf_counter()
    with open(path, "rb") as file:
        result = ratings_import(
            prompt_set_name="bench",
            evaluation_name="imported",
            scale="seven",
            file_name="r.jsonl",
            data=file,
        )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak, **result.as_dict()}))


def _import(url: str, path: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", path, "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def bare_copy(url: str) -> float:
    """COPY the imported evaluation's comparisons and ratings into another one."""
    import psycopg

    with psycopg.connect(url) as conn:
        evaluation = conn.execute(
            """INSERT INTO annotations_evaluation (name, kind, prompt_set_id, scale,
                annotators_per_pair, lease_minutes, guidelines, status, source,
                left_out, created_at)
            SELECT 'copied', kind, prompt_set_id, scale, annotators_per_pair,
                lease_minutes, guidelines, status, source, left_out, now()
            FROM annotations_evaluation WHERE name = 'imported' RETURNING id"""
        ).fetchone()[0]
        first = conn.execute(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM annotations_comparison"
        ).fetchone()[0]
        comparisons = conn.execute(
            """SELECT c.id, c.prompt_id, c.candidate_generation_id,
                c.baseline_generation_id, c.external_id, c.stage, c.created_at
            FROM annotations_comparison c JOIN annotations_evaluation e
                ON e.id = c.evaluation_id
            WHERE e.name = 'imported' ORDER BY c.id"""
        ).fetchall()
        new_id = {row[0]: first + index for index, row in enumerate(comparisons)}
        ratings = conn.execute(
            """SELECT r.comparison_id, r.annotator_id, r.scale, r.choice,
                r.candidate_on_left, r.score, r.seconds, r.comment, r.source,
                r.created_at
            FROM annotations_rating r JOIN annotations_comparison c
                ON c.id = r.comparison_id JOIN annotations_evaluation e
                ON e.id = c.evaluation_id WHERE e.name = 'imported'"""
        ).fetchall()
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cursor:
            with cursor.copy(
                """COPY annotations_comparison (id, evaluation_id, prompt_id,
                candidate_generation_id, baseline_generation_id, external_id,
                stage, created_at) FROM STDIN"""
            ) as copy:
                for old, *rest in comparisons:
                    copy.write_row((new_id[old], evaluation, *rest))
            with cursor.copy(
                """COPY annotations_rating (comparison_id, annotator_id, scale,
                choice, candidate_on_left, score, seconds, comment, source,
                created_at) FROM STDIN"""
            ) as copy:
                for old, *rest in ratings:
                    copy.write_row((new_id[old], *rest))
        conn.commit()  # the deferred foreign-key checks run here
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ratings", type=int, default=1_400_000)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/evalsite_bench_ratings",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.database_url, args.child)
        return
    import psycopg

    admin_url, name = args.database_url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    _django(args.database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    with tempfile.NamedTemporaryFile(suffix=".jsonl") as file:
        count = build(args.ratings, file.name)
        connections.close_all()
        size = os.path.getsize(file.name)
        print(f"{count} ratings, {size / 1e6:.1f} MB of JSONL")
        first = _import(args.database_url, file.name)
        assert first["created"] == count, first
        again = _import(args.database_url, file.name)
        assert again["unchanged"] == count, again
    copy = bare_copy(args.database_url)
    upload = first["seconds"]
    print(f"import (parse, check every line, store): {upload:7.2f} s")
    print(f"bare COPY of the same rows:              {copy:7.2f} s")
    print(f"ratio import / COPY:                     {upload / copy:7.2f}")
    print(f"peak RSS of the importing process:       {first['peak'] / 2**20:7.0f} MiB")
    print(f"re-import of the same file (unchanged):  {again['seconds']:7.2f} s")
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
