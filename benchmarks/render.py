"""Benchmark: rendering a 200,000-character model response as safe Markdown.

Prints the first rendering (Markdown + nh3, stored in the cache) and the per-view
time once it is cached (hash the text, fetch the HTML), median of the repeats.
Target: under 100 ms per page view. Uses CACHE_URL (Redis) when set, else Django's
local-memory cache.

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


if __name__ == "__main__":
    main()
