"""The demo's GPT-4 judge on LLMFAO's crowd evaluation: the judges' report equals a
hand count on the raw CSV files, and the report page shows it."""

import csv
import io
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from annotations.models import Evaluation
from judges.models import Judge
from reports.evaluation_judges import judge_reports
from reports.report_options import ReportOptions

DATA = Path(settings.BASE_DIR) / "data" / "llmfao"
SIDE = {"left": 1, "right": -1, "tie": 0}

pytestmark = pytest.mark.skipif(
    not DATA.exists(), reason="data/llmfao is not in the project"
)


def _names() -> dict[int, str]:
    rows = (json.loads(line) for line in (DATA / "models.jsonl").read_text().split("\n")
            if line.strip())  # fmt: skip
    return {row["id"]: row["name"] for row in rows}


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _candidate_view(row: dict, names: dict[int, str]) -> int:
    """A vote from model x's side (the candidate of the imported pair)."""
    shown = SIDE[row["winner"]]
    return shown if row["left"] == names[int(row["model_x"])] else -shown


def hand_count() -> dict:
    """Straight from the CSV files: crowd majority per pair against GPT-4's vote."""
    names = _names()
    votes = defaultdict(list)
    for row in _rows("crowd-comparisons.csv"):
        votes[row["id"]].append(_candidate_view(row, names))
    majority = {}
    for pair, values in votes.items():
        wins, losses = values.count(1), values.count(-1)
        majority[pair] = (
            1 if 2 * wins > len(values) else -1 if 2 * losses > len(values) else 0
        )
    table = Counter()
    first_shown = decided = 0
    for row in _rows("gpt4-crowd-comparisons.csv"):
        table[(_candidate_view(row, names), majority[row["id"]])] += 1
        decided += row["winner"] != "tie"
        first_shown += row["winner"] == "left"
    n = sum(table.values())
    agree = sum(table[(k, k)] for k in (1, 0, -1))
    decided_cells = [table[(a, b)] for a in (1, -1) for b in (1, -1)]
    judge = {k: sum(table[(k, h)] for h in (1, 0, -1)) for k in (1, 0, -1)}
    human = {k: sum(table[(j, k)] for j in (1, 0, -1)) for k in (1, 0, -1)}
    pe = sum(judge[k] * human[k] for k in (1, 0, -1)) / n**2
    return {
        "n": n,
        "table": table,
        "with_ties": agree / n,
        "without_ties": (table[(1, 1)] + table[(-1, -1)]) / sum(decided_cells),
        "kappa": (agree / n - pe) / (1 - pe),
        "model_a_of_decided": first_shown / decided,
        "decided": decided,
    }


def load_with_gpt4():
    """The demo, which imports GPT-4's votes as the judgements of "GPT-4 (LLMFAO)"."""
    call_command("load_demo", stdout=io.StringIO())
    evaluation = Evaluation.objects.get(name="llmfao-crowd")
    judge = Judge.objects.get(name="GPT-4 (LLMFAO)")
    return evaluation, judge


def test_gpt4_against_the_crowd_equals_a_hand_count_and_shows(
    db, client, researcher, capsys
):
    """One test, so the demo loads once (a few seconds)."""
    evaluation, judge = load_with_gpt4()
    started = time.perf_counter()
    options = ReportOptions(aggregation="rating")
    reports = judge_reports(evaluation, options, own=False)  # the page's section
    seconds = time.perf_counter() - started
    expected = hand_count()
    (report,) = reports.judges
    assert report.judge.name == judge.name
    assert report.counts.pairs_judged == report.counts.compared == expected["n"] == 2139
    assert report.majority.with_ties == pytest.approx(expected["with_ties"])
    assert report.majority.without_ties == pytest.approx(expected["without_ties"])
    assert report.majority.kappa == pytest.approx(expected["kappa"])
    low, high = report.majority.kappa_interval
    assert low < report.majority.kappa < high
    counts = {
        (judged, human): report.confusion.counts[row][column]
        for row, judged in enumerate((1, 0, -1))
        for column, human in enumerate((1, 0, -1))
    }
    assert counts == {key: expected["table"][key] for key in counts}
    bias = report.position_bias.left_of_decided
    assert bias == pytest.approx(expected["model_a_of_decided"])
    assert report.position_bias.n_decided == expected["decided"]
    assert report.consistency.n_both == 0  # one order per pair
    with capsys.disabled():
        m, h = report.majority, reports.human_human
        print(
            f"\nLLMFAO GPT-4 vs crowd majority: agreement {m.with_ties:.4f} "
            f"{m.with_ties_interval}, without ties {m.without_ties:.4f} "
            f"{m.without_ties_interval}, kappa {m.kappa:.4f} {m.kappa_interval}; "
            f"with annotators {report.annotators.with_ties:.4f}, kappa "
            f"{report.annotators.kappa:.4f}; human vs human {h.with_ties:.4f}, "
            f"kappa {h.kappa:.4f}; Model A of non-ties {bias:.4f} (crowd "
            f"{reports.position_bias.left_of_decided:.4f}); ties judge "
            f"{report.ties.judge:.4f}, ratings {report.ties.human_ratings:.4f}, "
            f"majority {report.ties.human_majority:.4f}; built in {seconds:.2f} s "
            "(1,000 resamples)"
        )
    client.force_login(researcher)
    page = client.get(reverse("reports:evaluation", args=[evaluation.pk]),
                      {"resamples": 50})  # fmt: skip
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="judges"' in html
    assert judge.name in html
    assert f"{expected['with_ties'] * 100:.1f}%" in html
    assert f"{expected['kappa']:.3f}" in html
    assert f"{expected['model_a_of_decided'] * 100:.1f}%" in html
    detail = client.get(
        reverse("reports:judge", args=[evaluation.pk, judge.pk]), {"resamples": 20}
    )
    assert detail.status_code == 200
    html = detail.content.decode()
    assert 'id="confusion-table"' in html
    assert 'id="judge-leaderboard"' in html
