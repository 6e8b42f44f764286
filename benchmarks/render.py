"""Benchmark: rendering a 200,000-character model response as safe Markdown.

Prints the cost at write time (the import or the worker renders a long response
and stores its HTML with the generation), the per-view time of a response stored
pre-rendered (read the row from the database, serve its HTML: what every page view
of such a response costs), and, for rows without stored HTML, the first view
(render and store in the cache) and a cached view, medians of the repeats.
Target: under 100 ms per page view. Uses DATABASE_URL (rows are written in a
transaction that is rolled back; skipped when no database answers) and CACHE_URL
(Redis) when set, else Django's local-memory cache.

    CACHE_URL=redis://127.0.0.1:6379/11 python benchmarks/render.py [--chars 200000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = [
    "the",
    "model",
    "answers",
    "**bold**",
    "`code`",
    "<svg>",
    "&",
    "x_1",
    "$5",
    "[link](https://e.org)",
    "#",
    "1.",
    "-",
    ">",
    "plain",
    "words",
    "of",
    "a",
    "long",
    "reply",
]


def response(chars: int, seed: int = 1) -> str:
    """Markdown-ish text of ``chars`` characters: lines, blank lines, lists, code."""
    rng = random.Random(seed)
    lines, size = [], 0
    while size < chars:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 16)))
        if rng.random() < 0.05:
            line = f"```\n{line}\n```"
        lines.append(line)
        size += len(line) + 1
        if rng.random() < 0.2:
            lines.append("")
    return "\n".join(lines)[:chars]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalsite.settings")
    # Benchmarks run without DEBUG; the settings refuse to start without a key.
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-deployment-key")
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-not-a-secret")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache

    from evalsite import rendering

    text = response(args.chars)
    # A fresh text per run, so that the first rendering is never a cache hit.
    text += f"\n\nrun {time.time_ns()}"
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]

    plain = []
    for _ in range(3):
        start = time.perf_counter()
        rendering._render(text)
        plain.append(time.perf_counter() - start)

    start = time.perf_counter()
    html = rendering.render_markdown(text)
    first = time.perf_counter() - start

    cached = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        again = rendering.render_markdown(text)
        cached.append(time.perf_counter() - start)
        assert again == html
    cache.delete(rendering.cache_key(text))

    stored = _stored_views(text, args.repeats)

    print(f"response: {len(text):,} characters, HTML {len(html):,} characters")
    print(f"cache: {backend}")
    print(
        f"render without cache (median of 3): {statistics.median(plain) * 1e3:.1f} ms"
    )
    print(f"first view (render + store):        {first * 1e3:.1f} ms")
    print(
        f"cached view (median of {args.repeats}):        "
        f"{statistics.median(cached) * 1e3:.1f} ms "
        f"(max {max(cached) * 1e3:.1f} ms; target < 100 ms)"
    )
    if stored is None:
        print("stored HTML: skipped (no database)")
        return
    write, views = stored
    print(f"write time (render, store with the row): {write * 1e3:.1f} ms")
    print(
        f"stored view (median of {args.repeats}, read row + serve HTML): "
        f"{statistics.median(views) * 1e3:.1f} ms "
        f"(max {max(views) * 1e3:.1f} ms; target < 100 ms)"
    )


class _RollBack(Exception):
    pass


def _stored_views(text: str, repeats: int) -> tuple[float, list[float]] | None:
    """Write one generation as the import does, then time reading it for a page.
    None when no database answers."""
    from django.db import DatabaseError, transaction

    from evalsite import rendering
    from generations.models import ChatModel, Generation, Prompt, PromptSet

    result = None
    try:
        with transaction.atomic():
            prompt = Prompt.objects.create(
                prompt_set=PromptSet.objects.create(name=f"bench-{time.time_ns()}"),
                external_id="p",
                turns=[{"role": "user", "content": "Write a long answer."}],
            )
            chat_model = ChatModel.objects.create(
                name=f"bench-{time.time_ns()}", backend=ChatModel.Backend.IMPORTED
            )
            start = time.perf_counter()
            html, version = rendering.stored_html(text)
            generation = Generation.objects.create(
                prompt=prompt,
                chat_model=chat_model,
                status=Generation.Status.DONE,
                text=text,
                html=html,
                html_version=version,
            )
            write = time.perf_counter() - start
            views = []
            for _ in range(repeats):
                start = time.perf_counter()
                row = Generation.objects.get(pk=generation.pk)
                served = rendering.render_stored(row.text, row.html, row.html_version)
                views.append(time.perf_counter() - start)
                assert served == html
            result = write, views
            raise _RollBack
    except _RollBack:
        return result
    except DatabaseError as exc:
        print(f"database: {exc}".splitlines()[0], file=sys.stderr)
        return None


if __name__ == "__main__":
    main()
