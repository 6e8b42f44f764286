"""Agreement intervals against a hand-written prompt bootstrap; no database.

The reference loop draws the prompts of every resample as the module's docstring
states (rows of ``default_rng(seed).integers(0, P, size=(resamples, P))``), builds
the resampled ratings (a prompt drawn twice brings its comparisons twice, as new
units) and recomputes every coefficient with the point-estimate functions, the
``krippendorff`` package and ``cohen_kappa_pairs``.
"""

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as s

from reports import statistics as st
from reports.statistics import agreement_bootstrap
from reports.statistics.agreement_sums import COEFFICIENTS, coefficients, unit_terms
from tests.reports.test_statistics import GWET_RAW4RATERS, long_frame

SEVEN = [-3, -2, -1, 0, 1, 2, 3]
OUTCOMES = [-1, 0, 1]
CATEGORIES = ["dialogue", "writing"]


def _outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(value=st.outcome_of(frame["value"], 1))


def _alpha(frame: pd.DataFrame, points, level: str) -> float:
    counts = st.count_matrix(frame, points)
    try:
        alpha = krippendorff.alpha(
            value_counts=counts, value_domain=points, level_of_measurement=level
        )
        return float(alpha)
    except ValueError:  # no unit rated twice, or a single value
        return float("nan")


def reference(frame: pd.DataFrame, points) -> dict[str, float]:
    """Every coefficient of ``COEFFICIENTS`` the plain way."""
    outcomes = _outcomes(frame)
    percent = st.percent_agreement(outcomes, OUTCOMES)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            **{
                f"ac2_{w}": st.gwet_ac(frame, points, weights=w)["coefficient"]
                for w in ("quadratic", "linear", "ordinal")
            },
            "ac1_scores": st.gwet_ac(frame, points)["coefficient"],
            "ac1_outcomes": st.gwet_ac(outcomes, OUTCOMES)["coefficient"],
            "fleiss_kappa_outcomes": st.fleiss_kappa(outcomes, OUTCOMES)["coefficient"],
            "alpha_ordinal": _alpha(frame, points, "ordinal"),
            "alpha_nominal": _alpha(frame, points, "nominal"),
            "percent_with_ties": percent["with_ties"]["value"],
            "percent_without_ties": percent["without_ties"]["value"],
        }


def ratings(seed: int, n_prompts: int = 14, annotators: int = 5) -> pd.DataFrame:
    """Scores on seven points; every third prompt has two comparisons (as in a
    tournament), prompts in one or both categories."""
    rng = np.random.default_rng(seed)
    rows = []
    unit = 0
    for prompt in range(n_prompts):
        categories = CATEGORIES if prompt % 4 == 0 else [CATEGORIES[prompt % 2]]
        for _ in range(2 if prompt % 3 == 0 else 1):
            raters = rng.choice(annotators, size=rng.integers(1, 4), replace=False)
            base = rng.integers(-3, 4)
            for rater in raters:
                value = int(np.clip(base + rng.integers(-1, 2), -3, 3))
                rows.append((unit, f"a{rater}", value, prompt, categories))
            unit += 1
    return pd.DataFrame(
        rows, columns=["unit", "rater", "value", "prompt", "categories"]
    )


def intervals(frame: pd.DataFrame, kappas: pd.DataFrame, resamples: int, seed: int):
    """``agreement_intervals`` over all units and each category, as the report."""
    scores = st.count_matrix(frame, SEVEN)
    outcomes = st.count_matrix(_outcomes(frame), OUTCOMES)
    _, first = np.unique(pd.factorize(frame["unit"])[0], return_index=True)
    prompts = pd.factorize(frame["prompt"], sort=True)[0]
    in_category = [
        np.flatnonzero([c in cats for cats in frame["categories"].to_numpy()[first]])
        for c in CATEGORIES
    ]
    cells = st.kappa_cells(frame, SEVEN, prompts, kappas)
    found = st.agreement_intervals(
        scores, outcomes, SEVEN, prompts[first], [np.arange(len(first)), *in_category],
        cells, resamples=resamples, seed=seed,
    )  # fmt: skip
    return found.bounds, found.kappa_bounds, found.estimates


