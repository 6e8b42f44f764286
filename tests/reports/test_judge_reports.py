"""Judges' reports on PostgreSQL: a judge on the small head-to-head evaluation
against hand counts, and the page section, detail page, figure, CSV and API."""

import csv
import io
from itertools import combinations

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations.models import Evaluation
from judges.models import Judge, Judgement
from reports.evaluation_judges import judge_reports
from reports.evaluation_reports import evaluation_report
from reports.report_options import OPTIONS, ReportOptions

from .builders import CATEGORIES, SCORES, head_to_head, tournament

W, T, L = 1, 0, -1
# The judge on the 12 prompts of ``builders.SCORES``: (class as shown, class with
# the sides swapped) from the candidate's view; None: no such judgement.
JUDGED = [
    (W, W), (T, W), (W, W), (W, L), (W, W), (L, T),
    (T, None), (W, None), (T, None), (L, "unparseable"), (W, None),
    ("failed", "pending"),
]  # fmt: skip
# MT-Bench's rule by hand: inconsistent orders are a tie; p11 has no verdict.
JUDGE = [W, T, W, T, W, T, T, W, T, L, W]
# The human majority of each prompt's three ratings (threshold 1).
MAJORITY = [W, W, W, W, W, W, T, T, T, T, L, L]


def _outcome(score):
    return W if score >= 1 else L if score <= -1 else T


def _store(evaluation, judge, judged=JUDGED):
    """The judge's judgements; the order as shown has the candidate on the left."""
    comparisons = list(evaluation.comparisons.order_by("prompt__external_id"))
    for comparison, orders in zip(comparisons, judged, strict=True):
        for swapped, value in zip((False, True), orders, strict=True):
            if value is None:
                continue
            left = not swapped
            fields = {"status": value}
            if isinstance(value, int):
                choice = value if left else -value
                fields = {"status": "done", "choice": choice, "score": value}
            Judgement.objects.create(
                judge=judge, comparison=comparison, swapped=swapped,
                candidate_on_left=left, scale="seven", **fields,
            )  # fmt: skip


@pytest.fixture
def judged(db):
    evaluation = head_to_head()
    judge = Judge.objects.create(name="judge-x", description="A test judge.")
    _store(evaluation, judge)
    return evaluation, judge


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


def naive(pairs):
    """Percent agreement with and without ties and Cohen's kappa, by plain loops."""
    n = len(pairs)
    agree = sum(a == b for a, b in pairs)
    decided = [(a, b) for a, b in pairs if a != T and b != T]
    pe = sum(
        sum(a == k for a, _ in pairs) * sum(b == k for _, b in pairs) for k in (W, T, L)
    ) / (n * n)
    po = agree / n
    return {
        "with_ties": po,
        "without_ties": sum(a == b for a, b in decided) / len(decided),
        "kappa": (po - pe) / (1 - pe),
    }


def test_agreement_with_the_majority_equals_a_hand_count(judged):
    evaluation, _ = judged
    (report,) = judge_reports(evaluation, ReportOptions(resamples=200)).judges
    majority = report.majority
    # 11 pairs; agreeing p0, p2, p4 (win) and p6, p8 (tie): 5 of 11.
    assert majority.n == 11
    assert majority.with_ties == pytest.approx(5 / 11)
    # Both decided: p0, p2, p4 agree; p10 (judge win, humans loss) does not.
    assert majority.without_ties == pytest.approx(3 / 4)
    assert majority.n_without_ties == 4
    # Margins: judge (win, tie, loss) 5, 5, 1; humans 6, 4, 1.
    pe = (5 * 6 + 5 * 4 + 1 * 1) / 121
    assert majority.kappa == pytest.approx((5 / 11 - pe) / (1 - pe)) == 4 / 70
    assert majority.kappa == pytest.approx(
        naive(list(zip(JUDGE, MAJORITY, strict=False)))["kappa"]
    )
    for name in ("with_ties", "without_ties", "kappa"):
        low, high = getattr(majority, f"{name}_interval")
        assert low <= getattr(majority, name) <= high
    assert report.confusion.counts == ((3, 1, 1), (3, 2, 0), (0, 1, 0))
    assert report.confusion.n == 11


