"""Simulation: stopping head-to-head evaluations on the always-valid sequence.

For head-to-head campaigns whose pair outcomes are drawn from the demo's observed
win / tie / loss shares (LLMFAO's crowd votes, one outcome per pair by the majority
rule, from the candidate's point of view as the demo imports them), and from a
null with the same tie share and p(win) = p(loss), and from a clear edge (win /
(win + loss) = 0.6, same ties), it runs each stopping rule of
``annotations.sequential_rules`` on the sequence of ``annotations.sequential`` after
every pair, up to a cap of 4,000 pairs (paper scale), and prints per scenario and
rule: the share of campaigns that stop within the demo's prompt set (19 prompts)
and within the cap, the mean and median pairs at which the rule fires, and how
often the decision is wrong: "decided" naming the wrong side (on the null, any
decision), "width" stopping on an interval that misses the true win rate. Both
must stay under the nominal 5 %. The decided rule, vectorised, runs on at least
5,000 campaigns; the width rule (a grid per campaign, about 0.1 s each) on
``campaigns``.

    python benchmarks/adaptive_stopping.py [--campaigns 200] [--seed 0]

Pure numpy, no database; ``run`` is what ``benchmarks/adaptive.py`` calls.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotations.sequential import confidence_sequence, excluded_from  # noqa: E402

DATA = ROOT / "data" / "llmfao"
CAP = 4000
WIDTHS = (0.2, 0.1)
# The decided rule is vectorised and cheap: it runs on at least this many campaigns,
# so that its error rate (a few per cent) is measured to about half a point.
DECIDED_CAMPAIGNS = 5000
GRID = 501  # candidate means for the width rule (the app uses 1,001)


def demo_shares() -> tuple[float, float, float]:
    """Win, tie and loss shares of the demo's crowd pairs, majority rule."""
    names = {}
    with (DATA / "models.jsonl").open() as f:
        for line in f:
            row = json.loads(line)
            names[row["id"]] = row["name"]
    votes = defaultdict(list)
    with (DATA / "crowd-comparisons.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            candidate = names[int(row["model_x"])]
            shown = {"left": row["left"], "right": row["right"]}.get(row["winner"])
            votes[row["id"]].append(
                0 if shown is None else (1 if shown == candidate else -1)
            )
    counts = {1: 0, 0: 0, -1: 0}
    for outcomes in votes.values():
        wins, losses = outcomes.count(1), outcomes.count(-1)
        half = len(outcomes) / 2
        counts[1 if wins > half else -1 if losses > half else 0] += 1
    total = sum(counts.values())
    return counts[1] / total, counts[0] / total, counts[-1] / total


def _prompts() -> int:
    with (DATA / "prompts.jsonl").open() as f:
        return sum(1 for line in f if line.strip())


def _decided(outcomes: np.ndarray, truth: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs at which the decided rule fires (0: never) and whether it is wrong.

    The decisive pairs of each campaign, in order, are its win / (win + loss)
    stream; once 50 % leaves the sequence it stays out (running intersection),
    so the rule fires at the pair that completed the first excluding decisive one.
    """
    order = np.argsort(outcomes == 0, axis=1, kind="stable")  # decisive first
    decisive = np.take_along_axis(outcomes, order, axis=1)
    count = (outcomes != 0).sum(axis=1)
    x = (decisive == 1).astype(float)
    out = excluded_from(x, 0.5) & (np.arange(x.shape[1]) < count[:, None])
    fired = out.any(axis=1)
    k = np.argmax(out, axis=1)
    rows = np.arange(len(x))
    pairs = np.where(fired, order[rows, k] + 1, 0)
    mean = np.cumsum(x, axis=1)[rows, k] / (k + 1)
    side = np.sign(mean - 0.5)
    wrong = fired & (side != truth) if truth else fired
    return pairs, wrong


def _width(wins: np.ndarray, truth: float) -> dict[float, tuple[np.ndarray, ...]]:
    """For each width of ``WIDTHS``: pairs at which the win-rate sequence is first
    narrower (0: never), and whether its interval then misses the true win rate."""
    found = {
        width: (np.zeros(len(wins), dtype=int), np.zeros(len(wins), dtype=bool))
        for width in WIDTHS
    }
    for row, stream in enumerate(wins):
        lows, highs = confidence_sequence(stream, grid=GRID)
        for width, (pairs, wrong) in found.items():
            narrow = highs - lows < width
            if narrow.any():
                t = int(np.argmax(narrow))
                pairs[row] = t + 1
                wrong[row] = not lows[t] <= truth <= highs[t]
    return found


def _line(name: str, pairs: np.ndarray, wrong: np.ndarray, prompts: int) -> str:
    fired = pairs > 0
    within = ((pairs > 0) & (pairs <= prompts)).mean()
    mean = f"{pairs[fired].mean():7.0f}" if fired.any() else "      -"
    median = f"{np.median(pairs[fired]):7.0f}" if fired.any() else "      -"
    return (
        f"  {name:<16} {len(pairs):>9} {within:9.1%} {fired.mean():9.1%} {mean} "
        f"{median} {wrong.mean():8.1%}"
    )


def run(campaigns: int, seed: int) -> None:
    """Simulate ``campaigns`` campaigns per scenario and print the table."""
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    win, tie, loss = demo_shares()
    prompts = _prompts()
    decisive = 1 - tie
    scenarios = {
        "demo": (win, tie, loss),
        "null": (decisive / 2, tie, decisive / 2),
        "edge 0.6": (0.6 * decisive, tie, 0.4 * decisive),
    }
    print(
        f"Stopping rules on the always-valid sequence: {campaigns} campaigns per "
        f"scenario, seed {seed}, cap {CAP:,} pairs; demo prompt set {prompts} "
        f"prompts; demo shares win {win:.3f}, tie {tie:.3f}, loss {loss:.3f}"
    )
    for name, (p_win, p_tie, p_loss) in scenarios.items():
        truth = int(np.sign(round(p_win - p_loss, 12)))
        print(
            f"\n{name}: p(win) {p_win:.3f}, p(tie) {p_tie:.3f}, p(loss) "
            f"{p_loss:.3f}, win / (win + loss) {p_win / (p_win + p_loss):.3f}"
        )
        print(
            f"  {'rule':<16} {'campaigns':>9} {'≤ prompts':>9} {'≤ cap':>9} {'mean':>7} "
            f"{'median':>7} {'wrong':>8}"
        )
        shares = [p_win, p_tie, p_loss]
        found = [[], []]
        for start in range(0, max(campaigns, DECIDED_CAMPAIGNS), 500):
            size = min(500, max(campaigns, DECIDED_CAMPAIGNS) - start)
            drawn = rng.choice(np.array([1, 0, -1]), p=shares, size=(size, CAP))
            for part, values in zip(found, _decided(drawn, truth), strict=True):
                part.append(values)
        pairs, wrong = (np.concatenate(part) for part in found)
        print(_line("decided", pairs, wrong, prompts))
        outcomes = rng.choice(np.array([1, 0, -1]), p=shares, size=(campaigns, CAP))
        found = _width((outcomes == 1).astype(float), p_win)
        for width, (pairs, wrong) in found.items():
            print(_line(f"width < {width}", pairs, wrong, prompts))
    print(f"\n({time.perf_counter() - started:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    run(args.campaigns, args.seed)


if __name__ == "__main__":
    main()
