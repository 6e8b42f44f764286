"""Simulation: ratings a tournament needs under uniform and adaptive allocation.

Replays LLMFAO's crowd votes (data/llmfao/crowd-comparisons.csv: 8,931 votes on 2,139
comparisons, 59 models, 927 model pairs). Each simulated rating of a model pair is
drawn from that pair's observed vote shares (first model wins / tie / second wins);
model pairs never observed are never compared (their outcomes are unknown).

- uniform: the 2,139 comparisons in a random order, again in a new order once all are
  done; each comparison takes ``--per-comparison`` ratings.
- adaptive: batches of ``--batch`` comparisons chosen by the rule of
  ``annotations.allocation_adaptive`` (refit, then the comparisons of a batch one by
  one, those already chosen counted as in progress), among the observed model pairs.

After every batch of ``--batch`` comparisons (both allocations) the log-scores are
fitted (Bradley-Terry, ties as half wins, the rule's weak prior) and the campaign
stops when the 95 % interval of every top-10 model's log-score (top 10 by the fit of
all the votes) is narrower than ``--target``. Intervals are the Fisher-information
(Laplace) ones, centred (log-scores summing to zero, the reports' normalisation):
the reports' prompt-clustered bootstrap is too slow to run after every batch.

    python benchmarks/adaptive.py [--campaigns 50] [--target 1.0] [--seed 0]
        [--batch 10] [--rules neighbours top] [--stopping-campaigns 200]

``--rules``: ``top`` (the default) is the leasing rule (an evaluation's
``adaptive_top`` 10 and ``adaptive_width`` 1.0: the variances weighted towards the
top 10, over the models still wider than the target); ``neighbours`` the
neighbouring ranks' variances alone (the rule's fallback once the top is narrow);
benchmarks/README.md has the figures of both.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from functools import partial
from pathlib import Path

for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")  # one core: small matrices, no thread churn

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import adaptive_stopping  # noqa: E402  (benchmarks/, this script's folder)

from annotations import allocation_adaptive as rule  # noqa: E402

VOTES = ROOT / "data" / "llmfao" / "crowd-comparisons.csv"
Z = rule.Z95
TOP = 10


class Votes:
    """The observed model pairs, their vote shares, and the comparisons."""

    def __init__(self, path: Path) -> None:
        votes = pd.read_csv(path)
        names = sorted(set(votes["left"]) | set(votes["right"]))
        self.names = np.array(names)
        index = {name: k for k, name in enumerate(names)}
        left = votes["left"].map(index).to_numpy()
        right = votes["right"].map(index).to_numpy()
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        left_won = (votes["winner"] == "left").to_numpy()
        right_won = (votes["winner"] == "right").to_numpy()
        lo_won = np.where(left == lo, left_won, right_won)
        hi_won = np.where(left == lo, right_won, left_won)
        frame = pd.DataFrame({"lo": lo, "hi": hi, "a": lo_won, "b": hi_won})
        shares = frame.groupby(["lo", "hi"]).agg(
            a=("a", "sum"), b=("b", "sum"), n=("a", "size")
        )
        self.pairs = np.array(shares.index.tolist(), dtype=int)
        n = shares["n"].to_numpy(float)
        # Cumulative shares: first model wins, then tie, then second model wins.
        self.cut_first = shares["a"].to_numpy() / n
        self.cut_tie = 1 - shares["b"].to_numpy() / n
        position = {tuple(pair): k for k, pair in enumerate(self.pairs.tolist())}
        comparisons = (
            frame.assign(id=votes["id"]).drop_duplicates("id")[["lo", "hi"]].to_numpy()
        )
        self.comparisons = np.array([position[tuple(c)] for c in comparisons.tolist()])
        whole = rule.fit(
            len(names),
            self.pairs,
            shares["a"].to_numpy(float) + (n - shares["a"] - shares["b"]) / 2,
            n,
        )
        self.top = np.argsort(-whole.theta, kind="stable")[:TOP]
        self.n_votes = len(votes)

    def draw(self, pair: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Wins of the first model (1, 0.5 for a tie, 0) for each drawn pair."""
        u = rng.random(len(pair))
        return np.where(
            u < self.cut_first[pair], 1.0, np.where(u < self.cut_tie[pair], 0.5, 0.0)
        )


class Campaign:
    """One simulated campaign's outcomes so far and its stopping check."""

    def __init__(self, votes: Votes, target: float) -> None:
        self.votes, self.target = votes, target
        m = len(votes.names)
        self.wins = np.zeros(len(votes.pairs))
        self.games = np.zeros(len(votes.pairs))
        self.theta = np.zeros(m)
        self.centre = np.eye(m) - 1.0 / m
        self.fitted = None

    def add(self, pair: np.ndarray, outcome: np.ndarray) -> None:
        np.add.at(self.wins, pair, outcome)
        np.add.at(self.games, pair, 1.0)

    def refit(self) -> rule.Fit:
        self.fitted = rule.fit(
            len(self.theta), self.votes.pairs, self.wins, self.games, start=self.theta
        )
        self.theta = self.fitted.theta
        return self.fitted

    def done(self) -> bool:
        covariance = self.centre @ np.linalg.inv(self.fitted.information) @ self.centre
        sd = np.sqrt(np.diag(covariance)[self.votes.top])
        return bool((2 * Z * sd < self.target).all())