def resampled(frame: pd.DataFrame, prompts: np.ndarray) -> pd.DataFrame:
    """The ratings of the drawn prompts; each draw's comparisons are new units."""
    by_prompt = dict(tuple(frame.groupby("prompt")))
    parts = [
        by_prompt[prompt].assign(unit=by_prompt[prompt]["unit"] + 10_000 * position)
        for position, prompt in enumerate(prompts)
    ]
    return pd.concat(parts, ignore_index=True)


def _bounds(values: list[float]) -> tuple[float, float]:
    finite = np.array(values)[~np.isnan(values)]
    if not len(finite):
        return (float("nan"), float("nan"))
    low, high = np.percentile(finite, [2.5, 97.5])
    return (float(low), float(high))


def test_sums_at_unit_weights_give_gwets_and_krippendorffs_worked_example():
    frame = long_frame(GWET_RAW4RATERS)
    points = [1, 2, 3, 4, 5]
    # Outcomes: above, at or below the middle point, for the outcome coefficients.
    outcomes = frame.assign(value=np.sign(frame["value"] - 3))
    terms = unit_terms(
        st.count_matrix(frame, points), st.count_matrix(outcomes, OUTCOMES), points
    )
    found = {
        name: float(v[0]) for name, v in coefficients(terms.sum(0), points).items()
    }
    # Gwet's Handbook / irrCAC on cac.raw4raters; Krippendorff's nominal 0.743.
    assert found["ac1_scores"] == pytest.approx(0.7754, abs=5e-5)
    assert found["ac2_quadratic"] == pytest.approx(0.914, abs=5e-4)
    assert found["alpha_nominal"] == pytest.approx(0.743, abs=5e-4)
    expected = reference(frame, points)
    expected["ac1_outcomes"] = st.gwet_ac(outcomes, OUTCOMES)["coefficient"]
    expected["fleiss_kappa_outcomes"] = st.fleiss_kappa(outcomes, OUTCOMES)[
        "coefficient"
    ]
    percent = st.percent_agreement(outcomes, OUTCOMES)
    expected["percent_with_ties"] = percent["with_ties"]["value"]
    expected["percent_without_ties"] = percent["without_ties"]["value"]
    assert found == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 7])
def test_intervals_equal_a_hand_written_prompt_bootstrap(seed):
    frame = ratings(seed)
    kappas = st.cohen_kappa_pairs(frame, SEVEN, min_shared=1)
    resamples = 60
    bounds, kappa_bounds, estimates = intervals(frame, kappas, resamples, seed)
    n_prompts = frame["prompt"].nunique()
    draws = np.random.default_rng(seed).integers(0, n_prompts, (resamples, n_prompts))
    groups = {"all": [], **{c: [] for c in CATEGORIES}}
    kappa_draws = []
    assert estimates[0] == pytest.approx(reference(frame, SEVEN), rel=1e-9)
    for g, category in enumerate(CATEGORIES, start=1):
        rows = frame[frame["categories"].map(lambda cats, c=category: c in cats)]
        expected = reference(rows, SEVEN)
        assert estimates[g] == pytest.approx(expected, rel=1e-9, nan_ok=True)
    for drawn in draws:
        sample = resampled(frame, drawn)
        groups["all"].append(reference(sample, SEVEN))
        for category in CATEGORIES:
            rows = sample[sample["categories"].map(lambda cats, c=category: c in cats)]
            groups[category].append(reference(rows, SEVEN))
        table = st.cohen_kappa_pairs(sample, SEVEN, min_shared=1)
        found = table.set_index(["rater_a", "rater_b"])["kappa"].astype(float)
        kappa_draws.append(
            [
                found.get((a, b), np.nan)
                for a, b in kappas[["rater_a", "rater_b"]].values
            ]
        )
    for g, draws_of in enumerate(groups.values()):
        for name in COEFFICIENTS:
            expected = _bounds([d[name] for d in draws_of])
            assert bounds[g][name] == pytest.approx(expected, rel=1e-9, nan_ok=True)
    assert len(kappas) >= 5
    expected = [_bounds(list(column)) for column in np.array(kappa_draws).T]
    assert kappa_bounds.ravel() == pytest.approx(
        np.ravel(expected), rel=1e-9, nan_ok=True
    )


def test_chunks_of_resamples_give_the_same_intervals(monkeypatch):
    frame = ratings(3, n_prompts=30)
    kappas = st.cohen_kappa_pairs(frame, SEVEN, min_shared=1)
    whole = intervals(frame, kappas, 50, 4)
    monkeypatch.setattr(agreement_bootstrap, "CHUNK_ENTRIES", 100)
    chunked = intervals(frame, kappas, 50, 4)
    assert repr(chunked[0]) == repr(whole[0])
    assert np.array_equal(chunked[1], whole[1], equal_nan=True)


