"""A report's warnings: in the report value, its JSON (API and download), report.csv,
the page, and the figures (no error bar for an unreliable group)."""

import html
import io
import json
import threading
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from django.urls import reverse
from matplotlib.container import ErrorbarContainer

from annotations.models import Rating
from generations.models import Prompt
from reports import figures
from reports.evaluation_reports import evaluation_report
from reports.report_builder import build_report
from reports.report_options import ReportOptions
from reports.report_warnings import CODES, MIN_GROUP_PROMPTS, few_ratings

from .builders import tournament
from .test_properties import EVALUATION, _frame

OPTIONS = ReportOptions(resamples=50)
HEAD_TO_HEAD_CODES = tuple(code for code in CODES if code != "not_estimable")
SHORT_PAIRS = (4, 9, 17)  # comparisons left with two of their three ratings


def _warned_frame() -> pd.DataFrame:
    """40 prompts; three pairs short of a rating; "Yelp" on prompt 0, "yelp " on 1."""
    frame = _frame(5, n_prompts=40)
    short = frame["comparison_id"].isin(SHORT_PAIRS)
    frame = frame[~(short & ~frame.duplicated("comparison_id"))].copy()
    frame["categories"] = [
        ["Yelp"] if c == 0 else ["yelp "] if c == 1 else list(categories)
        for c, categories in zip(frame["comparison_id"], frame["categories"],
                                 strict=True)
    ]  # fmt: skip
    return frame.reset_index(drop=True)


def _by_code(report) -> dict:
    return {warning.code: warning for warning in report.warnings}


def test_each_warning_in_the_report_value():
    frame = _warned_frame()
    report = build_report(frame, EVALUATION, OPTIONS)
    warnings = _by_code(report)
    assert tuple(warnings) == HEAD_TO_HEAD_CODES  # all four, in order

    per_pair = frame.groupby("comparison_id").size()
    few = warnings["few_ratings"]
    assert few.count == int((per_pair < 3).sum()) == len(SHORT_PAIRS)
    assert few.detail == ("2 ratings: 3 pairs",)
    assert "3 of 40 rated pairs" in few.message
    assert "They are included" in few.message
    # They are included indeed: every pair has an outcome.
    assert report.headline.n == len(per_pair)

    rows = [("overall", report.headline)] + [
        (f"{section} {row.group}", row)
        for section, table in report.breakdowns.sections()
        for row in table
    ]
    unreliable = [label for label, row in rows if row.n_prompts < MIN_GROUP_PROMPTS]
    assert all(row.reliable == (row.n_prompts >= 10) for _, row in rows)
    assert report.headline.reliable
    assert "category Yelp" in unreliable
    assert "quintile 1" in unreliable  # 8 pairs in each quintile
    small = warnings["few_prompts"]
    assert small.count == len(unreliable)
    assert [item.split(" (")[0] for item in small.detail] == unreliable

    # One prompt: every bootstrap resample is that prompt, so low == high.
    zero = warnings["zero_width"]
    assert "category Yelp: win" in zero.detail
    assert "category yelp : tie" in zero.detail
    expected = [
        f"{label}: {share}"
        for label, row in rows
        for share in ("win", "tie", "loss", "win_no_ties")
        if row.bounds(share)[0] is not None
        and row.bounds(share)[0] == row.bounds(share)[1]
    ]
    assert list(zero.detail) == expected
    assert zero.count == len(expected)

    variants = warnings["category_variants"]
    assert variants.count == 1
    assert variants.detail == ('"Yelp", "yelp "',)
    assert "not merged" in variants.message
    # Not merged: both spellings stay groups of their own.
    groups = {row.group for row in report.breakdowns.category}
    assert {"Yelp", "yelp "} <= groups


def test_few_ratings_lists_the_counts_that_occur_whatever_n_asks():
    """An evaluation asking for a huge N (SQLite enforces no integer range) once
    made this warning count pairs for every k below N: a report that never ended."""
    frame = _warned_frame()
    huge = replace(EVALUATION, annotators_per_pair=10**12)
    done = threading.Event()
    found = []

    def warn():
        found.append(few_ratings(frame, huge, "majority"))
        done.set()

    threading.Thread(target=warn, daemon=True).start()
    assert done.wait(timeout=10)
    assert found[0].detail == ("2 ratings: 3 pairs", "3 ratings: 37 pairs")
    assert f"fewer than {10**12} ratings" in found[0].message


