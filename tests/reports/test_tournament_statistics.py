"""Tournament statistics against independent implementations: a hand-written
bootstrap over prompts refitting with evalica, Davidson's likelihood maximised by
scipy, and evalica's Bradley-Terry point estimates."""

import evalica
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as s
from scipy.optimize import minimize
from scipy.sparse.csgraph import connected_components

from reports import statistics as st

MODELS = ["m0", "m1", "m2", "m3", "m4"]
WINNER = {1: evalica.Winner.X, -1: evalica.Winner.Y, 0: evalica.Winner.Draw}


def arena(n_prompts=30, seed=3) -> pd.DataFrame:
    """Votes per prompt: a cycle m0 > m1 > ... > m4 > m0 (so every model wins and
    loses in every prompt), then random pairs, some voted on three times."""
    rng = np.random.default_rng(seed)
    strength = np.array([1.2, 0.6, 0.0, -0.4, -1.0])
    rows = []
    for prompt in range(n_prompts):
        for k in range(5):
            rows.append((prompt * 7 + 100, MODELS[k], MODELS[(k + 1) % 5], 1))
        for _ in range(rng.integers(2, 8)):
            x, y = rng.choice(5, 2, replace=False)
            p = 1 / (1 + np.exp(strength[y] - strength[x]))
            for _ in range(rng.choice([1, 3])):
                u = rng.random()
                outcome = 0 if u < 0.25 else (1 if u < 0.25 + 0.75 * p else -1)
                rows.append((prompt * 7 + 100, MODELS[x], MODELS[y], outcome))
    return pd.DataFrame(rows, columns=["prompt_id", "candidate", "baseline", "outcome"])


def evalica_scores(votes: pd.DataFrame) -> pd.Series:
    result = evalica.bradley_terry(
        votes["candidate"].tolist(),
        votes["baseline"].tolist(),
        [WINNER[v] for v in votes["outcome"]],
        index=pd.Index(MODELS),
    )
    return result.scores.reindex(MODELS)


def m0_against_m1(votes: pd.DataFrame) -> pd.Series:
    """Outcomes of m0's votes against m1, from m0's side."""
    ahead = (votes["candidate"] == "m0") & (votes["baseline"] == "m1")
    behind = (votes["candidate"] == "m1") & (votes["baseline"] == "m0")
    return pd.concat([votes.loc[ahead, "outcome"], -votes.loc[behind, "outcome"]])


def test_intervals_equal_a_hand_written_bootstrap_over_prompts_refit_by_evalica():
    votes = arena()
    resamples, seed = 150, 11
    fitted = st.tournament_fit(votes, resamples=resamples, seed=seed)
    assert (fitted.resamples, fitted.seed, fitted.cluster) == (
        resamples,
        seed,
        "prompt",
    )
    assert fitted.n_clusters == votes["prompt_id"].nunique()

    prompts = sorted(votes["prompt_id"].unique())
    by_prompt = {p: votes[votes["prompt_id"] == p] for p in prompts}
    rng = np.random.default_rng(seed)
    drawn = rng.integers(0, len(prompts), (resamples, len(prompts)))
    scores, shares = [], []
    for row in drawn:
        sample = pd.concat([by_prompt[prompts[k]] for k in row])
        scores.append(evalica_scores(sample).to_numpy())
        m0_m1 = m0_against_m1(sample)
        shares.append((m0_m1 == 1).mean() if len(m0_m1) else np.nan)
    low, high = np.percentile(np.array(scores), [2.5, 97.5], axis=0)
    board = fitted.leaderboard.set_index("model").reindex(MODELS)
    assert board["low"].to_numpy() == pytest.approx(low, rel=1e-4)
    assert board["high"].to_numpy() == pytest.approx(high, rel=1e-4)
    assert board["score"].to_numpy() == pytest.approx(
        evalica_scores(votes).to_numpy(), rel=1e-6
    )

    pair = fitted.pairs.set_index(["model", "opponent"]).loc[("m0", "m1")]
    plain = m0_against_m1(votes)
    assert pair["n"] == len(plain)
    assert pair["wins"] == (plain == 1).sum()
    assert pair["ties"] == (plain == 0).sum()
    assert pair["win"] == pytest.approx((plain == 1).mean())
    share_low, share_high = np.nanpercentile(shares, [2.5, 97.5])
    assert (pair["win_low"], pair["win_high"]) == pytest.approx((share_low, share_high))


def test_pairs_are_counted_from_the_first_models_side_whichever_was_candidate():
    votes = pd.DataFrame(
        {
            "prompt_id": [1, 1, 2, 2, 3],
            "candidate": ["b", "a", "a", "c", "b"],
            "baseline": ["a", "b", "c", "a", "a"],
            "outcome": [1, 0, -1, 1, -1],
        }
    )
    pairs = st.tournament_fit(votes, resamples=0).pairs.set_index(["model", "opponent"])
    assert pairs.loc[("a", "b"), ["n", "wins", "ties", "losses"]].tolist() == [
        3,
        1,
        1,
        1,
    ]
    assert pairs.loc[("a", "c"), ["n", "wins", "ties", "losses"]].tolist() == [
        2,
        0,
        0,
        2,
    ]
    assert pairs.loc[("a", "c"), "loss"] == 1.0
    assert np.isnan(pairs.loc[("a", "b"), "win_low"])  # no resamples, no interval


