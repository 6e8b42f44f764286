"""``manage.py judge``: start or resume a run, create a judge, clear errors."""

import io

import pytest
from django.core.management import CommandError, call_command

from generations.models import ChatModel
from judges.models import Judge, Judgement, JudgeRun
from tests.factories import ChatModelFactory, EvaluationFactory
from tests.generations.conftest import stub_chat_model

from .conftest import prefers_candidate

pytestmark = pytest.mark.django_db


def _judge(*args, **options):
    out = io.StringIO()
    call_command("judge", *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_creates_the_judge_and_waits_for_both_orders(
    stub_server, eager_celery, evaluation, django_capture_on_commit_callbacks
):
    stub_server.state.reply = prefers_candidate
    stub_chat_model(stub_server, name="stub judge model")
    with django_capture_on_commit_callbacks(execute=True):
        out = _judge(
            "--evaluation",
            evaluation.name,
            "--judge",
            "stubby",
            "--chat-model",
            "stub judge model",
            "--both-orders",
        )
    judge = Judge.objects.get(name="stubby")
    assert judge.template.name == "mt-bench-pairwise"
    assert "Judge stubby created (mt-bench-pairwise v1)" in out
    assert "6 judgements queued" in out
    run = JudgeRun.objects.get()
    out = _judge("--evaluation", evaluation.name, "--judge", "stubby", "--wait")
    assert "0 judgements queued" in out
    assert f"Judge run {run.pk} finished: pending 0, running 0, done 6" in out
    assert Judgement.objects.filter(run=run, status="done").count() == 6


def test_a_text_judge_reports_unparseable_replies(
    stub_server, eager_celery, evaluation, django_capture_on_commit_callbacks
):
    stub_server.state.reply = lambda body: "No idea."
    stub_chat_model(stub_server, name="stub judge model")
    with django_capture_on_commit_callbacks(execute=True):
        _judge(
            "--evaluation",
            evaluation.name,
            "--judge",
            "texty",
            "--chat-model",
            "stub judge model",
            "--verdict-format",
            "text",
        )
    assert Judge.objects.get(name="texty").template.verdict_format == "text"
    out = _judge("--evaluation", evaluation.name, "--judge", "texty", "--wait")
    assert "done 0, unparseable 3, failed 0" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--evaluation", "nope", "--judge", "j"], "unknown evaluation: nope"),
        (["--evaluation", "judged", "--judge", "nope"], "unknown judge: nope"),
        (
            ["--evaluation", "judged", "--judge", "n", "--chat-model", "nope"],
            "unknown chat model: nope",
        ),
        (
            ["--evaluation", "judged", "--judge", "n", "--chat-model", "imported"],
            "chat_model: imported has no inference backend",
        ),
        (["--evaluation", "judged", "--judge", "votes"], "votes has no chat model"),
        (["--evaluation", "likert", "--judge", "j"], "has no pairs to judge"),
    ],
)
def test_clear_errors(evaluation, json_judge, args, message):
    Judge.objects.create(name="votes")
    Judge.objects.create(name="j", chat_model=json_judge.chat_model)
    ChatModelFactory(name="imported")
    EvaluationFactory(
        name="likert", kind="single", scale="likert", candidate=None, baseline=None
    )
    with pytest.raises(CommandError, match=message):
        _judge(*args)
    assert JudgeRun.objects.count() == 0


def test_nothing_is_kept_when_a_new_judge_cannot_start(evaluation):
    """A new-user pass: "Judge ... created", then a CommandError for the server that
    does not answer, and the judge stayed."""
    ChatModel.objects.create(
        name="down", backend="openai", base_url="http://127.0.0.1:9/v1", model_id="m"
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"127\.0\.0\.1:9"):
        call_command(
            "judge",
            "--evaluation",
            evaluation.name,
            "--judge",
            "new",
            "--chat-model",
            "down",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert "created" not in out.getvalue()
    assert not Judge.objects.exists()
    assert not JudgeRun.objects.exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ["--chat-model", "other"],
            "--chat-model other: judge stub json exists with stub; use a new judge "
            "name",
        ),
        (
            ["--verdict-format", "text"],
            "--verdict-format text: judge stub json exists with template "
            r"mt-bench-pairwise v1 \(json\); use a new judge name",
        ),
    ],
)
def test_options_that_do_not_match_an_existing_judge_are_refused(
    evaluation, json_judge, options, message
):
    ChatModelFactory(name="other", backend="openai", base_url="http://127.0.0.1:9")
    with pytest.raises(CommandError, match=message):
        _judge("--evaluation", evaluation.name, "--judge", json_judge.name, *options)
    assert not JudgeRun.objects.exists()
    json_judge.refresh_from_db()
    assert json_judge.chat_model.name == "stub"


def test_options_that_match_an_existing_judge_resume_it(
    stub_server,
    eager_celery,
    evaluation,
    text_judge,
    django_capture_on_commit_callbacks,
):
    stub_server.state.reply = prefers_candidate
    with django_capture_on_commit_callbacks(execute=True):
        out = _judge(
            "--evaluation",
            evaluation.name,
            "--judge",
            text_judge.name,
            "--chat-model",
            text_judge.chat_model.name,
            "--verdict-format",
            "text",
        )
    assert "created" not in out
    assert "3 judgements queued" in out
    assert Judgement.objects.filter(status="done").count() == 3