def test_a_clean_report_has_no_warnings():
    frame = _frame(6, n_prompts=60)
    frame["num_turns"] = 1  # few groups, each of many prompts
    report = build_report(frame, EVALUATION, replace(OPTIONS, resamples=100))
    assert report.warnings == ()
    assert report.to_json()["warnings"] == []


def test_tournament_has_only_the_pair_and_category_warnings():
    frame = _warned_frame()
    summary = replace(EVALUATION, kind="tournament", candidate=None, baseline=None)
    frame["candidate"] = np.where(frame["comparison_id"] % 2, "m1", "m2")
    frame["baseline"] = np.where(frame["comparison_id"] % 2, "m2", "m3")
    report = build_report(frame, summary, ReportOptions(aggregation="rating"))
    warnings = _by_code(report)
    assert tuple(warnings) == ("few_ratings", "category_variants")
    assert "each of their ratings is one outcome" in warnings["few_ratings"].message


def test_a_model_that_lost_every_match_has_no_finite_score_and_says_so():
    frame = _frame(7, n_prompts=30)
    summary = replace(EVALUATION, kind="tournament", candidate=None, baseline=None)
    odd = frame["comparison_id"] % 2 == 1
    # m1 against m2 on even pairs as rated; m3 loses every rating on odd pairs.
    frame["candidate"] = "m1"
    frame["baseline"] = np.where(odd, "m3", "m2")
    frame.loc[odd, "score"] = frame.loc[odd, "score"].abs().clip(lower=1)
    report = build_report(frame, summary, ReportOptions(aggregation="rating"))
    board = {row.model: row for row in report.tournament.leaderboard}
    assert board["m3"].losses == board["m3"].matches > 0
    warning = _by_code(report)["not_estimable"]
    assert warning.detail == ("m3",)
    assert warning.count == 1
    assert "read only its rank" in warning.message
    assert board["m3"].rank == len(board)


def test_a_tournament_where_every_model_wins_and_loses_has_no_such_warning():
    frame = _frame(8, n_prompts=30)
    summary = replace(EVALUATION, kind="tournament", candidate=None, baseline=None)
    frame["candidate"] = np.where(frame["comparison_id"] % 2, "m1", "m2")
    frame["baseline"] = np.where(frame["comparison_id"] % 2, "m2", "m3")
    report = build_report(frame, summary, ReportOptions(aggregation="rating"))
    assert all(
        row.wins + row.ties > 0 and row.losses + row.ties > 0
        for row in report.tournament.leaderboard
    )
    assert "not_estimable" not in _by_code(report)


def _error_bar_xs(ax) -> list[float]:
    xs = []
    for container in ax.containers:
        if isinstance(container, ErrorbarContainer):
            _, _, columns = container.lines
            for collection in columns:
                xs += [float(segment[0][0]) for segment in collection.get_segments()]
    return xs


def test_an_unreliable_group_has_no_error_bar_in_the_figure():
    report = build_report(_warned_frame(), EVALUATION, OPTIONS)
    rows = report.breakdowns.category
    fig = figures.figure(report, "category")
    ax = fig.axes[0]
    xs = np.array(_error_bar_xs(ax))
    labels = [label.get_text() for label in ax.get_xticklabels()]
    for index, row in enumerate(rows):
        near = np.abs(xs - index) < 0.45  # the win, tie and loss bars of the group
        if row.reliable:
            assert near.sum() == 3, row.group
            assert not labels[index].endswith(figures.MARK)
        else:
            assert not near.any(), row.group
            assert labels[index].endswith(figures.MARK)
    # The mark explained once, under the axes (on every label the notes collided).
    assert fig.get_supxlabel() == f"{figures.MARK} {figures.UNRELIABLE}"
    assert any(not row.reliable for row in rows)
    assert any(row.reliable for row in rows)


# On the database: the page, the API and the downloads.


@pytest.fixture
def warned(h2h):
    """The h2h evaluation with two pairs short of a rating and "Yelp" / "yelp"."""
    comparisons = list(h2h.comparisons.order_by("id"))
    for comparison in comparisons[:2]:
        Rating.objects.filter(
            comparison=comparison, annotator__username="ann-a"
        ).delete()
    Prompt.objects.filter(pk=comparisons[2].prompt_id).update(categories=["Yelp"])
    Prompt.objects.filter(pk=comparisons[3].prompt_id).update(categories=["yelp"])
    return h2h


def _get(client, url: str, query: dict) -> bytes:
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content