def test_resamples_beyond_the_cap_give_the_capped_intervals():
    frame = ratings(5, n_prompts=8)
    kappas = st.cohen_kappa_pairs(frame, SEVEN, min_shared=1)
    cap = st.AGREEMENT_RESAMPLES
    capped = intervals(frame, kappas, cap, 1)
    assert repr(intervals(frame, kappas, cap + 500, 1)) == repr(capped)


def test_percentile_bounds_leave_out_nan_as_nanpercentile_does():
    rng = np.random.default_rng(1)
    draws = rng.normal(size=(6, 37))
    draws[rng.random(draws.shape) < 0.3] = np.nan
    draws[4] = np.nan
    low, high = st.percentile_bounds(draws)
    with pytest.warns(RuntimeWarning):
        expected = np.nanpercentile(draws, [2.5, 97.5], axis=1)
    assert low == pytest.approx(expected[0], nan_ok=True)
    assert high == pytest.approx(expected[1], nan_ok=True)


def test_no_resamples_or_no_ratings_give_no_interval():
    frame = ratings(2)
    kappas = st.cohen_kappa_pairs(frame, SEVEN, min_shared=1)
    bounds, kappa_bounds, _ = intervals(frame, kappas, 0, 0)
    assert all(np.isnan(pair).all() for pair in bounds[0].values())
    assert np.isnan(kappa_bounds).all()
    assert len(kappa_bounds) == len(kappas)
    empty = np.zeros((0, 7))
    found = st.agreement_intervals(
        empty, np.zeros((0, 3)), SEVEN, np.zeros(0, dtype=int), [np.arange(0)]
    )
    assert np.isnan(found.bounds[0]["ac1_scores"]).all()
    assert np.isnan(found.estimates[0]["ac1_scores"])


def _crowd(seed: int, n_prompts: int) -> pd.DataFrame:
    """Typical data: 3 of 6 annotators per comparison, scores around a per-prompt
    truth with noise."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(-3, 4, n_prompts)
    rows = [
        (prompt, f"a{rater}", int(np.clip(truth[prompt] + rng.integers(-2, 3), -3, 3)),
         prompt, ["dialogue"])
        for prompt in range(n_prompts)
        for rater in rng.choice(6, size=3, replace=False)
    ]  # fmt: skip
    return pd.DataFrame(
        rows, columns=["unit", "rater", "value", "prompt", "categories"]
    )


@settings(max_examples=30, deadline=None)
@given(s.integers(0, 2**31), s.integers(25, 80), s.integers(0, 1000))
def test_intervals_contain_the_estimate(data_seed, n_prompts, seed):
    frame = _crowd(data_seed, n_prompts)
    kappas = st.cohen_kappa_pairs(frame, SEVEN, min_shared=10)
    bounds, kappa_bounds, estimates = intervals(frame, kappas, 400, seed)
    estimates = reference(frame, SEVEN)
    for name, value in estimates.items():
        low, high = bounds[0][name]
        assert low - 1e-12 <= value <= high + 1e-12, name
    for kappa, (low, high) in zip(kappas["kappa"], kappa_bounds, strict=True):
        assert low - 1e-12 <= kappa <= high + 1e-12


@settings(max_examples=40, deadline=None)
@given(
    s.integers(1, 300),
    s.integers(1, 200),
    s.integers(0, 2**31),
    s.sampled_from([0, 10_000]),
)
def test_prompt_weights_count_each_resamples_draws(n_prompts, resamples, seed, columns):
    """The weights are the counts of the module docstring's single draw, resample by
    resample, whatever the chunks (small ``CHUNK_ENTRIES`` below give many)."""
    drawn = np.random.default_rng(seed).integers(0, n_prompts, (resamples, n_prompts))
    expected = np.stack([np.bincount(row, minlength=n_prompts) for row in drawn], 1)
    chunks = list(
        agreement_bootstrap.prompt_weights(n_prompts, resamples, seed, columns=columns)
    )
    assert all(c.dtype == np.float32 and c.flags.c_contiguous for c in chunks)
    assert np.array_equal(np.hstack(chunks), expected)