def test_counts_consistency_position_bias_and_ties_by_hand(judged):
    evaluation, _ = judged
    reports = judge_reports(evaluation, ReportOptions(resamples=0))
    (report,) = reports.judges
    counts = report.counts
    assert (counts.judgements, counts.done, counts.unparseable, counts.failed,
            counts.pending) == (20, 17, 1, 1, 1)  # fmt: skip
    assert (counts.pairs_judged, counts.both_orders, counts.compared) == (11, 6, 11)
    # p1 (tie, win): Model B in both orders' display -> second; p3 (win, loss): A
    # twice -> first; p5 (loss, tie) -> second. p0, p2, p4 consistent.
    consistency = report.consistency
    assert (consistency.n_both, consistency.consistent) == (6, 3)
    assert consistency.consistency == pytest.approx(3 / 6)
    assert (consistency.favours_first, consistency.favours_second) == (1, 2)
    assert consistency.first_share == pytest.approx(1 / 3)
    # Parsed choices as shown: seven prefer A, six B, four are ties.
    assert report.position_bias.n == 17
    assert report.position_bias.left_of_decided == pytest.approx(7 / 13)
    # The page and the CSV give that share its own n, 13 (they gave 17; a new-user
    # pass).
    assert report.position_bias.n_decided == 13
    ties = report.ties
    assert ties.judge == pytest.approx(5 / 11)
    assert ties.human_ratings == pytest.approx(9 / 36)  # zeros among SCORES
    assert ties.human_majority == pytest.approx(4 / 12)
    # The judge's own shares: wins p0, p2, p4, p7, p10.
    assert report.outcomes.win == pytest.approx(5 / 11)
    assert report.outcomes.n == 11


def test_agreement_with_annotators_and_between_annotators_by_hand(judged):
    evaluation, _ = judged
    reports = judge_reports(evaluation, ReportOptions(resamples=0))
    (report,) = reports.judges
    with_ratings = [(JUDGE[k], _outcome(score)) for k in range(11)
                    for score in SCORES[k]]  # fmt: skip
    expected = naive(with_ratings)
    assert report.annotators.n == 33
    for name, value in expected.items():
        assert getattr(report.annotators, name) == pytest.approx(value)
    # Human vs human: every two annotators of a pair, counted each way.
    both_ways = [
        pair
        for triple in SCORES
        for a, b in combinations(map(_outcome, triple), 2)
        for pair in ((a, b), (b, a))
    ]
    human = reports.human_human
    assert human.n == 36
    for name, value in naive(both_ways).items():
        assert getattr(human, name) == pytest.approx(value)
    # The same figure as the human report's percent agreement with ties.
    percent = evaluation_report(evaluation, ReportOptions(resamples=0)).agreement
    assert human.with_ties == pytest.approx(percent.percent.with_ties.value)
    assert human.n == percent.percent.with_ties.n


def test_breakdowns_follow_the_human_reports_rows(judged):
    evaluation, _ = judged
    reports = judge_reports(evaluation, ReportOptions(resamples=0))
    (report,) = reports.judges
    turns = {row.group: row for row in report.majority_breakdowns.turns}
    # Two-turn prompts judged: p3 (tie vs win), p7 (win vs tie).
    assert turns[2].n == 2
    assert turns[2].with_ties == 0
    assert turns[1].with_ties == pytest.approx(5 / 9)
    category = {row.group: row for row in report.majority_breakdowns.category}
    factual = [k for k in range(11) if CATEGORIES[k % 3] == CATEGORIES[0]
               or (k % 4 == 3 and CATEGORIES[(k + 1) % 3] == CATEGORIES[0])]  # fmt: skip
    assert category[CATEGORIES[0]].n == len(factual)
    agree = sum(JUDGE[k] == MAJORITY[k] for k in factual) / len(factual)
    assert category[CATEGORIES[0]].with_ties == pytest.approx(agree)
    quintiles = report.majority_breakdowns.quintile
    assert sum(row.n for row in quintiles) == 11
    assert [edge.quintile for edge in reports.quintile_edges] == [1, 2, 3, 4, 5]


