"""The always-valid sequence and the stop state in a head-to-head report."""

from datetime import UTC, datetime

import numpy as np
import pytest
from django.urls import reverse

from annotations.models import Evaluation
from annotations.sequential import current_interval
from reports.evaluation_reports import evaluation_report
from reports.report_options import ReportOptions

OPTIONS = ReportOptions(resamples=50)


def test_report_has_the_sequence_over_pairs_in_completion_order(h2h):
    report = evaluation_report(h2h, OPTIONS)
    # The builder's pairs, rated in order: majority outcomes 6 wins, 4 ties and
    # 2 losses, in that order (tests/reports/builders.py).
    wins = np.array([1.0] * 6 + [0.0] * 6)
    decisive = np.array([1.0] * 6 + [0.0] * 2)
    sequence = report.headline.sequence
    assert (sequence.pairs, sequence.decisive) == (12, 8)
    assert sequence.win == pytest.approx(current_interval(wins))
    assert sequence.win_no_ties == pytest.approx(current_interval(decisive))
    # Wider than the fixed-sample interval, which holds at one look only.
    wilson = report.headline.wilson.win
    assert sequence.win[0] < wilson[0] < wilson[1] < sequence.win[1]
    data = report.to_json()
    assert data["headline"]["sequence"]["pairs"] == 12
    text = data["metadata"]["definitions"]["sequence"]
    assert "Waudby-Smith, I. and Ramdas, A. (2023)" in text
    assert "Valid under continuous monitoring" in text
    assert data["metadata"]["evaluation"]["stopping"] == {
        "rule": "none",
        "width": None,
        "min_pairs": 0,
        "stopped_at": None,
        "pairs": None,
        "reason": "",
    }


def test_with_annotators_left_out_the_page_says_why_there_is_no_sequence(
    client, researcher, h2h
):
    """No pair completes with N ratings once an annotator is left out: the page read
    "over 0 complete pairs ... win 0.0-100.0" (a new-user pass)."""
    report = evaluation_report(h2h, ReportOptions(resamples=50, exclude=("ann-c",)))
    assert report.headline.sequence is None
    assert report.to_json()["headline"]["sequence"] is None
    client.force_login(researcher)
    page = client.get(
        reverse("reports:evaluation", args=[h2h.pk]),
        {"resamples": 50, "exclude": "ann-c"},
    ).content.decode()
    assert "it is not shown with annotators left out" in page
    assert "over 0 complete pairs" not in page


def test_report_states_the_stop(client, researcher, h2h):
    when = datetime(2026, 2, 3, 4, 5, tzinfo=UTC)
    Evaluation.objects.filter(pk=h2h.pk).update(
        stop_rule="width",
        stop_width=0.9,
        stopped_at=when,
        stop_pairs=12,
        stop_reason="Stopped after 12 pairs: narrow enough.",
    )
    stopping = evaluation_report(h2h, OPTIONS).to_json()["metadata"]["evaluation"][
        "stopping"
    ]
    assert stopping["stopped_at"] == when.isoformat()
    assert (stopping["rule"], stopping["width"], stopping["pairs"]) == (
        "width",
        0.9,
        12,
    )
    client.force_login(researcher)
    html = client.get(reverse("reports:evaluation", args=[h2h.pk])).content.decode()
    assert "<strong>Stopped</strong> on 2026-02-03 04:05" in html
    assert "Stopped after 12 pairs: narrow enough." in html
    assert "stopping rule: width (narrower than 0.9)" in html
    api = client.get(reverse("api-report", args=[h2h.pk]))
    assert api.json()["metadata"]["evaluation"]["stopping"]["pairs"] == 12
    assert "sequence" in api.json()["headline"]