def uniform(votes, campaign, rng, *, batch, per_comparison, limit):
    order = np.array([], dtype=int)
    ratings = 0
    while ratings < limit:
        if len(order) < batch:
            order = np.concatenate([order, rng.permutation(votes.comparisons)])
        chosen, order = order[:batch], order[batch:]
        pair = np.repeat(chosen, per_comparison)
        campaign.add(pair, votes.draw(pair, rng))
        ratings += len(pair)
        campaign.refit()
        if campaign.done():
            return ratings
    return None


def adaptive(votes, campaign, rng, *, batch, per_comparison, limit, focus=None):
    """``focus`` None: the neighbouring ranks' rule; a number k: the leasing rule,
    which weights each model's centred variance by its chance of being in
    the top k, over the models whose interval is still wider than the target
    (``allocation_adaptive.top_contrasts``)."""
    ratings = 0
    fitted = campaign.refit()
    while ratings < limit:
        planned = np.zeros(len(votes.pairs))
        contrasts = (
            rule.neighbour_contrasts(fitted.theta)
            if focus is None
            else rule.focus_contrasts(fitted, focus, width=campaign.target)
        )
        for _ in range(batch):
            gain = rule.reductions(
                fitted,
                votes.pairs,
                per_comparison=per_comparison,
                in_progress=planned,
                contrasts=contrasts,
            )
            planned[int(np.argmax(gain))] += 1  # first maximum: the smaller pair
        pair = np.repeat(np.arange(len(votes.pairs)), planned.astype(int))
        pair = np.repeat(pair, per_comparison)
        campaign.add(pair, votes.draw(pair, rng))
        ratings += len(pair)
        fitted = campaign.refit()
        if campaign.done():
            return ratings
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--campaigns", type=int, default=50)
    parser.add_argument("--target", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--per-comparison", type=int, default=1)
    parser.add_argument("--limit", type=int, default=30_000)
    parser.add_argument(
        "--rules", nargs="+", choices=("neighbours", "top"), default=["top"]
    )
    parser.add_argument(
        "--stopping-campaigns",
        type=int,
        default=200,
        help="campaigns of the head-to-head stopping simulation (0: skip it)",
    )
    args = parser.parse_args()
    votes = Votes(VOTES)
    print(
        f"LLMFAO crowd votes: {votes.n_votes} votes, {len(votes.names)} models, "
        f"{len(votes.pairs)} model pairs, {len(votes.comparisons)} comparisons; "
        f"top {TOP}: {', '.join(votes.names[votes.top])}"
    )
    print(
        f"stop: every top-{TOP} 95 % interval (log-score) narrower than "
        f"{args.target}; {args.campaigns} campaigns; batch {args.batch} comparisons "
        f"of {args.per_comparison} rating(s); seed {args.seed}"
    )
    runs = {"uniform": uniform}
    if "neighbours" in args.rules:
        runs["adaptive"] = adaptive
    if "top" in args.rules:
        runs[f"adaptive, top-{TOP} weighted"] = partial(adaptive, focus=TOP)
    results = {}
    for name, run in runs.items():
        started = time.perf_counter()
        needed = []
        for campaign_number in range(args.campaigns):
            rng = np.random.default_rng([args.seed, campaign_number])
            needed.append(
                run(
                    votes,
                    Campaign(votes, args.target),
                    rng,
                    batch=args.batch,
                    per_comparison=args.per_comparison,
                    limit=args.limit,
                )
            )
        unfinished = sum(n is None for n in needed)
        # An unfinished campaign counts as the limit: its figures are lower bounds.
        counts = np.array([args.limit if n is None else n for n in needed], float)
        results[name] = counts
        print(
            f"{name}: ratings needed mean {counts.mean():,.0f}, median "
            f"{np.median(counts):,.0f}, min {counts.min():,.0f}, max "
            f"{counts.max():,.0f}; unfinished at {args.limit:,}: {unfinished}; "
            f"{time.perf_counter() - started:.1f} s"
        )
    for name in list(results)[1:]:
        saving = 1 - results[name].mean() / results["uniform"].mean()
        median = 1 - np.median(results[name]) / np.median(results["uniform"])
        print(
            f"{name} / uniform: {1 - saving:.3f} of the ratings (mean), saving "
            f"{saving:.1%} (median {median:.1%}); target: a saving of at least 30 %"
        )
    if args.stopping_campaigns:  # the head-to-head half: stopping rules
        print()
        adaptive_stopping.run(args.stopping_campaigns, args.seed)


if __name__ == "__main__":
    main()