def davidson_by_scipy(votes: pd.DataFrame, models: list[str]):
    """Maximise Davidson's log-likelihood over (log-scores, log nu) with BFGS."""
    index = {m: k for k, m in enumerate(models)}
    x = votes["candidate"].map(index).to_numpy()
    y = votes["baseline"].map(index).to_numpy()
    outcome = votes["outcome"].to_numpy()

    def minus_loglik(params):
        theta = np.concatenate([[0.0], params[: len(models) - 1]])
        log_nu = params[-1]
        ti, tj = theta[x], theta[y]
        log_d = np.logaddexp(np.logaddexp(ti, tj), log_nu + (ti + tj) / 2)
        value = np.where(
            outcome == 1, ti, np.where(outcome == -1, tj, log_nu + (ti + tj) / 2)
        )
        return -(value - log_d).sum()

    start = np.zeros(len(models))
    result = minimize(minus_loglik, start, method="BFGS", options={"gtol": 1e-10})
    theta = np.concatenate([[0.0], result.x[:-1]])
    return np.exp(theta - theta.mean()), np.exp(result.x[-1])


def test_davidson_fit_equals_scipy_maximising_its_likelihood():
    votes = arena(n_prompts=6, seed=5)
    fitted = st.tournament_fit(votes, tie_model="davidson", resamples=40, seed=2)
    scores, nu = davidson_by_scipy(votes, MODELS)
    board = fitted.leaderboard.set_index("model").reindex(MODELS)
    assert board["score"].to_numpy() == pytest.approx(scores, rel=1e-5)
    assert fitted.tie_parameter == pytest.approx(nu, rel=1e-5)
    assert fitted.tie_model == "davidson"
    assert fitted.tie_parameter_low <= fitted.tie_parameter <= fitted.tie_parameter_high
    # Without ties, nu goes to zero and Davidson's model is Bradley-Terry's.
    decided = votes[votes["outcome"] != 0]
    without = st.tournament_fit(decided, tie_model="davidson", resamples=0)
    plain = st.tournament_fit(decided, resamples=0)
    assert without.tie_parameter < 0.01
    assert without.leaderboard["score"].to_numpy() == pytest.approx(
        plain.leaderboard["score"].to_numpy(), rel=0.01
    )


@s.composite
def vote_lists(draw):
    n_models = draw(s.integers(2, 6))
    n_votes = draw(s.integers(n_models, 40))
    rows = []
    for k in range(n_votes):
        x = draw(s.integers(0, n_models - 1))
        y = draw(s.integers(0, n_models - 2))
        y += y >= x
        rows.append((k % 5, f"m{x}", f"m{y}", draw(s.sampled_from([1, 0, -1]))))
    return pd.DataFrame(rows, columns=["prompt_id", "candidate", "baseline", "outcome"])


def estimable(votes: pd.DataFrame) -> bool:
    """The likelihood has a maximum: "i beat or tied j" links every model to every
    other (a strongly connected graph)."""
    codes, models = pd.factorize(pd.concat([votes["candidate"], votes["baseline"]]))
    x, y = codes[: len(votes)], codes[len(votes) :]
    beat = np.zeros((len(models), len(models)))
    outcome = votes["outcome"].to_numpy()
    beat[x[outcome >= 0], y[outcome >= 0]] = 1
    beat[y[outcome <= 0], x[outcome <= 0]] = 1
    return connected_components(beat, connection="strong")[0] == 1


@settings(max_examples=80, deadline=None)
@given(vote_lists())
def test_scores_equal_evalicas_point_estimates_on_random_votes(votes):
    assume(estimable(votes))
    expected = evalica.bradley_terry(
        votes["candidate"].tolist(),
        votes["baseline"].tolist(),
        [WINNER[v] for v in votes["outcome"]],
    )
    assume(expected.iterations < expected.limit)  # evalica converged
    board = st.tournament_fit(votes, resamples=0).leaderboard.set_index("model")
    ours = board["score"].reindex(expected.scores.index).to_numpy()
    assert ours == pytest.approx(expected.scores.to_numpy(), rel=1e-5)
    assert board["rank"].to_dict() == st.ranks_of(board["score"]).to_dict()


@pytest.mark.parametrize(
    ("n_prompts", "resamples", "rows"), [(13, 2501, 1000), (7, 5, 2), (1, 3, 1)]
)
def test_weights_drawn_a_chunk_at_a_time_are_the_single_draws_rows(
    n_prompts, resamples, rows
):
    """Large tournaments fit their resamples a chunk at a time (memory); the chunks
    must be the documented single draw, so results do not depend on the chunk size."""
    drawn = np.random.default_rng(4).integers(0, n_prompts, (resamples, n_prompts))
    expected = np.stack([np.bincount(row, minlength=n_prompts) for row in drawn])
    chunks = list(st.tournament.prompt_weight_chunks(n_prompts, resamples, 4, rows))
    assert [len(chunk) for chunk in chunks[:-1]] == [rows] * (len(chunks) - 1)
    assert np.array_equal(np.concatenate(chunks), expected)
    assert np.array_equal(st.prompt_weights(n_prompts, resamples, 4), expected)


def test_a_fit_in_chunks_equals_the_fit_in_one(monkeypatch):
    votes = arena()
    whole = st.tournament_fit(votes, tie_model="davidson", resamples=300, seed=2)
    monkeypatch.setattr(st.tournament, "CHUNK", 7)
    chunked = st.tournament_fit(votes, tie_model="davidson", resamples=300, seed=2)
    pd.testing.assert_frame_equal(whole.leaderboard, chunked.leaderboard)
    pd.testing.assert_frame_equal(whole.pairs, chunked.pairs)
    assert (whole.tie_parameter_low, whole.tie_parameter_high) == (
        chunked.tie_parameter_low,
        chunked.tie_parameter_high,
    )
