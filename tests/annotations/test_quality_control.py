"""Quality control on the database: the selectors, the pause service and command,
the QC page with its pause and resume buttons, and its JSON API."""

import io

import pytest
from django.core.management import call_command
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from annotations import roles
from annotations.admin import EvaluationForm
from annotations.models import Assignment, PoolMember, QualityTask
from annotations.quality_selectors import quality_inputs, quality_rows
from annotations.services.quality import quality_check_annotator
from tests.conftest import make_user
from tests.factories import AssignmentFactory, ComparisonFactory

from .conftest import build_evaluation
from .quality_support import answer_task, gold_pair, rate

THRESHOLDS = {
    "qc_min_answers": 3,
    "qc_min_agreement": 0.5,
    "qc_min_gold_accuracy": 0.8,
}


@pytest.fixture
def campaign(db):
    """Four pairs; u0 and u1 rate every pair +2, u2 rates each -1.
    u2's agreement: on each pair the others are +, + -> majority +; u2 is -:
    0 / 4 = 0.00 < 0.5. u0's others are + (u1) and - (u2): split, left out.
    Gold pair (expected candidate): u0 answers +2 (right), u2 -2 (wrong):
    u2's gold accuracy 0 / 1 < 0.8. u2 repeats their rating of pair 0 (-1) with +1:
    self-consistency 0 / 1 (no threshold). u2 has 4 + 1 + 1 = 6 answers >= 3."""
    evaluation, comparisons, users = build_evaluation(
        pairs=4, annotators=3, **THRESHOLDS
    )
    u0, u1, u2 = users
    ratings = {}
    for comparison in comparisons:
        rate(comparison, u0, 2, seconds=12)
        rate(comparison, u1, 2, left=False, seconds=20)
        ratings[comparison.pk] = rate(comparison, u2, -1, seconds=3)
    gold = gold_pair(evaluation)
    answer_task(evaluation, u0, 2, gold=gold, seconds=15)
    answer_task(evaluation, u2, -2, gold=gold, seconds=2)
    answer_task(
        evaluation, u2, 1, repeat_of=ratings[comparisons[0].pk], left=False, seconds=4
    )
    return evaluation, comparisons, users


def test_inputs_are_read_in_two_queries(campaign, django_assert_num_queries):
    evaluation, _, (u0, _, u2) = campaign
    with django_assert_num_queries(2):
        inputs = quality_inputs(evaluation=evaluation)
    assert len(inputs.ratings) == 12
    assert [(g.annotator_id, g.score, g.expected) for g in inputs.golds] == [
        (u0.pk, 2, 1),
        (u2.pk, -2, 1),
    ]
    assert [(r.score, r.original_score) for r in inputs.repeats] == [(1, -1)]
    assert inputs.thresholds.min_agreement == 0.5


def test_inputs_of_one_annotator_hold_the_others_ratings_of_their_pairs(campaign):
    """u2 rated every pair: all 12 ratings; a new annotator's pairs: none."""
    evaluation, comparisons, (_, _, u2) = campaign
    assert len(quality_inputs(evaluation=evaluation, annotator_id=u2.pk).ratings) == 12
    newcomer = make_user("newcomer", roles.ANNOTATOR)
    rate(comparisons[0], newcomer, 1)
    inputs = quality_inputs(evaluation=evaluation, annotator_id=newcomer.pk)
    assert len(inputs.ratings) == 4  # pair 0: u0, u1, u2 and the newcomer
    assert inputs.golds == []
    assert inputs.repeats == []


def test_excluded_pairs_are_left_out(campaign):
    evaluation, comparisons, _ = campaign
    comparisons[3].excluded = True
    comparisons[3].save(update_fields=["excluded"])
    assert len(quality_inputs(evaluation=evaluation).ratings) == 9


def test_rows_hold_every_figure_and_warning(campaign, django_assert_max_num_queries):
    evaluation, _, (u0, u1, u2) = campaign
    with django_assert_max_num_queries(4):
        rows = {row.username: row for row in quality_rows(evaluation=evaluation)}
    assert set(rows) == {u0.username, u1.username, u2.username}
    bad = rows[u2.username].quality
    assert (bad.agreement.hits, bad.agreement.count) == (0, 4)
    assert (bad.gold.hits, bad.gold.count) == (0, 1)
    assert (bad.repeats.hits, bad.repeats.count) == (0, 1)
    # Seconds 3, 3, 3, 3, 2, 4 -> median 3. Choices as shown: ratings -1 x4 (B),
    # gold -2 (B), repeat shown swapped: choice -1 (B) -> side bias -1.
    assert bad.median_seconds == 3
    assert bad.side_bias == -1
    assert [w.figure for w in bad.warnings] == ["gold_accuracy", "agreement"]
    good = rows[u0.username].quality
    assert good.agreement.count == 0
    assert good.gold.value == 1
    assert good.warnings == ()
    # u1 rated with the candidate on the right: choice -2, all B.
    assert rows[u1.username].quality.side_bias == -1


