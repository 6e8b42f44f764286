"""Judge runs end to end in one process: eager Celery tasks against the stub server."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.utils import timezone

from annotations import roles
from annotations.models import Rating
from generations.models import ChatModel
from generations.tasks import TIME_LIMIT
from judges import prompting
from judges.models import Judge, Judgement, JudgeRun
from judges.selectors import run_progress
from judges.services import execution, rows, runs, templates
from judges.tasks import judgement_judge
from tests.conftest import make_user
from tests.factories import ChatModelFactory, EvaluationFactory
from tests.generations.conftest import stub_chat_model

from .conftest import build_evaluation, prefers_candidate

pytestmark = pytest.mark.django_db


def _start(callbacks, **kwargs):
    with callbacks(execute=True):
        run, queued, _ = runs.run_start(**kwargs)
    run.refresh_from_db()
    return run, queued


def test_both_orders_judge_each_pair_twice_with_the_sides_swapped(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    run, queued = _start(
        django_capture_on_commit_callbacks,
        evaluation=evaluation,
        judge=json_judge,
        both_orders=True,
    )
    assert queued == 6
    assert run.status == JudgeRun.Status.FINISHED
    assert run.finished_at is not None
    judgements = list(Judgement.objects.filter(run=run))
    assert len(judgements) == 6
    for comparison in evaluation.comparisons.all():
        shown, swapped = (j for j in judgements if j.comparison_id == comparison.pk)
        assert shown.candidate_on_left is prompting.candidate_first(comparison.pk)
        assert swapped.candidate_on_left is not shown.candidate_on_left
    for judgement in judgements:
        assert judgement.status == Judgement.Status.DONE
        # As shown: "better" for whichever side the candidate was on.
        assert judgement.choice == (2 if judgement.candidate_on_left else -2)
        assert judgement.score == 2
        assert judgement.reply.startswith('{"verdict": ')
        assert judgement.template == json_judge.template
        assert judgement.request["template"] == {
            "name": "mt-bench-pairwise",
            "version": 1,
            "verdict_format": "json",
        }
        assert judgement.request["response_format"]["json_schema"]["schema"][
            "properties"
        ]["verdict"]["enum"] == ["A>>>", "A>>", "A>", "C", "B>", "B>>", "B>>>"]
        assert judgement.request["messages"][0]["role"] == "system"
        assert (judgement.prompt_tokens, judgement.completion_tokens) > (0, 0)
        assert judgement.backend_model_id == "stub-model"
        assert judgement.attempts == 1
    # The exact request went out: the response_format reached the server.
    assert all("response_format" in body for body in stub_server.state.bodies)
    assert len(stub_server.state.bodies) == 6
    # Both candidate-first and candidate-second orders were shown to the judge.
    assert {j.candidate_on_left for j in judgements} == {True, False}
    assert Rating.objects.count() == 0


def test_unparseable_replies_are_kept_and_counted_never_guessed(
    stub_server,
    eager_celery,
    evaluation,
    text_judge,
    django_capture_on_commit_callbacks,
):
    replies = iter(["I like both.", "[[A>>]] no wait [[B>]]", "Fine. [[B>>>]]"])
    stub_server.state.reply = lambda body: next(replies)
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=text_judge
    )
    assert run.status == JudgeRun.Status.FINISHED
    by_reply = {j.reply: j for j in Judgement.objects.filter(run=run)}
    assert set(by_reply) == {"I like both.", "[[A>>]] no wait [[B>]]", "Fine. [[B>>>]]"}
    for reply in ("I like both.", "[[A>>]] no wait [[B>]]"):
        judgement = by_reply[reply]
        assert judgement.status == Judgement.Status.UNPARSEABLE
        assert (judgement.choice, judgement.score) == (None, None)
        assert judgement.finished_at is not None
    done = by_reply["Fine. [[B>>>]]"]
    assert (done.status, done.choice) == ("done", -3)
    assert done.score == (-3 if done.candidate_on_left else 3)
    assert "response_format" not in stub_server.state.bodies[0]
    assert (
        "[[A>>>]]: A is much better"
        in stub_server.state.bodies[0]["messages"][-1]["content"]
    )
    # Resuming keeps unparseable replies: they are outcomes, not errors.
    before = stub_server.state.requests
    _, queued = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=text_judge
    )
    assert queued == 0
    assert stub_server.state.requests == before


def test_transient_errors_are_retried_until_a_verdict(
    stub_server,
    eager_celery,
    json_judge,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.EVALSITE_GENERATION_BACKOFF = 0.01
    stub_server.state.reply = prefers_candidate
    stub_server.state.fail_500 = 2
    evaluation = build_evaluation(pairs=1)
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    judgement = Judgement.objects.get(run=run)
    assert (judgement.status, judgement.attempts, judgement.score) == ("done", 3, 2)
    assert judgement.last_error == ""
    assert run.status == "finished"


def test_permanent_errors_fail_and_a_resume_redoes_only_them(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    first = evaluation.comparisons.order_by("id").first()
    first.candidate_generation.text = "BAD-REQUEST"
    first.candidate_generation.save()
    stub_server.state.reply = lambda body: '{"verdict": "C"}'
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    failed = Judgement.objects.get(run=run, comparison=first)
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "unsupported input" in failed.last_error
    assert run.status == "finished"
    assert Judgement.objects.filter(run=run, status="done").count() == 2
    # The latest errors name the pair by its prompt, as the judgements table does.
    progress = run_progress(run=run).as_dict()
    [error] = progress["latest_errors"]
    assert (error["prompt"], error["swapped"]) == (first.prompt.external_id, False)
    page = Client()
    page.force_login(make_user("judge-admin", roles.ADMIN))
    html = page.get(f"/judges/runs/{run.pk}/").content.decode()
    assert f"<strong>prompt {first.prompt.external_id}</strong> (failed)" in html

    first.candidate_generation.text = "Now fine"
    first.candidate_generation.save()
    before = stub_server.state.requests
    run, queued = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert queued == 1
    assert stub_server.state.requests == before + 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.choice) == ("done", 2, 0)
    assert run.status == "finished"


def test_a_judging_prompt_over_the_context_limit_fails_saying_so(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    """Counted as a generation's prompt is (a new-user pass: over-long judging
    prompts went to the server and came back done)."""
    chat_model = json_judge.chat_model
    ChatModel.objects.filter(pk=chat_model.pk).update(
        limits=ChatModel.Limits.CUSTOM, context_limit=20, generation_limit=10
    )
    stub_server.state.reply = lambda body: '{"verdict": "C"}'
    before = stub_server.state.requests
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    judgements = Judgement.objects.filter(run=run)
    assert {j.status for j in judgements} == {"failed"}
    for judgement in judgements:
        assert "over stub's context limit of 20" in judgement.last_error
    assert stub_server.state.requests == before  # no judging prompt was sent
    assert run.status == "finished"


def test_a_done_judgement_is_never_judged_again(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    judgement = Judgement.objects.filter(run=run).first()
    before = stub_server.state.requests
    assert judgement_judge.delay(judgement.pk, run.pk).get() == "skipped"
    assert stub_server.state.requests == before
    judgement.refresh_from_db()
    assert judgement.attempts == 1


def test_cancel_skips_queued_tasks_and_resume_finishes_the_run(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    with django_capture_on_commit_callbacks(execute=False) as publish:
        run, queued, _ = runs.run_start(evaluation=evaluation, judge=json_judge)
    assert queued == 3
    run = runs.run_cancel(run=run)
    assert run.status == JudgeRun.Status.CANCELLED
    for callback in publish:  # the tasks reach the worker after the cancel
        callback()
    assert stub_server.state.requests == 0
    assert set(Judgement.objects.filter(run=run).values_list("status", flat=True)) == {
        "pending"
    }
    run.refresh_from_db()
    assert run.status == JudgeRun.Status.CANCELLED

    run, queued = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert queued == 3
    assert run.status == JudgeRun.Status.FINISHED
    assert JudgeRun.objects.count() == 1
    assert Judgement.objects.filter(run=run, status="done").count() == 3


def test_resuming_with_both_orders_adds_only_the_swapped_judgements(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert not run.both_orders
    assert stub_server.state.requests == 3
    run, queued = _start(
        django_capture_on_commit_callbacks,
        evaluation=evaluation,
        judge=json_judge,
        both_orders=True,
    )
    assert queued == 3
    assert run.both_orders
    assert stub_server.state.requests == 6
    assert Judgement.objects.filter(run=run, swapped=True, status="done").count() == 3
    # A later resume without the flag keeps both orders and redoes nothing.
    run, queued = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert (queued, run.both_orders, stub_server.state.requests) == (0, True, 6)


def test_an_evaluation_without_pairs_finishes_at_once(
    stub_server, eager_celery, json_judge, django_capture_on_commit_callbacks
):
    evaluation = build_evaluation(name="empty", pairs=0)
    run, queued = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert (queued, run.status) == (0, JudgeRun.Status.FINISHED)


def test_single_response_evaluations_and_judges_without_a_model_are_refused(
    evaluation, json_judge
):
    single = EvaluationFactory(
        kind="single", scale="likert", candidate=None, baseline=None
    )
    with pytest.raises(ValidationError) as refused:
        runs.run_start(evaluation=single, judge=json_judge)
    assert "no pairs to judge" in refused.value.message_dict["evaluation"][0]
    imported_only = Judge.objects.create(name="gpt-4 votes")
    with pytest.raises(ValidationError) as refused:
        runs.run_start(evaluation=evaluation, judge=imported_only)
    assert "no chat model" in refused.value.message_dict["judge"][0]
    imported_model = ChatModelFactory(name="votes-only")  # responses imported
    offline = Judge.objects.create(
        name="offline", chat_model=imported_model, template=json_judge.template
    )
    with pytest.raises(ValidationError, match="a chat model with no inference server"):
        runs.run_start(evaluation=evaluation, judge=offline)
    assert JudgeRun.objects.count() == 0
    # Nor may such a judge be made through a form (the admin's validates the same).
    unsaved = Judge(name="offline-2", chat_model=imported_model)
    with pytest.raises(ValidationError) as refused:
        unsaved.full_clean()
    assert "chat_model" in refused.value.message_dict


def test_judgements_keep_the_template_version_they_used(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    first, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    v1 = json_judge.template
    v2 = templates.template_revise(
        template=v1,
        system_prompt="Judge tersely.",
        user_template=v1.user_template,
        verdict_format=v1.verdict_format,
    )
    json_judge.refresh_from_db()
    assert json_judge.template == v2
    second, _ = _start(
        django_capture_on_commit_callbacks,
        evaluation=build_evaluation("later"),
        judge=json_judge,
    )
    old = Judgement.objects.filter(run=first)
    new = Judgement.objects.filter(run=second)
    assert {j.template_id for j in old} == {v1.pk}
    assert {j.request["template"]["version"] for j in old} == {1}
    assert {j.template_id for j in new} == {v2.pk}
    assert {j.request["template"]["version"] for j in new} == {2}
    assert {j.request["messages"][0]["content"] for j in new} == {"Judge tersely."}


def test_a_run_keeps_one_template_version(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    """Resuming with both orders after the template changed would judge the swapped
    order with another prompt: refused, naming the judge; nothing is added."""
    stub_server.state.reply = prefers_candidate
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    before = list(Judgement.objects.values_list("id", "template_id", "status"))
    templates.template_revise(
        template=json_judge.template,
        system_prompt="Judge tersely.",
        user_template=json_judge.template.user_template,
        verdict_format=json_judge.template.verdict_format,
    )
    json_judge.refresh_from_db()
    with pytest.raises(ValidationError, match="one template version") as refused:
        runs.run_start(evaluation=evaluation, judge=json_judge, both_orders=True)
    assert "judge" in refused.value.message_dict
    assert list(Judgement.objects.values_list("id", "template_id", "status")) == before
    run.refresh_from_db()
    assert not run.both_orders


def test_top_level_services_refuse_an_outer_transaction(evaluation, json_judge):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        runs.run_start(evaluation=evaluation, judge=json_judge)
    run = JudgeRun.objects.create(evaluation=evaluation, judge=json_judge)
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        runs.run_cancel(run=run)


def test_a_run_keeps_the_chat_model_it_started_with(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    """A new-user pass changed a run's judge to another chat model, or edited its
    model's decoding, and resumed: the rest went out with the new settings. Refused
    naming the judge, as a changed template version is; nothing is added."""
    stub_server.state.reply = prefers_candidate
    first_model = json_judge.chat_model
    run, _ = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert (run.chat_model, run.chat_model_fingerprint) == (
        first_model,
        execution.chat_model_fingerprint(first_model),
    )
    before = list(Judgement.objects.values_list("id", "status"))
    other = stub_chat_model(stub_server, name="another judge model")
    json_judge.chat_model = other
    json_judge.save(update_fields=["chat_model"])
    with pytest.raises(ValidationError) as refused:
        runs.run_start(evaluation=evaluation, judge=json_judge, both_orders=True)
    [message] = refused.value.message_dict["judge"]
    assert message.startswith(
        "the judge's chat model changed since this run started: start a new judge"
    )
    assert "its verdicts come from stub; stub json now uses another judge model" in (
        message
    )

    json_judge.chat_model = first_model
    json_judge.save(update_fields=["chat_model"])
    first_model.temperature = 0.7
    first_model.save(update_fields=["temperature"])
    with pytest.raises(ValidationError, match="stub's request settings were edited"):
        runs.run_start(evaluation=evaluation, judge=json_judge, both_orders=True)
    assert list(Judgement.objects.values_list("id", "status")) == before
    run.refresh_from_db()
    assert (run.chat_model, run.both_orders) == (first_model, False)
    assert stub_server.state.requests == 3


def test_an_edit_while_a_run_waits_fails_its_judgements_unsent(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False) as publish:
        run, _, _ = runs.run_start(evaluation=evaluation, judge=json_judge)
    ChatModel.objects.filter(pk=json_judge.chat_model_id).update(decoding={"top_k": 5})
    for callback in publish:
        callback()
    assert stub_server.state.requests == 0
    judgements = Judgement.objects.filter(run=run)
    assert {(j.status, j.last_error) for j in judgements} == {
        ("failed", execution.MODEL_CHANGED)
    }


def test_a_run_without_verdicts_or_a_record_takes_the_judges_chat_model(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    """Nothing judged yet (its tasks skipped after a cancel), or a run from before
    runs recorded their chat model: a resume goes on with the judge's current one."""
    stub_server.state.reply = prefers_candidate
    with django_capture_on_commit_callbacks(execute=False):
        run, _, _ = runs.run_start(evaluation=evaluation, judge=json_judge)
    runs.run_cancel(run=run)
    other = stub_chat_model(stub_server, name="another judge model")
    Judge.objects.filter(pk=json_judge.pk).update(chat_model=other)
    json_judge.refresh_from_db()
    run, queued = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert (queued, run.status, run.chat_model) == (3, "finished", other)

    JudgeRun.objects.filter(pk=run.pk).update(
        chat_model=None, chat_model_fingerprint=""
    )
    ChatModel.objects.filter(pk=other.pk).update(temperature=0.5)
    run, queued = _start(
        django_capture_on_commit_callbacks,
        evaluation=evaluation,
        judge=json_judge,
        both_orders=True,
    )
    assert (queued, run.status, run.chat_model) == (3, "finished", other)
    assert run.chat_model_fingerprint == execution.chat_model_fingerprint(
        ChatModel.objects.get(pk=other.pk)
    )
    assert Judgement.objects.filter(run=run, status="done").count() == 6


