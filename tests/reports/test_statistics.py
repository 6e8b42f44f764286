"""Statistics against known values and hand-computed cases; no database."""

import evalica
import numpy as np
import pandas as pd
import pytest

from reports import statistics as st

NA = None
# Gwet, Handbook of Inter-Rater Reliability (4th ed.): 4 raters, 12 subjects, 5
# categories; irrCAC's cac.raw4raters (Krippendorff's 2011 example plus a rater).
GWET_RAW4RATERS = [
    [1, 1, NA, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [NA, 5, 5, 5],
    [NA, NA, 1, 1],
    [NA, NA, 3, NA],
]


def long_frame(table):
    rows = [
        (unit, f"r{rater}", value)
        for unit, row in enumerate(table)
        for rater, value in enumerate(row)
        if value is not None
    ]
    return pd.DataFrame(rows, columns=["unit", "rater", "value"])


def ratings(rows):
    """Rows of (comparison_id, prompt_id, score)."""
    return pd.DataFrame(rows, columns=["comparison_id", "prompt_id", "score"])


def test_gwet_ac1_and_fleiss_kappa_match_gwets_worked_example():
    frame = long_frame(GWET_RAW4RATERS)
    ac1 = st.gwet_ac(frame, [1, 2, 3, 4, 5])
    fleiss = st.fleiss_kappa(frame, [1, 2, 3, 4, 5])
    assert ac1["coefficient"] == pytest.approx(0.7754, abs=5e-5)
    assert ac1["pa"] == pytest.approx(0.8182, abs=5e-5)
    assert ac1["pe"] == pytest.approx(0.1903, abs=5e-5)
    assert fleiss["coefficient"] == pytest.approx(0.7612, abs=5e-5)
    assert ac1["n_units"] == 11  # the last subject has one rating only


def test_weighted_ac2_and_krippendorff_on_the_worked_example():
    frame = long_frame(GWET_RAW4RATERS)
    # irrCAC prints AC2 = 0.9140 with quadratic weights on this data set.
    quadratic = st.gwet_ac(frame, [1, 2, 3, 4, 5], weights="quadratic")
    assert quadratic["coefficient"] == pytest.approx(0.914, abs=5e-4)
    # Krippendorff's own example: nominal alpha 0.743.
    alpha = st.krippendorff_alpha(frame, [1, 2, 3, 4, 5], level="nominal")
    assert alpha["coefficient"] == pytest.approx(0.743, abs=5e-4)
    linear = st.gwet_ac(frame, [1, 2, 3, 4, 5], weights="linear")["coefficient"]
    assert 0.7754 < linear < quadratic["coefficient"]


def test_weights_follow_gwets_definitions():
    points = [-1, 0, 1]
    assert st.weight_matrix(points, "quadratic")[0].tolist() == [1.0, 0.75, 0.0]
    assert st.weight_matrix(points, "linear")[0].tolist() == [1.0, 0.5, 0.0]
    # Ordinal: 1 - C(|k-l|+1, 2) / C(q, 2); for three points C(2,2)=1 of 3.
    assert st.weight_matrix(points, "ordinal")[0] == pytest.approx([1, 2 / 3, 0])


def test_every_scale_point_counts_even_when_unused():
    frame = pd.DataFrame({"unit": [1, 1, 2, 2], "rater": ["a", "b"] * 2,
                          "value": [1, 1, 1, 0]})  # fmt: skip
    three = st.gwet_ac(frame, [-1, 0, 1])["coefficient"]
    seven = st.gwet_ac(frame, [-3, -2, -1, 0, 1, 2, 3])["coefficient"]
    assert three != seven
    with pytest.raises(ValueError, match="not one of the scale points"):
        st.gwet_ac(frame, [0, 2])


def test_majority_rule_by_hand():
    frame = ratings(
        [(1, 1, 2), (1, 1, 1), (1, 1, -1),  # two wins of three: win
         (2, 2, 1), (2, 2, 0), (2, 2, -1),  # no majority: tie
         (3, 3, -3), (3, 3, -2), (3, 3, 0),  # loss
         (4, 4, 1), (4, 4, 1), (4, 4, -1), (4, 4, -2)]  # 2 of 4 is no majority
    )  # fmt: skip
    out = st.pair_outcomes(frame, rule="majority").set_index("comparison_id")
    assert out["outcome"].to_dict() == {1: 1, 2: 0, 3: -1, 4: 0}
    assert out.loc[4, "n_ratings"] == 4
    strict = st.pair_outcomes(frame, rule="majority", threshold=2)
    assert strict.set_index("comparison_id")["outcome"].to_dict() == {
        1: 0, 2: 0, 3: -1, 4: 0
    }  # fmt: skip


def test_median_and_mean_rules_by_hand():
    frame = ratings(
        [(1, 1, 3), (1, 1, -1), (1, 1, -2),
         (2, 2, 1), (2, 2, 2),
         (3, 3, 3), (3, 3, 3), (3, 3, -3)]
    )  # fmt: skip
    median = st.pair_outcomes(frame, rule="median").set_index("comparison_id")
    assert median["value"].to_dict() == {1: -1, 2: 1.5, 3: 3}
    assert median["outcome"].to_dict() == {1: -1, 2: 1, 3: 1}
    median2 = st.pair_outcomes(frame, rule="median", threshold=2)
    assert median2["outcome"].tolist() == [0, 0, 1]
    mean = st.pair_outcomes(frame, rule="mean").set_index("comparison_id")
    assert mean["value"].to_dict() == pytest.approx({1: 0.0, 2: 1.5, 3: 1.0})
    assert mean["outcome"].to_dict() == {1: 0, 2: 1, 3: 1}
    assert st.pair_outcomes(frame, rule="mean", threshold=2)["outcome"].tolist() == [
        0, 0, 0
    ]  # fmt: skip


def test_per_rating_rule_and_shares_by_hand():
    frame = ratings([(1, 1, 3), (1, 1, -1), (1, 1, 0), (2, 2, 1), (2, 2, 1)])
    out = st.pair_outcomes(frame, rule="rating")
    assert out["outcome"].tolist() == [1, -1, 0, 1, 1]
    shares = st.shares(out["outcome"])
    assert (shares["win"], shares["tie"], shares["loss"]) == (0.6, 0.2, 0.2)
    assert shares["win_no_ties"] == 0.75
    with pytest.raises(ValueError, match="unknown aggregation"):
        st.pair_outcomes(frame, rule="plurality")


def test_quintile_rule_cuts_five_equal_bins_and_reports_edges():
    words = pd.Series([50, 10, 40, 20, 30, 100, 90, 80, 70, 60])
    bins, edges = st.word_quintiles(words)
    assert bins.tolist() == [3, 1, 2, 1, 2, 5, 5, 4, 4, 3]
    assert edges == [
        {"quintile": 1, "min_words": 10, "max_words": 20, "n": 2},
        {"quintile": 2, "min_words": 30, "max_words": 40, "n": 2},
        {"quintile": 3, "min_words": 50, "max_words": 60, "n": 2},
        {"quintile": 4, "min_words": 70, "max_words": 80, "n": 2},
        {"quintile": 5, "min_words": 90, "max_words": 100, "n": 2},
    ]
    # Seven pairs: bin sizes differ by at most one; equal counts keep their order.
    bins, _ = st.word_quintiles(pd.Series([5, 5, 5, 5, 5, 5, 5]))
    assert bins.tolist() == [1, 1, 2, 3, 3, 4, 5]


def test_a_prompt_in_two_categories_counts_in_both():
    outcomes = pd.DataFrame(
        {
            "prompt_id": [1, 2, 3],
            "outcome": [1, -1, 0],
            "categories": [["dialogue", "recommendations"], ["dialogue"],
                           ["recommendations"]],
        }
    )  # fmt: skip
    table = st.group_shares(
        st.explode_categories(outcomes), "category", interval="wilson"
    ).set_index("group")
    assert table.loc["dialogue", "n"] == 2
    assert table.loc["dialogue", "win"] == 0.5
    assert table.loc["recommendations", "n"] == 2
    assert table.loc["recommendations", "tie"] == 0.5


def test_breakdowns_by_turns_and_collection_method():
    outcomes = pd.DataFrame(
        {
            "prompt_id": [1, 2, 3, 4, 5],
            "outcome": [1, 1, -1, 0, 1],
            "categories": [["dialogue"]] * 5,
            "num_turns": [1, 1, 2, 3, 2],
            "word_count": [10, 20, 30, 40, 50],
            "collection_method": ["", "", "chatgpt", "chatgpt", "alternating"],
        }
    )
    parts = st.breakdowns(outcomes, resamples=50, seed=1)
    turns = parts["turns"].set_index("group")
    assert turns.loc[1, "win"] == 1.0
    assert turns.loc[2, "n"] == 2
    kinds = parts["turn_kind"].set_index("group")
    assert kinds.loc["multi-turn", "n"] == 3
    methods = parts["collection_method"].set_index("group")
    assert set(methods.index) == {"chatgpt", "alternating"}
    assert methods.loc["chatgpt", "loss"] == 0.5
    assert [e["n"] for e in parts["quintile_edges"]] == [1, 1, 1, 1, 1]
    assert st.prompt_counts_table(outcomes) == {
        "prompts": 5, "single_turn": 2, "multi_turn": 3
    }  # fmt: skip


def test_wilson_interval_known_value():
    low, high = st.wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


@pytest.mark.parametrize("n", [1, 3, 10, 19, 1000])
def test_wilson_bounds_are_exactly_0_and_1_at_the_ends(n):
    """Wilson's lower bound at no successes is 0 (the formula's centre - half left
    2.8e-17 in a report), and the upper bound at all successes is 1."""
    assert st.wilson(0, n)[0] == 0.0
    assert st.wilson(n, n)[1] == 1.0
    assert 0.0 < st.wilson(0, n)[1] < 1.0
    assert 0.0 < st.wilson(n, n)[0] < 1.0


def test_bootstrap_matches_naive_prompt_resampling():
    rng = np.random.default_rng(3)
    n = 300
    frame = pd.DataFrame(
        {"prompt_id": np.repeat(np.arange(n), 3), "outcome": rng.integers(-1, 2, 3 * n)}
    )
    fast = st.bootstrap_shares(frame, resamples=4000, seed=5)
    counts = st.intervals.prompt_counts(frame)
    draws = rng.integers(0, n, size=(4000, n))
    totals = counts[draws].sum(axis=1)
    naive = np.percentile(totals[:, 2] / totals.sum(axis=1), [2.5, 97.5])
    assert fast["win"] == pytest.approx(tuple(naive), abs=0.01)


def test_percent_agreement_with_and_without_ties():
    frame = pd.DataFrame(
        {
            "unit": [1, 1, 1, 2, 2],
            "rater": ["a", "b", "c", "a", "b"],
            "value": [1, 1, 0, -1, 1],
        }
    )
    result = st.percent_agreement(frame)
    # unit 1: pairs (1,1) agree, (1,0) x2 disagree; unit 2: one disagreeing pair.
    assert result["with_ties"] == {"value": 0.25, "n": 4}
    # Without ties: unit 1 keeps (1,1), unit 2 keeps (-1,1).
    assert result["without_ties"] == {"value": 0.5, "n": 2}


def test_cohen_kappa_only_for_annotators_sharing_enough_pairs():
    rng = np.random.default_rng(0)
    values = rng.integers(-1, 2, 30)
    rows = [(u, "a", v) for u, v in enumerate(values)]
    rows += [(u, "b", v if u % 3 else -v) for u, v in enumerate(values)]
    rows += [(u, "c", 0) for u in range(5)]
    table = st.cohen_kappa_pairs(
        pd.DataFrame(rows, columns=["unit", "rater", "value"]), [-1, 0, 1]
    )
    assert table[["rater_a", "rater_b"]].values.tolist() == [["a", "b"]]
    a, b = values, np.where(np.arange(30) % 3, values, -values)
    po = np.mean(a == b)
    pe = sum(np.mean(a == k) * np.mean(b == k) for k in (-1, 0, 1))
    assert table.loc[0, "kappa"] == pytest.approx((po - pe) / (1 - pe))
    assert table.loc[0, "n"] == 30


def test_position_bias_and_annotator_table():
    frame = pd.DataFrame(
        {
            "annotator": ["a", "a", "a", "b", "b", "b"],
            "comparison_id": [1, 2, 3, 1, 2, 3],
            "choice": [3, 1, 0, -1, 2, 3],
            "candidate_on_left": [True, False, True, True, False, True],
            "seconds": [10.0, 20.0, 30.0, 5.0, None, 7.0],
        }
    )
    frame["score"] = np.where(
        frame["candidate_on_left"], frame["choice"], -frame["choice"]
    )
    frame["outcome"] = st.outcome_of(frame["score"])
    bias = st.position_bias(frame)
    assert bias["left"] == pytest.approx(4 / 6)
    assert bias["left_of_decided"] == pytest.approx(4 / 5)
    assert (bias["n"], bias["n_decided"]) == (6, 5)  # the share's own n
    table = st.annotator_table(frame, scale_max=3).set_index("annotator")
    assert table.loc["a", "median_seconds"] == 20.0
    assert table.loc["b", "median_seconds"] == 6.0
    assert table.loc["a", "tie_share"] == pytest.approx(1 / 3)
    assert table.loc["b", "extreme_share"] == pytest.approx(1 / 3)
    # a's outcomes 1,-1,0 vs b's -1,-1,1: they agree on comparison 2 only.
    assert table.loc["a", "agreement"] == pytest.approx(1 / 3)
    assert table.loc["a", "n_pairs"] == 3


def test_bradley_terry_equals_evalica_and_ranks_best_first():
    outcomes = pd.DataFrame(
        {
            "candidate": ["x", "x", "y", "z", "x", "z", "x", "z"],
            "baseline": ["y", "z", "z", "x", "y", "y", "y", "y"],
            "outcome": [1, 1, 1, -1, 0, -1, -1, 1],
            "prompt_id": [1, 2, 3, 4, 5, 6, 7, 8],
        }
    )
    board = st.tournament_fit(outcomes, resamples=50, seed=1).leaderboard
    direct = evalica.bradley_terry(
        ["x", "x", "y", "z", "x", "z", "x", "z"],
        ["y", "z", "z", "x", "y", "y", "y", "y"],
        [evalica.Winner.X, evalica.Winner.X, evalica.Winner.X, evalica.Winner.Y,
         evalica.Winner.Draw, evalica.Winner.Y, evalica.Winner.Y, evalica.Winner.X],
    )  # fmt: skip
    scores = board.set_index("model")["score"]
    assert scores.to_dict() == pytest.approx(direct.scores.to_dict())
    assert board["model"].tolist()[0] == "x"
    assert board["rank"].tolist() == [1, 2, 3]
    assert (board["low"] <= board["score"] + 1e-9).all()
    x = board.set_index("model").loc["x"]
    assert (x["wins"], x["ties"], x["losses"], x["matches"]) == (3, 1, 1, 5)
    matrix = st.win_matrix(outcomes)
    assert matrix.loc["x", "y"] == pytest.approx(0.5)
    assert matrix.loc["x", "z"] == pytest.approx(1.0)
    assert matrix.loc["z", "x"] == pytest.approx(0.0)


def test_rating_pairs_are_every_ordered_pair_of_two_raters_on_a_unit():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "unit": rng.integers(0, 30, 150),
            "rater": [f"r{k}" for k in rng.integers(0, 9, 150)],
            "value": rng.integers(-3, 4, 150),
        }
    )
    pairs, names = st.rating_pairs(frame)
    got = sorted(
        zip(names[pairs["rater_a"]], pairs["value_a"], names[pairs["rater_b"]],
            pairs["value_b"], strict=True)
    )  # fmt: skip
    merged = frame.merge(frame, on="unit", suffixes=("_a", "_b"))
    merged = merged[merged["rater_a"] != merged["rater_b"]]
    expected = sorted(
        zip(merged["rater_a"], merged["value_a"], merged["rater_b"], merged["value_b"],
            strict=True)
    )  # fmt: skip
    assert got == expected