def test_check_pauses_an_annotator_who_crosses_a_threshold(campaign):
    evaluation, _, (u0, _, u2) = campaign
    evaluation.qc_pause = True
    evaluation.save(update_fields=["qc_pause"])
    check = quality_check_annotator(evaluation=evaluation, annotator=u2)
    assert check.paused
    member = PoolMember.objects.get(evaluation=evaluation, user=u2)
    assert member.paused_at is not None
    assert member.pause_message == (
        "Paused by quality control: gold accuracy 0.00 is under the minimum of "
        "0.80; agreement with the others 0.00 is under the minimum of 0.50."
    )
    assert not quality_check_annotator(evaluation=evaluation, annotator=u0).paused
    assert PoolMember.objects.get(evaluation=evaluation, user=u0).paused_at is None
    # Already paused: not paused again, the first pause kept.
    again = quality_check_annotator(evaluation=evaluation, annotator=u2)
    assert again.quality.warnings
    assert not again.paused
    assert PoolMember.objects.get(pk=member.pk).paused_at == member.paused_at


def test_check_only_warns_without_qc_pause(campaign):
    evaluation, _, (_, _, u2) = campaign
    check = quality_check_annotator(evaluation=evaluation, annotator=u2)
    assert [w.figure for w in check.quality.warnings] == ["gold_accuracy", "agreement"]
    assert not check.paused
    assert PoolMember.objects.get(evaluation=evaluation, user=u2).paused_at is None


def test_check_waits_for_min_answers(campaign):
    evaluation, _, (_, _, u2) = campaign
    evaluation.qc_pause = True
    evaluation.qc_min_answers = 7  # u2 has 6 answers
    evaluation.save(update_fields=["qc_pause", "qc_min_answers"])
    check = quality_check_annotator(evaluation=evaluation, annotator=u2)
    assert check.quality.answers == 6
    assert check.quality.warnings == ()
    assert not check.paused