def test_a_judgement_in_flight_is_not_sent_again_unless_its_claim_is_stale(
    stub_server,
    eager_celery,
    evaluation,
    json_judge,
    django_capture_on_commit_callbacks,
):
    """A resume of a running run queued its running judgements again, and a second
    request went out for one being judged (attempts 2). Only a claim older than the
    longest a live worker holds one (its worker died) is taken over."""
    stub_server.state.reply = prefers_candidate
    with django_capture_on_commit_callbacks(execute=False):
        run, _, _ = runs.run_start(evaluation=evaluation, judge=json_judge)
    first, *others = Judgement.objects.filter(run=run).order_by("id")
    now = timezone.now()
    Judgement.objects.filter(pk=first.pk).update(
        status="running", attempts=1, claimed_at=now
    )
    run, queued = _start(
        django_capture_on_commit_callbacks, evaluation=evaluation, judge=json_judge
    )
    assert queued == 3
    assert stub_server.state.requests == 2
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("running", 1)
    assert run.status == "running"
    for judgement in others:
        judgement.refresh_from_db()
        assert (judgement.status, judgement.attempts) == ("done", 1)

    lease = rows.claim_lease(json_judge.chat_model.request_timeout)
    grace = settings.EVALSITE_SERVER_SLOT_GRACE
    assert lease == timedelta(seconds=4 * (10 + 2.0) + grace)
    Judgement.objects.filter(pk=first.pk).update(
        claimed_at=now - lease + timedelta(seconds=5)
    )
    assert judgement_judge.delay(first.pk, run.pk).get() == "in flight"
    Judgement.objects.filter(pk=first.pk).update(
        claimed_at=now - lease - timedelta(seconds=1)
    )
    assert judgement_judge.delay(first.pk, run.pk).get() == "done"
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("done", 2)
    assert stub_server.state.requests == 3
    run.refresh_from_db()
    assert run.status == "finished"