def test_human_verdict_is_the_reports_rule(judged):
    """Under the mean rule p1 (1, 1, 0) and p3 (1, 2, -3) are ties, not wins:
    the judge's ties there now agree (7 of 11)."""
    evaluation, _ = judged
    reports = judge_reports(evaluation, ReportOptions(aggregation="mean",
                                                      resamples=0))  # fmt: skip
    assert reports.human_rule == "mean"
    # Said once: the rule's name, then what it is (it read "majority, majority ...").
    assert reports.definitions.human_verdict.startswith(
        "the pair's outcome by the report's rule (mean): outcome of the mean score "
        "of a pair's ratings; tie threshold 1"
    )
    (report,) = reports.judges
    assert report.majority.with_ties == pytest.approx(7 / 11)


def test_an_evaluation_without_judges_costs_one_query_and_has_none(h2h):
    with CaptureQueriesContext(connection) as queries:
        assert judge_reports(h2h, ReportOptions(resamples=0)) is None
    assert len(queries) == 1


def test_cached_until_a_judgement_changes_even_by_update(judged):
    evaluation, judge = judged
    options = ReportOptions(resamples=0)
    first = judge_reports(evaluation, options)
    with CaptureQueriesContext(connection) as queries:
        assert judge_reports(evaluation, options) == first
    assert len(queries) == 2  # the judges' version and the report's version
    # p6: the judge's tie becomes a win (humans: tie); update() keeps updated_at.
    Judgement.objects.filter(
        judge=judge, comparison__prompt__external_id="h2h-p06"
    ).update(choice=2, score=2)
    (changed,) = judge_reports(evaluation, options).judges
    assert changed.majority.with_ties == pytest.approx(4 / 11)


def test_report_page_shows_a_judges_section_linking_to_its_page(
    judged, researcher_client
):
    evaluation, judge = judged
    url = reverse("reports:evaluation", args=[evaluation.pk])
    html = researcher_client.get(url, {"resamples": 20}).content.decode()
    assert 'id="judges"' in html
    assert reverse("reports:judge", args=[evaluation.pk, judge.pk]) in html
    assert f"{5 / 11 * 100:.1f}%" in html  # agreement with the majority
    assert f"{4 / 70:.3f}" in html  # kappa
    assert f"{7 / 13 * 100:.1f}%" in html  # Model A of non-ties


def test_report_page_and_json_unchanged_without_judges(h2h, researcher_client):
    html = researcher_client.get(reverse("reports:evaluation", args=[h2h.pk]),
                                 {"resamples": 20}).content.decode()  # fmt: skip
    assert 'id="judges"' not in html
    body = researcher_client.get(f"/api/reports/{h2h.pk}/", {"resamples": 20}).json()
    assert "judges" not in body
    judges = researcher_client.get(f"/api/reports/{h2h.pk}/judges/").json()
    assert judges["judges"] == []
    # The evaluation as with judges (an object, not its id), so clients read one shape.
    assert judges["evaluation"]["id"] == h2h.pk
    assert judges["evaluation"]["name"] == h2h.name


def test_judge_page_has_breakdowns_confusion_table_and_figure(
    judged, researcher_client
):
    evaluation, judge = judged
    url = reverse("reports:judge", args=[evaluation.pk, judge.pk])
    page = researcher_client.get(url, {"resamples": 20})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="confusion-table"' in html
    assert 'data-section="quintile"' in html
    assert 'id="judge-outcomes"' in html
    for fmt, kind in (("png", "image/png"), ("svg", "image/svg+xml")):
        figure = researcher_client.get(
            reverse("reports:judge-figure", args=[evaluation.pk, judge.pk, fmt])
        )
        assert figure.status_code == 200
        assert figure["Content-Type"] == kind
    other = Judge.objects.create(name="judge-y")
    missing = reverse("reports:judge", args=[evaluation.pk, other.pk])
    assert researcher_client.get(missing).status_code == 404
    bad = reverse("reports:judge-figure", args=[evaluation.pk, judge.pk, "gif"])
    assert researcher_client.get(bad).status_code == 404
    assert researcher_client.get(url, {"threshold": "9"}).status_code == 400