def test_each_warning_on_the_page_in_the_json_and_in_report_csv(
    client, researcher, warned
):
    client.force_login(researcher)
    report = evaluation_report(warned, OPTIONS)
    warnings = _by_code(report)
    assert tuple(warnings) == HEAD_TO_HEAD_CODES
    assert warnings["few_ratings"].count == 2

    query = {"resamples": 50}
    page = _get(client, reverse("reports:evaluation", args=[warned.pk]), query)
    text = html.unescape(page.decode())
    api = json.loads(_get(client, f"/api/reports/{warned.pk}/", query))
    bodies = [api] + [
        json.loads(_get(client, url, query))
        for url in (
            reverse("reports:download", args=[warned.pk, "report.json"]),
            f"/api/reports/{warned.pk}/report.json",
        )
    ]
    tables = [
        pd.read_csv(io.BytesIO(_get(client, url, query)))
        for url in (
            reverse("reports:download", args=[warned.pk, "report.csv"]),
            f"/api/reports/{warned.pk}/report.csv",
        )
    ]
    table = tables[0]
    assert tables[1].equals(table)
    table_rows = table[table["section"] == "warning"].set_index("group")
    for code, warning in warnings.items():
        assert f'data-code="{code}"' in text
        assert warning.message in text
        for body in bodies:
            found = {item["code"]: item for item in body["warnings"]}
            assert found[code]["message"] == warning.message
            assert found[code]["count"] == warning.count
            assert found[code]["detail"] == list(warning.detail)
        assert table_rows.loc[code, "n"] == warning.count
        assert table_rows.loc[code, "message"] == warning.message
        assert table_rows.loc[code, "detail"] == "; ".join(warning.detail)
    assert "2 of 12 rated pairs have fewer than 3 ratings" in text
    assert '"Yelp", "yelp"' in text

    # Unreliable groups: marked on the page, flagged in the JSON and the CSV.
    unreliable = [row for row in report.breakdowns.category if not row.reliable]
    assert unreliable
    assert text.count('data-unreliable="category"') == len(unreliable)
    assert all(not row["reliable"] for row in api["breakdowns"]["category"])
    categories = table[table["section"] == "category"]
    assert not categories["reliable"].astype(bool).any()
    overall = table[table["section"] == "overall"].iloc[0]
    assert bool(overall["reliable"]) is True  # 12 prompts
    assert 'data-unreliable="overall"' not in text


def test_tournament_page_shows_its_warnings(client, researcher, db):
    arena = tournament()
    Rating.objects.filter(
        comparison=arena.comparisons.order_by("id").first(), annotator__username="t-0"
    ).delete()
    client.force_login(researcher)
    response = client.get(reverse("reports:evaluation", args=[arena.pk]))
    text = html.unescape(response.content.decode())
    report = evaluation_report(arena)
    assert [w.code for w in report.warnings] == ["few_ratings"]
    assert 'data-code="few_ratings"' in text
    assert report.warnings[0].message in text
    assert "1 of 5 rated pairs" in text


def test_clustered_wilson_design_effects_in_the_csv_and_json(client, researcher, h2h):
    client.force_login(researcher)
    query = {"aggregation": "rating", "interval": "wilson", "resamples": 50}
    body = json.loads(_get(client, f"/api/reports/{h2h.pk}/", query))
    design = body["headline"]["wilson_design_effects"]["win"]
    assert design["design_effect"] >= 1
    assert design["n_effective"] == pytest.approx(36 / design["design_effect"])
    url = reverse("reports:download", args=[h2h.pk, "report.csv"])
    table = pd.read_csv(io.BytesIO(_get(client, url, query)))
    overall = table[table["section"] == "overall"].iloc[0]
    assert overall["win_design_effect"] == pytest.approx(design["design_effect"])
    assert overall["win_n_effective"] == pytest.approx(design["n_effective"])
    category = table[table["section"] == "category"]
    assert (category["win_design_effect"] >= 1).all()
    assert "cluster-robust" in body["metadata"]["definitions"]["interval"]


@pytest.mark.parametrize(
    ("options", "warned"),
    [
        (ReportOptions(resamples=1), True),
        (ReportOptions(resamples=99), True),
        (ReportOptions(resamples=100), False),
        (ReportOptions(resamples=0), False),  # no intervals at all: nothing to doubt
        (ReportOptions(resamples=5, interval="wilson"), False),  # no bootstrap
    ],
)
def test_too_few_resamples_are_a_warning(options, warned):
    """A new-user pass read "win 21.1%, 95% interval 15.8-15.8" at one resample."""
    frame = _frame(6, n_prompts=60)
    frame["num_turns"] = 1
    codes = [w.code for w in build_report(frame, EVALUATION, options).warnings]
    assert ("few_resamples" in codes) is warned
