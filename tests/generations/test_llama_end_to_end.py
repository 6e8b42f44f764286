"""End to end on the real parts: llama.cpp's server, a Celery worker on Redis, PostgreSQL."""

import time

import httpx
import pytest
from django.db import connection

from annotations import roles
from annotations.models import Comparison, Rating
from annotations.services.answering import answer_submit
from annotations.services.evaluations import evaluation_create
from annotations.services.leasing import assignment_next
from generations import presets
from generations.models import Generation, GenerationJob
from generations.services import chat_models, jobs
from judges.models import Judgement, JudgeRun
from judges.services import runs, templates
from reports.evaluation_judges import judge_reports
from reports.report_options import ReportOptions
from tests.conftest import make_user
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)
from tests.support.llama import LlamaServer, build_tiny_model, vocab_path
from tests.support.worker import Worker, exclusive_broker, redis_broker

from .conftest import free_port

pytestmark = [
    pytest.mark.llama,
    pytest.mark.redis,
    pytest.mark.postgres,
    # One test process for the module: its server and worker start once (.ci/run).
    pytest.mark.xdist_group("llama"),
]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    if vocab_path() is None:
        pytest.skip("Llama 2 vocabulary not cached: run scripts/llama_vocab.py")
    model = build_tiny_model(tmp_path_factory.mktemp("llama") / "tiny.gguf")
    server = LlamaServer(model, free_port(18100, 18150), n_ctx=4096, n_parallel=2)
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def module_worker(django_db_setup, tmp_path_factory):
    """One worker for the module's tests (starting one costs seconds)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL")
    if not redis_broker():
        pytest.skip("needs a Redis CELERY_BROKER_URL")
    log = tmp_path_factory.mktemp("llama-worker") / "worker.log"
    with exclusive_broker():
        # The visibility timeout outlasts every task, as in production (3600 > 900 s).
        worker = Worker(log, concurrency=4, CELERY_VISIBILITY_TIMEOUT="120").start()
        yield worker
        worker.stop()


@pytest.fixture
def worker(module_worker, transactional_db):
    return module_worker


def _server_count(server_url: str, messages: list[dict]) -> int:
    """Tokens of the formatted input, asked of the server directly."""
    prompt = httpx.post(f"{server_url}/apply-template", json={"messages": messages})
    tokens = httpx.post(
        f"{server_url}/tokenize",
        json={"content": prompt.json()["prompt"], "add_special": True},
    )
    return len(tokens.json()["tokens"])


def _wait(job, worker, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == GenerationJob.Status.FINISHED:
            return
        time.sleep(0.5)
    pytest.fail(f"job did not finish\n{worker.log_path.read_text()[-3000:]}")


def _user(text):
    return [{"role": "user", "content": text}]


def test_job_on_llama_cpp_with_and_without_system_prompt(llama_server, worker):
    prompt_set = PromptSetFactory(name="e2e")
    PromptFactory(
        prompt_set=prompt_set, external_id="one", turns=_user("Name a color.")
    )
    PromptFactory(
        prompt_set=prompt_set,
        external_id="two",
        turns=_user("Write a haiku about tea."),
    )
    PromptFactory(
        prompt_set=prompt_set,
        external_id="multi",
        categories=["dialogue"],
        turns=[
            {"role": "user", "content": "Plan a trip to Rome."},
            {"role": "assistant", "content": "Day one: the Colosseum."},
            {"role": "user", "content": "And day two?"},
            {"role": "assistant", "content": "The Vatican museums."},
            {"role": "user", "content": "Where should we eat?"},
        ],
    )
    # About 910 tokens: fits without a system prompt, not with Llama 2's (~130 more).
    PromptFactory(prompt_set=prompt_set, external_id="edge", turns=_user("cat " * 900))
    PromptFactory(prompt_set=prompt_set, external_id="long", turns=_user("dog " * 1500))
    url = f"{llama_server.url}/v1"
    with_system = chat_models.chat_model_create(
        name="tiny llama2-chat",
        base_url=url,
        model_id="tiny-llama2",
        system_prompt_preset="llama2",
        decoding={"seed": 7},
        max_concurrency=2,
    )
    # Same 1000-token context; fewer new tokens keep the test quick on two CPU cores.
    without_system = chat_models.chat_model_create(
        name="tiny no system prompt",
        base_url=url,
        model_id="tiny-llama2",
        context_limit=1000,
        generation_limit=100,
        temperature=0.7,
        top_p=0.9,
        max_concurrency=2,
    )
    job, _ = jobs.job_create_and_launch(
        prompt_sets=[prompt_set], chat_models=[with_system, without_system]
    )
    _wait(job, worker)

    generations = {
        (g.chat_model.name, g.prompt.external_id): g
        for g in Generation.objects.filter(jobs=job).select_related(
            "chat_model", "prompt"
        )
    }
    statuses = {key: g.status for key, g in generations.items()}
    assert statuses == {
        ("tiny llama2-chat", "one"): "done",
        ("tiny llama2-chat", "two"): "done",
        ("tiny llama2-chat", "multi"): "done",
        ("tiny llama2-chat", "edge"): "filtered",
        ("tiny llama2-chat", "long"): "filtered",
        ("tiny no system prompt", "one"): "done",
        ("tiny no system prompt", "two"): "done",
        ("tiny no system prompt", "multi"): "done",
        ("tiny no system prompt", "edge"): "done",
        ("tiny no system prompt", "long"): "filtered",
    }
    for (model_name, _), generation in generations.items():
        request = generation.request
        messages = request["messages"]
        expected = _server_count(llama_server.url, messages)
        assert request["counted_prompt_tokens"] == expected
        assert generation.prompt_tokens == expected
        assert request["context_limit"] == 1000
        limit = 1000 if model_name == "tiny llama2-chat" else 100
        assert request["max_tokens"] == request["generation_limit"] == limit
        assert request["model"] == "tiny-llama2"
        if model_name == "tiny llama2-chat":
            assert messages[0] == {
                "role": "system",
                "content": presets.LLAMA2_SYSTEM_PROMPT,
            }
            assert request["system_prompt"] == presets.LLAMA2_SYSTEM_PROMPT
            assert request["decoding"] == {"seed": 7}
            assert request["temperature"] == 0.0
        else:
            assert messages[0]["role"] == "user"
            assert (request["temperature"], request["top_p"]) == (0.7, 0.9)
        if generation.status == "done":
            assert messages[1:] == generation.prompt.turns or messages == (
                generation.prompt.turns
            )
            assert 1 <= generation.completion_tokens <= limit
            assert generation.finish_reason in ("stop", "length")
            assert generation.backend_model_id == "tiny-llama2"
            assert generation.latency_seconds > 0
            assert generation.attempts == 1
        else:
            assert expected > 1000
            assert "exceed the context limit of 1000" in generation.last_error
            assert generation.completion_tokens is None


def test_server_refusals_end_as_filtered_or_failed(llama_server, worker):
    prompt_set = PromptSetFactory(name="refusals")
    # ~2600 tokens: under the model's own 4000 limit, over the server's 2048 per slot.
    PromptFactory(prompt_set=prompt_set, external_id="huge", turns=_user("dog " * 2600))
    PromptFactory(prompt_set=prompt_set, external_id="fine", turns=_user("Hello!"))
    base = {"base_url": f"{llama_server.url}/v1", "model_id": "tiny-llama2"}
    big_context = chat_models.chat_model_create(
        name="tiny big context",
        limits="custom",
        context_limit=4000,
        generation_limit=20,
        **base,
    )
    bad_decoding = chat_models.chat_model_create(
        name="tiny bad decoding", decoding={"n_probs": "many"}, **base
    )
    job, _ = jobs.job_create_and_launch(
        prompt_sets=[prompt_set], chat_models=[big_context, bad_decoding]
    )
    _wait(job, worker)
    huge = Generation.objects.get(chat_model=big_context, prompt__external_id="huge")
    assert huge.status == "filtered"
    assert "exceeds the available context size" in huge.last_error
    fine = Generation.objects.get(chat_model=big_context, prompt__external_id="fine")
    assert fine.status == "done"
    assert fine.completion_tokens <= 20
    bad = Generation.objects.get(chat_model=bad_decoding, prompt__external_id="fine")
    assert (bad.status, bad.attempts) == ("failed", 1)
    assert "HTTP 400" in bad.last_error
    assert "n_probs" in bad.last_error
    over = Generation.objects.get(chat_model=bad_decoding, prompt__external_id="huge")
    assert over.status == "filtered"  # counted first: never sent


def _wait_run(run, worker, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        if run.status == JudgeRun.Status.FINISHED:
            return
        time.sleep(0.3)
    pytest.fail(f"judge run did not finish\n{worker.log_path.read_text()[-3000:]}")


def test_llm_judge_on_llama_cpp_both_orders(llama_server, worker):
    """Structured output makes even random weights give a verdict; a free-text
    template's replies are kept as unparseable. Human N is untouched."""
    prompt_set = PromptSetFactory(name="judged")
    candidate, baseline = ChatModelFactory(name="cand"), ChatModelFactory(name="base")
    for key in ("p1", "p2", "p3"):
        prompt = PromptFactory(
            prompt_set=prompt_set, external_id=key, turns=_user(f"Question {key}?")
        )
        GenerationFactory(prompt=prompt, chat_model=candidate, text=f"Yes {key}.")
        GenerationFactory(prompt=prompt, chat_model=baseline, text=f"No {key}.")
    evaluation = evaluation_create(
        name="judged", prompt_set=prompt_set, candidate=candidate, baseline=baseline
    ).evaluation
    annotator = make_user("judge-e2e-annotator", roles.ANNOTATOR)
    evaluation.pool.add(annotator)
    stages = dict(Comparison.objects.values_list("id", "stage"))
    url = f"{llama_server.url}/v1"
    base = {"base_url": url, "model_id": "tiny-llama2", "limits": "custom"}
    json_model = chat_models.chat_model_create(
        name="tiny judge", context_limit=2000, generation_limit=32, **base
    )
    text_model = chat_models.chat_model_create(
        name="tiny text judge", context_limit=2000, generation_limit=16, **base
    )
    json_judge = templates.judge_create(name="tiny json", chat_model=json_model)
    text_judge = templates.judge_create(
        name="tiny text", chat_model=text_model, verdict_format="text"
    )

    run, queued, _ = runs.run_start(
        evaluation=evaluation, judge=json_judge, both_orders=True
    )
    text_run, text_queued, _ = runs.run_start(evaluation=evaluation, judge=text_judge)
    assert (queued, text_queued) == (6, 3)
    _wait_run(run, worker)
    _wait_run(text_run, worker)

    judged = Judgement.objects.filter(run=run)
    assert judged.count() == 6
    for comparison in evaluation.comparisons.all():
        shown, swapped = judged.filter(comparison=comparison).order_by("swapped")
        assert (shown.swapped, swapped.swapped) == (False, True)
        assert swapped.candidate_on_left is not shown.candidate_on_left
        for judgement in (shown, swapped):
            assert judgement.status == "done", judgement.reply
            assert judgement.choice in (3, 2, 1, 0, -1, -2, -3)
            sign = 1 if judgement.candidate_on_left else -1
            assert judgement.score == sign * judgement.choice
            assert judgement.request["response_format"]["type"] == "json_schema"
            assert judgement.template_id == json_judge.template_id
            assert judgement.attempts == 1
            assert judgement.completion_tokens <= 32
            messages = judgement.request["messages"]
            first, second = (
                ("Yes", "No")
                if judgement.candidate_on_left
                else (
                    "No",
                    "Yes",
                )
            )
            text = messages[-1]["content"]
            assert text.index(f"{first} p") < text.index(f"{second} p")

    text_judged = Judgement.objects.filter(run=text_run)
    assert text_judged.filter(status="unparseable").count() == 3
    for judgement in text_judged:
        assert judgement.reply  # kept, whole
        assert judgement.choice is None
        assert judgement.score is None
        assert "response_format" not in judgement.request
    text_run.refresh_from_db()
    assert text_run.status == "finished"

    # Judgements never count as human ratings: no rating, stages as they were,
    # and an annotator still gets the pairs to rate.
    assert Rating.objects.count() == 0
    assert dict(Comparison.objects.values_list("id", "stage")) == stages
    lease = assignment_next(evaluation=evaluation, annotator=annotator)
    assert lease is not None
    assert lease.comparison.evaluation_id == evaluation.pk

    # Three annotators rate every pair through the annotator service; the report's
    # agreement of the judge with the human majority equals a count by hand.
    annotators = [annotator] + [
        make_user(f"judge-e2e-annotator-{i}", roles.ANNOTATOR) for i in (2, 3)
    ]
    evaluation.pool.add(*annotators)
    for i, user in enumerate(annotators):
        assignment = lease if i == 0 else None
        for k in range(3):
            assignment = assignment or assignment_next(
                evaluation=evaluation, annotator=user
            )
            outcome = answer_submit(
                assignment_id=assignment.pk,
                annotator=user,
                action="rate",
                choice=(2, 0, -1)[(i + k) % 3] if k else 1,
                seconds=5,
            )
            assignment = outcome.following
    assert Rating.objects.count() == 9
    assert set(Comparison.objects.values_list("stage", flat=True)) == {
        Comparison.Stage.COMPLETE
    }

    def sign(score):
        return (score > 0) - (score < 0)

    agree = 0
    for comparison in evaluation.comparisons.all():
        human = [sign(r.score) for r in Rating.objects.filter(comparison=comparison)]
        top = max(set(human), key=human.count)
        majority = top if human.count(top) > len(human) / 2 else 0
        first, second = (sign(j.score) for j in judged.filter(comparison=comparison))
        verdict = first if first == second else 0  # MT-Bench: inconsistent is a tie
        agree += verdict == majority
    reports = judge_reports(evaluation, ReportOptions(resamples=0), use_cache=False)
    by_judge = {report.judge.name: report for report in reports.judges}
    assert by_judge["tiny json"].majority.with_ties == pytest.approx(agree / 3)
    assert by_judge["tiny text"].counts.unparseable == 3