def test_confusion_figure_is_named_after_the_evaluation_and_the_judge(
    judged, researcher_client
):
    """A judge named in punctuation only falls back to its id in the file name."""
    evaluation, judge = judged
    url = reverse("reports:judge-figure", args=[evaluation.pk, judge.pk, "svg"])
    named = researcher_client.get(url, {"resamples": 0})
    assert named.status_code == 200
    assert 'filename="h2h-judge-x-confusion.svg"' in named["Content-Disposition"]
    Judge.objects.filter(pk=judge.pk).update(name="???")
    unnamed = researcher_client.get(url, {"resamples": 0})
    assert unnamed.status_code == 200
    expected = f'filename="h2h-judge-{judge.pk}-confusion.svg"'
    assert expected in unnamed["Content-Disposition"]


def test_judges_csv(judged, researcher_client):
    evaluation, _ = judged
    response = researcher_client.get(
        reverse("reports:judges-csv", args=[evaluation.pk]), {"resamples": 0}
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    found = {(row["judge"], row["section"], row["group"], row["statistic"]): row
             for row in rows}  # fmt: skip
    kappa = found[("judge-x", "majority", "all", "kappa")]
    assert float(kappa["value"]) == pytest.approx(4 / 70)
    cell = found[("judge-x", "confusion", "all", "judge_tie_human_win")]
    assert float(cell["value"]) == 3
    # The judge's own results, as the API gives them (docs/judge-reports.md).
    api = researcher_client.get(
        f"/api/reports/{evaluation.pk}/judges/", {"resamples": 0}
    ).json()
    (own,) = [item["outcomes"] for item in api["judges"]]
    for share in ("win", "tie", "loss"):
        row = found[("judge-x", "outcomes", "all", share)]
        assert float(row["value"]) == pytest.approx(own[share])
        assert float(row["n"]) == own["n"]
    assert float(found[("judge-x", "outcomes", "all", "win")]["value"]) == (
        pytest.approx(5 / 11)
    )


def test_judges_csv_writes_counts_as_integers(judged, researcher_client):
    """n and n_prompts read "11", not "11.0", as in report.csv."""
    evaluation, _ = judged
    response = researcher_client.get(
        reverse("reports:judges-csv", args=[evaluation.pk]), {"resamples": 0}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    majority = next(row for row in rows if row["section"] == "majority")
    assert majority["n"].isdigit()
    assert majority["n_prompts"].isdigit()
    for row in rows:
        for column in ("n", "n_prompts"):
            assert row[column] == "" or row[column].isdigit(), (column, row)


def test_api_returns_every_judge_with_the_reports_options(judged, researcher_client):
    evaluation, judge = judged
    body = researcher_client.get(
        f"/api/reports/{evaluation.pk}/judges/", {"resamples": 50, "seed": 2}
    ).json()
    assert body["options"]["seed"] == 2
    (item,) = body["judges"]
    assert item["judge"]["id"] == judge.pk
    assert item["majority"]["with_ties"] == pytest.approx(5 / 11)
    assert item["confusion"]["counts"] == [[3, 1, 1], [3, 2, 0], [0, 1, 0]]
    assert "seed 2" in body["definitions"]["interval"]
    assert (
        researcher_client.get(
            f"/api/reports/{evaluation.pk}/judges/", {"resamples": "x"}
        ).status_code
        == 400
    )
    researcher_client.logout()
    assert researcher_client.get(
        f"/api/reports/{evaluation.pk}/judges/"
    ).status_code in (401, 403)


def test_api_refuses_a_single_response_evaluation(db, researcher_client):
    from tests.factories import EvaluationFactory

    single = EvaluationFactory(
        kind=Evaluation.Kind.SINGLE, scale="likert", baseline=None
    )
    response = researcher_client.get(f"/api/reports/{single.pk}/judges/")
    assert response.status_code == 400


def test_openapi_documents_the_judges_endpoint(researcher_client):
    schema = yaml.safe_load(researcher_client.get("/api/schema/").content)
    operation = schema["paths"]["/api/reports/{id}/judges/"]["get"]
    assert operation["operationId"] == "report_judges_retrieve"
    names = {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert names == {option.name for option in OPTIONS} | {"format"}


def test_a_judge_without_a_parsed_judgement_is_counted_not_guessed(db):
    evaluation = head_to_head()
    judge = Judge.objects.create(name="judge-silent")
    _store(evaluation, judge, [("unparseable", "failed"), *[(None, None)] * 11])
    (report,) = judge_reports(evaluation, ReportOptions(resamples=10)).judges
    assert (report.counts.unparseable, report.counts.failed) == (1, 1)
    assert report.counts.pairs_judged == report.majority.n == 0
    assert report.majority.with_ties is None
    assert report.majority.kappa is None
    assert report.outcomes is None
    assert report.confusion.n == 0


def test_a_judges_own_leaderboard_takes_at_most_2000_resamples(db):
    """Fitted in the web request: 100,000 resamples held a worker past its timeout."""
    evaluation = tournament()
    judge = Judge.objects.create(name="judge-t")
    for comparison in evaluation.comparisons.all():
        Judgement.objects.create(
            judge=judge, comparison=comparison, status="done", choice=1, score=1,
            candidate_on_left=True, scale="three",
        )  # fmt: skip
    for asked, ran in ((20, 20), (50_000, 2000)):
        options = ReportOptions(aggregation="rating", resamples=asked)
        reports = judge_reports(evaluation, options, use_cache=False)
        fitted = reports.judges[0].tournament
        assert f"{ran} resamples, seed 0" in fitted.method


def test_the_judges_own_quintiles_are_the_human_reports(judged):
    """One judge missed a pair: its own table cut the quintiles afresh over the 11
    pairs it judged, so "quintile 4" was other prompts than in the agreement table
    above it on the same page (a new-user pass)."""
    evaluation, _ = judged
    reports = judge_reports(evaluation, ReportOptions(resamples=0))
    (report,) = reports.judges
    assert report.quintile_edges == reports.quintile_edges
    human = evaluation_report(evaluation, ReportOptions(resamples=0))
    assert reports.quintile_edges == human.quintile_edges
    by_quintile = {row.group: row.n for row in report.majority_breakdowns.quintile}
    own = {row.group: row.n for row in report.breakdowns.quintile}
    assert own == by_quintile  # the same 11 judged pairs in the same bins


def test_a_word_count_falls_in_the_first_quintile_that_reaches_it():
    import pandas as pd

    from reports import statistics as st

    edges = [{"quintile": k, "min_words": lo, "max_words": hi, "n": 1}
             for k, (lo, hi) in enumerate([(1, 5), (5, 9), (12, 20), (21, 30), (31, 40)], 1)]  # fmt: skip
    counts = pd.Series([0, 5, 6, 11, 12, 30, 31, 99])
    assert list(st.quintile_by_edges(counts, edges)) == [1, 1, 2, 3, 3, 4, 5, 5]


def test_judgements_not_done_are_called_not_judged(judged, researcher_client):
    """A cancelled run's leftovers read "pending" for ever (a new-user pass)."""
    evaluation, _ = judged
    page = researcher_client.get(
        reverse("reports:evaluation", args=[evaluation.pk]), {"resamples": 20}
    ).content.decode()
    assert "Unparseable · failed · not judged" in page
    assert "failed · pending" not in page


def test_a_judges_unbeaten_models_on_its_own_leaderboard_are_a_warning(
    db, researcher_client
):
    """A judge of few pairs: models that won or lost every match have no finite
    score, and the page showed 2.2e8 outside its own interval without a word."""
    evaluation = tournament()
    judge = Judge.objects.create(name="judge-few")
    first = evaluation.comparisons.order_by("id").first()
    Judgement.objects.create(
        judge=judge, comparison=first, status="done", choice=1, score=1,
        candidate_on_left=True, scale="three",
    )  # fmt: skip
    reports = judge_reports(
        evaluation, ReportOptions(aggregation="rating", resamples=20), use_cache=False
    )
    (warning,) = reports.judges[0].warnings
    assert warning.code == "not_estimable"
    page = researcher_client.get(
        reverse("reports:judge", args=[evaluation.pk, judge.pk]), {"resamples": 20}
    ).content.decode()
    assert 'data-code="not_estimable"' in page
