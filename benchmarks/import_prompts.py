"""Benchmark: upload of a 100,000-prompt set vs a bare bulk insert of the same rows.

Usage: python benchmarks/import_prompts.py [--prompts N] [--database-url URL]
Creates (and drops) its own PostgreSQL database; prints wall times and their ratio.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def make_file(count: int) -> bytes:
    lines = []
    for index in range(count):
        if index % 5 == 0:
            row = {
                "id": f"p{index}",
                "turns": [
                    {"role": "user", "content": f"Tell me about topic {index}."},
                    {"role": "assistant", "content": "Sure, here is an overview."},
                    {"role": "user", "content": "Now in one sentence, please."},
                ],
                "categories": ["dialogue", "factual questions"],
                "collection_method": "alternating",
            }
        else:
            row = {
                "id": f"p{index}",
                "prompt": f"Question number {index}: what is {index} squared?",
                "category": "factual questions",
            }
        lines.append(json.dumps(row))
    return "\n".join(lines).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/evalsite_bench_import",
    )
    args = parser.parse_args()
    import psycopg

    admin_url, name = args.database_url.rsplit("/", 1)
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
    # Benchmarks run without DEBUG; the settings refuse to start without a key.
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")
    import django

    django.setup()
    from django.core.management import call_command

    from generations.models import Prompt, PromptSet
    from generations.services.imports import prompts_import

    call_command("migrate", verbosity=0)
    data = make_file(args.prompts)
    print(f"{args.prompts} prompts, {len(data) / 1e6:.1f} MB of JSONL")

    start = time.perf_counter()
    result = prompts_import(prompt_set_name="bench", file_name="p.jsonl", data=data)
    upload = time.perf_counter() - start
    assert result.created == args.prompts

    rows = list(Prompt.objects.filter(prompt_set__name="bench").values())
    other = PromptSet.objects.create(name="bulk")
    start = time.perf_counter()
    Prompt.objects.bulk_create(
        [Prompt(**{**row, "id": None, "prompt_set_id": other.pk}) for row in rows],
        batch_size=2000,
    )
    bulk = time.perf_counter() - start

    again = time.perf_counter()
    prompts_import(prompt_set_name="bench", file_name="p.jsonl", data=data)
    reupload = time.perf_counter() - again
    print(f"upload (parse, check every line, store): {upload:7.2f} s")
    print(f"bulk insert of the same rows:           {bulk:7.2f} s")
    print(f"ratio upload / bulk insert:              {upload / bulk:7.2f}")
    print(f"re-upload of the same file (no changes): {reupload:7.2f} s")
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