def test_command_checks_every_annotator(campaign):
    evaluation, _, (_, _, u2) = campaign
    evaluation.qc_pause = True
    evaluation.save(update_fields=["qc_pause"])
    out = io.StringIO()
    call_command("check_quality", "--evaluation", evaluation.name, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{u2.username}\tpaused\tgold accuracy 0.00")
    assert lines[-1] == "3 annotators checked, 1 with warnings, 1 paused now."
    assert PoolMember.objects.get(evaluation=evaluation, user=u2).paused_at


def test_page_shows_figures_and_highlights_warnings(client, campaign, researcher):
    evaluation, _, (_, _, u2) = campaign
    client.force_login(researcher)
    progress = client.get(f"/evaluations/{evaluation.pk}/progress/")
    assert f'href="/evaluations/{evaluation.pk}/quality/"' in progress.text
    page = client.get(f"/evaluations/{evaluation.pk}/quality/")
    assert page.status_code == 200
    row = page.text.split(f'data-annotator="{u2.username}"')[1].split("</tr>")[0]
    assert 'class="num error" data-figure="agreement"><strong>0.00</strong>' in row
    assert "0/4" in row
    assert 'class="num" data-figure="self_consistency">0.00' in row
    assert "agreement with the others 0.00 is under the minimum of 0.50" in row
    assert "Active" in row
    assert 'value="pause"' not in page.text  # researchers read, admins act


def test_page_says_whose_quota_is_done(client, campaign, researcher):
    """A crowd participant who finished read "Active", as one still rating."""
    evaluation, _, (u0, u1, _) = campaign
    PoolMember.objects.filter(evaluation=evaluation, user=u0).update(
        quota=4, completed_at="2026-12-01T10:30:00Z"
    )
    client.force_login(researcher)
    page = client.get(f"/evaluations/{evaluation.pk}/quality/").text

    def state(user):
        row = page.split(f'data-annotator="{user.username}"')[1].split("</tr>")[0]
        return row.split('class="state">')[1].split("</td>")[0].strip()

    assert state(u0).startswith("Done<br>")
    assert "quota done 2026-12-01" in state(u0)
    assert state(u1) == "Active"


def test_page_is_for_researchers_and_admins(client, campaign, annotator):
    evaluation, _, _ = campaign
    client.force_login(annotator)
    assert client.get(f"/evaluations/{evaluation.pk}/quality/").status_code == 403


def test_admin_pauses_and_resumes_from_the_page(client, campaign, admin_user):
    evaluation, _, (u0, _, _) = campaign
    client.force_login(admin_user)
    url = f"/evaluations/{evaluation.pk}/quality/{u0.pk}/pause/"
    response = client.post(url, {"action": "pause", "message": "Take a break."})
    assert response.status_code == 302
    member = PoolMember.objects.get(evaluation=evaluation, user=u0)
    assert member.paused_at is not None
    assert member.pause_message == "Take a break."
    page = client.get(f"/evaluations/{evaluation.pk}/quality/")
    row = page.text.split(f'data-annotator="{u0.username}"')[1].split("</tr>")[0]
    assert "Paused" in row
    assert "Take a break." in row
    assert 'value="resume"' in row
    client.post(url, {"action": "resume"})
    member.refresh_from_db()
    assert member.paused_at is None
    assert member.pause_message == ""
    assert client.post(url, {"action": "explode"}).status_code == 400
    outsider = make_user("outsider", roles.ANNOTATOR)
    missing = f"/evaluations/{evaluation.pk}/quality/{outsider.pk}/pause/"
    assert client.post(missing, {"action": "pause"}).status_code == 404


def test_researchers_may_not_pause(client, campaign, researcher):
    evaluation, _, (u0, _, _) = campaign
    client.force_login(researcher)
    url = f"/evaluations/{evaluation.pk}/quality/{u0.pk}/pause/"
    assert client.post(url, {"action": "pause"}).status_code == 403
    assert PoolMember.objects.get(evaluation=evaluation, user=u0).paused_at is None


def test_api_answers_the_figures(campaign, researcher, annotator):
    evaluation, _, (_, _, u2) = campaign
    client = APIClient()
    client.force_authenticate(annotator)
    assert client.get(f"/api/evaluations/{evaluation.pk}/quality/").status_code == 403
    client.force_authenticate(researcher)
    body = client.get(f"/api/evaluations/{evaluation.pk}/quality/").json()
    assert body["evaluation"] == evaluation.pk
    assert body["min_answers"] == 3
    row = {r["annotator"]: r for r in body["annotators"]}[u2.username]
    assert row["agreement"] == {"value": 0.0, "hits": 0, "count": 4}
    assert row["gold_accuracy"] == {"value": 0.0, "hits": 0, "count": 1}
    assert row["side_bias"] == -1.0
    assert row["b_answers"] == 6
    assert row["fast_share"] == {"value": None, "hits": 0, "count": 0}
    assert [w["figure"] for w in row["warnings"]] == ["gold_accuracy", "agreement"]
    assert row["warnings"][1]["threshold"] == 0.5
    assert row["in_pool"]
    assert row["paused_at"] is None
    assert client.get("/api/evaluations/999999/quality/").status_code == 404


def test_api_is_in_the_openapi_schema(client, researcher):
    client.force_login(researcher)
    schema = client.get("/api/schema/").content
    assert b"/api/evaluations/{evaluation_id}/quality/" in schema
    assert b"/api/imports/gold-pairs/" in schema


def test_unanswered_tasks_are_not_counted(campaign):
    """A leased and a skipped gold task of u0 add no gold answer: still 1 of 1."""
    evaluation, _, (u0, _, _) = campaign
    for state in (QualityTask.State.LEASED, QualityTask.State.SKIPPED):
        task = answer_task(evaluation, u0, 0, gold=gold_pair(evaluation))
        QualityTask.objects.filter(pk=task.pk).update(
            state=state, choice=None, score=None
        )
    quality = quality_check_annotator(evaluation=evaluation, annotator=u0).quality
    assert (quality.gold.hits, quality.gold.count) == (1, 1)
    assert quality.answers == 5


def test_a_pause_releases_the_annotators_lease(campaign):
    """u2 holds a lease on a fifth pair when the check pauses them: the lease is
    released, so the pair's slot returns to the others."""
    evaluation, _, (_, _, u2) = campaign
    evaluation.qc_pause = True
    evaluation.save(update_fields=["qc_pause"])
    lease = AssignmentFactory(
        comparison=ComparisonFactory(evaluation=evaluation), annotator=u2
    )
    assert quality_check_annotator(evaluation=evaluation, annotator=u2).paused
    lease.refresh_from_db()
    assert lease.state != Assignment.State.LEASED


def test_the_admin_form_refuses_thresholds_that_are_not_shares(campaign):
    evaluation, _, _ = campaign
    data = {
        key: value
        for key, value in model_to_dict(evaluation).items()
        if value is not None
    }
    data["chat_models"] = [model.pk for model in data["chat_models"]]
    data["left_out"] = "{}"
    form = EvaluationForm(
        {**data, "qc_min_agreement": "1.5", "qc_max_side_bias": "-0.1"},
        instance=evaluation,
    )
    assert not form.is_valid()
    assert form.errors["qc_min_agreement"] == ["A share: from 0 to 1."]
    assert form.errors["qc_max_side_bias"] == ["A share: from 0 to 1."]
    assert EvaluationForm(
        {**data, "qc_min_agreement": "0.6"}, instance=evaluation
    ).is_valid()
