"""The demo's real LLMFAO crowd votes: leaderboard equals evalica on the raw CSV."""

import csv
import io
import json
from pathlib import Path

import evalica
import numpy as np
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command

from annotations.models import Evaluation
from reports.evaluation_reports import evaluation_report
from reports.report_options import ReportOptions
from reports.statistics import ranks_of

DATA = Path(settings.BASE_DIR) / "data" / "llmfao"


def raw_csv_votes():
    """The crowd's votes straight from crowd-comparisons.csv, as evalica takes them."""
    names = {}
    for line in (DATA / "models.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            names[row["id"]] = row["name"]
    xs, ys, winners = [], [], []
    with (DATA / "crowd-comparisons.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            x, y = names[int(row["model_x"])], names[int(row["model_y"])]
            xs.append(x)
            ys.append(y)
            if row["winner"] == "tie":
                winners.append(evalica.Winner.Draw)
            else:
                shown = row["left"] if row["winner"] == "left" else row["right"]
                winners.append(evalica.Winner.X if shown == x else evalica.Winner.Y)
    return xs, ys, winners


def raw_csv_scores():
    """Bradley-Terry computed by evalica straight from crowd-comparisons.csv."""
    xs, ys, winners = raw_csv_votes()
    return evalica.bradley_terry(xs, ys, winners).scores, len(xs)


@pytest.mark.skipif(not DATA.exists(), reason="data/llmfao is not in the project")
def test_crowd_leaderboard_equals_evalica_on_the_raw_csv(db, capsys):
    call_command("load_demo", stdout=io.StringIO())
    evaluation = Evaluation.objects.get(name="llmfao-crowd")
    cache.clear()
    report = evaluation_report(evaluation, ReportOptions(aggregation="rating",
                                                         resamples=20))  # fmt: skip
    expected, n_votes = raw_csv_scores()
    board = report.tournament.leaderboard
    assert report.tournament.n_outcomes == n_votes == 8931
    ours = {row.model: row.score for row in board}
    assert set(ours) == set(expected.index)
    for model, score in expected.items():
        assert ours[model] == pytest.approx(score, rel=1e-6, abs=1e-9)
    expected_ranks = ranks_of(expected).to_dict()
    assert {row.model: row.rank for row in board} == expected_ranks

    percent = report.agreement.percent
    assert 0 < percent.without_ties.value <= 1
    assert percent.without_ties.n < percent.with_ties.n
    with capsys.disabled():
        print(
            "\nLLMFAO crowd percent agreement: with ties "
            f"{percent.with_ties.value:.4f} (n={percent.with_ties.n} "
            f"pairs), without ties {percent.without_ties.value:.4f} "
            f"(n={percent.without_ties.n} pairs)"
        )
    kappas = [row.kappa for row in report.agreement.cohen_kappa]
    summary = report.agreement.cohen_kappa_summary
    assert summary.n_pairs == len(kappas) == 168  # pairs sharing >= 20 comparisons
    assert summary.q1 <= summary.median <= summary.q3
    assert all(
        row.kappa_interval[0] is not None for row in report.agreement.cohen_kappa
    )
    with capsys.disabled():
        print(
            f"LLMFAO crowd Cohen's kappa over {summary.n_pairs} annotator pairs: "
            f"median {summary.median:.3f}, quartiles {summary.q1:.3f} to "
            f"{summary.q3:.3f}"
        )


@pytest.mark.skipif(not DATA.exists(), reason="data/llmfao is not in the project")
def test_crowd_davidson_fit_equals_evalicas_newman_on_the_raw_csv(db):
    """Newman's (2023) iteration fits Davidson's model with P(tie) written with 2v
    where Davidson writes nu: nu = 2v; scores equal up to evalica's scale."""
    call_command("load_demo", stdout=io.StringIO())
    evaluation = Evaluation.objects.get(name="llmfao-crowd")
    options = ReportOptions(aggregation="rating", ties="davidson", resamples=50)
    report = evaluation_report(evaluation, options, use_cache=False)
    newman = evalica.newman(*raw_csv_votes(), tolerance=1e-10, limit=1000)
    expected = newman.scores / np.exp(np.log(newman.scores).mean())
    fitted = report.tournament.fitted
    assert fitted.tie_parameter == pytest.approx(2 * newman.v, rel=1e-6)
    assert (fitted.resamples, fitted.n_clusters) == (50, 13)
    ours = {row.model: row.score for row in report.tournament.leaderboard}
    for model, score in expected.items():
        assert ours[model] == pytest.approx(score, rel=1e-6)
    assert len(report.tournament.pairs) == 927