def test_a_claim_lease_never_outlasts_the_tasks_time_limit():
    assert rows.claim_lease(10_000) == timedelta(seconds=TIME_LIMIT)
    assert rows.claim_lease(None) == timedelta(0)


def test_a_delivery_finding_its_judgement_in_flight_looks_again_when_the_claim_ends(
    evaluation, json_judge, django_capture_on_commit_callbacks, monkeypatch
):
    """A worker killed mid-request has its task redelivered at once, while its
    claim is fresh: that delivery is not dropped (the run would never end) but
    looks again once the claim runs out, and then takes the judgement over."""
    with django_capture_on_commit_callbacks(execute=False):
        run, _, _ = runs.run_start(evaluation=evaluation, judge=json_judge)
    first = Judgement.objects.filter(run=run).order_by("id").first()
    lease = rows.claim_lease(json_judge.chat_model.request_timeout)
    Judgement.objects.filter(pk=first.pk).update(
        status="running", attempts=1, claimed_at=timezone.now() - lease / 2
    )
    later = []
    monkeypatch.setattr(
        judgement_judge,
        "apply_async",
        lambda args, countdown: later.append((args, countdown)),
    )
    assert judgement_judge(first.pk, run.pk) == "in flight"  # a worker's delivery
    [(args, countdown)] = later
    assert args == (first.pk, run.pk)
    half = lease.total_seconds() / 2
    assert half - 5 < countdown <= half + 1
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("running", 1)
