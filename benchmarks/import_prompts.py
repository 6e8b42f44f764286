"""Benchmark: upload of a 100,000-prompt set vs a bare COPY of the same rows.

Usage: python benchmarks/import_prompts.py [--prompts N] [--database-url URL]
Creates (and drops) its own PostgreSQL database and times, in one run:
(a) the upload through ``prompts_import`` (parse, check every line, store),
(b) a bare ``COPY`` of the same rows into the same table (another prompt set):
    the stored values as Python objects, their JSON dumped by psycopg (``Jsonb``);
    (b') the same with the JSON dumped to text before the clock starts,
(c) the re-upload of the unchanged file,
(d) parsing and checking the file alone (nothing stored), as the upload does it,
(e) the re-upload of the same rows in a file that differs by a byte (every line
    checked and compared with the stored rows; nothing written).
Targets (issue 12): a / b at most 3; c / d at most 1.
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
    from django.db import connection, transaction
    from psycopg.types.json import Jsonb

    from evalsite.imports.staging import checked_batches
    from generations.models import Prompt, PromptSet
    from generations.services import imports

    call_command("migrate", verbosity=0)
    data = make_file(args.prompts)
    print(f"{args.prompts} prompts, {len(data) / 1e6:.1f} MB of JSONL")

    def timed(action) -> float:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start

    result = None

    def upload() -> None:
        nonlocal result
        result = imports.prompts_import(
            prompt_set_name="bench", file_name="p.jsonl", data=data
        )

    upload_s = timed(upload)
    assert result.created == args.prompts

    columns = ["prompt_set_id", "external_id", "turns", "categories"]
    columns += ["collection_method", "metadata", "num_turns", "word_count"]
    stored = list(
        Prompt.objects.filter(prompt_set__name="bench").values_list(*columns[1:])
    )
    json_columns = [name in ("turns", "categories", "metadata") for name in columns]

    def bare_copy(rows) -> None:
        with transaction.atomic():
            connection.ensure_connection()
            sql = f"COPY {Prompt._meta.db_table} ({', '.join(columns)}) FROM STDIN"
            with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)

    # (b) the stored values as Python objects, JSON ones dumped by psycopg (Jsonb);
    # (b') the same rows with their JSON already dumped to text before the clock.
    other = PromptSet.objects.create(name="copy")
    jsonb_rows = [
        [
            Jsonb(value) if is_json else value
            for value, is_json in zip((other.pk, *values), json_columns, strict=True)
        ]
        for values in stored
    ]
    copy_s = timed(lambda: bare_copy(jsonb_rows))
    other = PromptSet.objects.create(name="copy-text")
    text_rows = [
        [
            json.dumps(value) if is_json else value
            for value, is_json in zip((other.pk, *values), json_columns, strict=True)
        ]
        for values in stored
    ]
    copy_text_s = timed(lambda: bare_copy(text_rows))

    def parse() -> None:
        # As the upload reads a file.
        records = imports._records("p.jsonl", data, ("id", "prompt", "category"))
        for _ in checked_batches(
            records, lambda r: imports._prompt_copied(r, imports._prompt_row(r, []))
        ):
            pass

    parse_s = timed(parse)
    reupload_s = timed(upload)
    assert (result.created, result.unchanged) == (0, args.prompts)
    data += b"\n"
    changed_s = timed(upload)
    assert (result.created, result.unchanged) == (0, args.prompts)
    print(f"(a) upload (parse, check every line, store): {upload_s:7.2f} s")
    print(f"(b) bare COPY of the same rows:              {copy_s:7.2f} s")
    print(f"(b') bare COPY, JSON dumped before the clock: {copy_text_s:7.2f} s")
    print(f"(c) re-upload of the unchanged file:         {reupload_s:7.2f} s")
    print(f"(d) parse and check the file alone:          {parse_s:7.2f} s")
    print(f"(e) re-upload, same rows, file changed:      {changed_s:7.2f} s")
    print(f"a / b (target <= 3): {upload_s / copy_s:7.2f}")
    print(f"a / b' (for reference): {upload_s / copy_text_s:7.2f}")
    print(f"c / d (target <= 1): {reupload_s / parse_s:7.2f}")
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{admin_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
