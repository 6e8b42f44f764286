"""Creating an evaluation on the app's page: errors name their field, the
generations are checked first, the services store it whole, pairs come later."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client

from annotations import roles
from annotations.models import Comparison, Evaluation, PoolMember
from annotations.services.evaluation_setup import (
    evaluation_pairs_build,
    evaluation_setup,
)
from generations.models import ChatModel, Generation
from tests.conftest import make_user
from tests.factories import (
    ChatModelFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)


@pytest.fixture
def setup(db):
    """Prompt set "s" of 3 prompts: "cand" answered all, "base" the first two,
    "third" (served by an OpenAI-compatible server) none."""
    prompt_set = PromptSetFactory(name="s")
    cand, base = (ChatModelFactory(name=n) for n in ("cand", "base"))
    third = ChatModelFactory(
        name="third",
        backend=ChatModel.Backend.OPENAI,
        base_url="http://127.0.0.1:9/v1",
        model_id="third",
    )
    prompts = [PromptFactory(prompt_set=prompt_set) for _ in range(3)]
    for index, prompt in enumerate(prompts):
        GenerationFactory(prompt=prompt, chat_model=cand)
        if index < 2:
            GenerationFactory(prompt=prompt, chat_model=base)
    return prompt_set, cand, base, third, prompts


@pytest.fixture
def admin_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _form(prompt_set, cand, base, **extra) -> dict:
    data = {
        "name": "e1",
        "kind": "head_to_head",
        "prompt_set": prompt_set.pk,
        "candidate": cand.pk,
        "baseline": base.pk,
        "scale": "seven",
        "annotators_per_pair": 3,
        "lease_minutes": 30,
        "gold_rate": 0,
        "repeat_rate": 0,
        "qc_min_answers": 10,
        "edit_window": 5,
        "create": "1",
    }
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"baseline": "CAND"}, "baseline"),  # the candidate again
        ({"baseline": None}, "baseline"),
        ({"candidate": None}, "candidate"),
        ({"scale": "likert"}, "scale"),
        ({"kind": "single", "chat_models": "CAND"}, "scale"),  # seven-point
        ({"kind": "tournament", "chat_models": "CAND"}, "chat_models"),
        ({"gold_rate": 1.5}, "gold_rate"),
        ({"repeat_rate": -0.1}, "repeat_rate"),
        ({"gold_rate": 0.6, "repeat_rate": 0.5}, "repeat_rate"),
        ({"qc_min_agreement": 2}, "qc_min_agreement"),
        ({"min_seconds": -1}, "min_seconds"),
        ({"annotators_per_pair": 0}, "annotators_per_pair"),
        # The API's bound; SQLite enforces no integer range, and a report of an
        # evaluation asking for 10^14 annotators once looped until killed.
        ({"annotators_per_pair": 21}, "annotators_per_pair"),
        ({"annotators_per_pair": 99999999999999}, "annotators_per_pair"),
        ({"lease_minutes": 7 * 24 * 60 + 1}, "lease_minutes"),  # over a week
        ({"lease_minutes": 99999999999999}, "lease_minutes"),  # leases overflowed
        ({"lease_minutes": 0}, "lease_minutes"),
        ({"edit_window": 99999999999999}, "edit_window"),
        ({"quota": 10**20}, "quota"),
        ({"stop_min_pairs": 2**31}, "stop_min_pairs"),
        ({"safety_labels": "on"}, "safety_labels"),  # not the preference scale
        ({"completion_url": "not a url"}, "completion_url"),
        ({"gold_rate": "nan"}, "gold_rate"),
        ({"stop_rule": "width"}, "stop_width"),  # no width
        ({"stop_rule": "width", "stop_width": 1.5}, "stop_width"),
        ({"stop_rule": "width", "stop_width": "nan"}, "stop_width"),
        ({"stop_width": 0.1}, "stop_width"),  # a width without the width rule
        ({"stop_rule": "sometimes"}, "stop_rule"),
        ({"stop_rule": "deci\x00ded"}, "stop_rule"),
        ({"stop_min_pairs": -1}, "stop_min_pairs"),
        ({"allocation": "adaptive"}, "allocation"),  # tournaments only
        (
            {
                "kind": "single",
                "chat_models": "CAND",
                "scale": "likert",
                "stop_rule": "decided",
            },
            "stop_rule",
        ),  # head-to-head only
    ],
)
def test_each_error_names_its_field_and_stores_nothing(
    admin_client, setup, extra, field
):
    prompt_set, cand, base, *_ = setup
    for key, value in extra.items():
        if value == "CAND":
            extra[key] = cand.pk
    response = admin_client.post("/evaluations/new/", _form(prompt_set, cand, base,
                                                            **extra))  # fmt: skip
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Evaluation.objects.exists()


def test_a_taken_name_is_an_error_on_name(admin_client, setup):
    prompt_set, cand, base, *_ = setup
    assert admin_client.post("/evaluations/new/", _form(prompt_set, cand, base))
    response = admin_client.post("/evaluations/new/", _form(prompt_set, cand, base))
    assert list(response.context["form"].errors) == ["name"]


def test_check_says_what_is_missing_and_links_the_generation_job(admin_client, setup):
    prompt_set, cand, base, third, _ = setup
    data = _form(prompt_set, cand, base, kind="tournament", create=None, check="1")
    data["chat_models"] = [cand.pk, base.pk, third.pk]
    response = admin_client.post("/evaluations/new/", data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "base has 2 of 3 generations on this prompt set (its responses are" in page
    assert "third has 0 of 3 generations on this prompt set." in page
    assert "cand has" not in page
    assert not Evaluation.objects.exists()  # checking creates nothing
    link = response.context["readiness"]["job_url"]
    # base's responses were imported: no job can make them.
    assert link == (
        f"/generations/jobs/new/?prompt_sets={prompt_set.pk}&chat_models={third.pk}"
    )
    # The job page (the existing one) opens with those boxes ticked.
    job_page = admin_client.get(link).content.decode()
    assert f'value="{third.pk}" id="id_chat_models_' in job_page
    ticked = job_page.split(f'value="{third.pk}"')[1].split(">")[0]
    assert "checked" in ticked


def test_check_counts_prompts_over_the_context_apart_and_offers_no_job(
    admin_client, setup
):
    """third's one prompt over its context was 'missing', with a job offered that
    could not answer it (a new-user pass)."""
    prompt_set, cand, base, third, prompts = setup
    GenerationFactory(prompt=prompts[0], chat_model=third)
    GenerationFactory(prompt=prompts[1], chat_model=third)
    GenerationFactory(prompt=prompts[2], chat_model=third, status="filtered", text="")
    data = _form(prompt_set, cand, base, kind="tournament", create=None, check="1")
    data["chat_models"] = [cand.pk, third.pk]
    response = admin_client.post("/evaluations/new/", data)
    rows = {row.chat_model.name: row for row in response.context["readiness"]["rows"]}
    assert (rows["third"].done, rows["third"].missing, rows["third"].filtered) == (
        2, 0, 1)  # fmt: skip
    assert response.context["readiness"]["job_url"] == ""
    page = response.content.decode()
    assert 'id="all-ready"' in page
    assert "the prompts over it are left out of the pairs" in page


def test_create_stores_everything_through_the_services(admin_client, setup, db):
    prompt_set, cand, base, third, _ = setup
    annotator = make_user("ann-x", roles.ANNOTATOR)
    data = _form(
        prompt_set, cand, base,
        pool=[annotator.pk], chat_models=[third.pk],  # ignored: head-to-head
        gold_rate=0.1, repeat_rate=0.05, min_seconds=4, qc_min_gold_accuracy=0.8,
        qc_pause="on", quota=50, edit_window=3, completion_code="C0DE",
        completion_url="https://example.org/done", guidelines="Be **fair**.",
    )  # fmt: skip
    response = admin_client.post("/evaluations/new/", data, follow=True)
    assert response.redirect_chain[-1][0] == "/"
    evaluation = Evaluation.objects.get(name="e1")
    assert (evaluation.candidate, evaluation.baseline) == (cand, base)
    assert set(evaluation.chat_models.all()) == {cand, base}
    assert list(evaluation.pool.all()) == [annotator]
    assert PoolMember.objects.get(evaluation=evaluation).order_seed is not None
    assert (evaluation.gold_rate, evaluation.repeat_rate, evaluation.min_seconds) == (
        0.1, 0.05, 4)  # fmt: skip
    assert evaluation.qc_min_gold_accuracy == 0.8
    assert evaluation.qc_pause
    assert (evaluation.quota, evaluation.edit_window) == (50, 3)
    assert evaluation.completion_url == "https://example.org/done"
    assert evaluation.created_by.username == "adm1"
    # Pairs for the two prompts both answered; the third waits for base.
    assert Comparison.objects.filter(evaluation=evaluation).count() == 2
    assert evaluation.left_out == {"no generation by base": 1}
    assert "2 pairs built; 1 left out (no generation by base: 1)" in (
        response.content.decode()
    )
    # One annotator in the pool, three needed a pair: said at once (a new-user pass
    # was not told, and no pair could ever complete).
    assert (
        "Each pair needs 3 different annotators and the pool has 1: no pair can "
        "complete until more join"
    ) in response.content.decode()


def test_build_pairs_after_the_generation_job(
    admin_client, setup, django_capture_on_commit_callbacks
):
    prompt_set, cand, base, _, prompts = setup
    admin_client.post("/evaluations/new/", _form(prompt_set, cand, base))
    evaluation = Evaluation.objects.get(name="e1")
    assert "/build-pairs/" in admin_client.get("/").content.decode()
    GenerationFactory(prompt=prompts[2], chat_model=base)  # the job's answer
    response = admin_client.post(f"/evaluations/{evaluation.pk}/build-pairs/")
    assert response.status_code == 302
    assert evaluation.comparisons.count() == 3
    evaluation.refresh_from_db()
    assert evaluation.left_out == {}
    from reports.selectors import report_version

    version = report_version(evaluation.pk)
    with django_capture_on_commit_callbacks(execute=True):  # reports' invalidation
        admin_client.post(f"/evaluations/{evaluation.pk}/build-pairs/")  # idempotent
    assert evaluation.comparisons.count() == 3
    # Nothing changed, so the cached report stands (a no-op build marked it stale).
    assert report_version(evaluation.pk) == version
    assert "/build-pairs/" not in admin_client.get("/").content.decode()


def test_a_prompt_over_the_context_limit_is_left_out_for_good(admin_client, setup):
    """Its generation is filtered: the message said to build again once the
    generations were done, and the home offered Build pairs for ever (a new-user
    pass in Chromium)."""
    prompt_set, cand, base, _, prompts = setup
    GenerationFactory(
        prompt=prompts[2], chat_model=base, status=Generation.Status.FILTERED
    )
    response = admin_client.post(
        "/evaluations/new/", _form(prompt_set, cand, base), follow=True
    )
    evaluation = Evaluation.objects.get(name="e1")
    assert evaluation.left_out == {"base filtered": 1}
    text = response.content.decode()
    assert (
        "1 left out (base filtered: 1), for good: a prompt longer than its model"
        in text
    )
    assert "Build the pairs again" not in text
    assert "/build-pairs/" not in admin_client.get("/").content.decode()


def test_prompts_added_to_the_set_later_are_offered_to_build_pairs(admin_client, setup):
    """A new-user pass uploaded more prompts to an evaluation's set and generated
    them: no page offered Build pairs, and the annotators had nothing left."""
    prompt_set, cand, base, _, prompts = setup
    GenerationFactory(prompt=prompts[2], chat_model=base)
    admin_client.post("/evaluations/new/", _form(prompt_set, cand, base))
    evaluation = Evaluation.objects.get(name="e1")
    assert evaluation.comparisons.count() == 3
    assert "/build-pairs/" not in admin_client.get("/").content.decode()
    later = PromptFactory(prompt_set=prompt_set)  # the upload, then the job
    for model in (cand, base):
        GenerationFactory(prompt=later, chat_model=model)
    assert "/build-pairs/" in admin_client.get("/").content.decode()
    admin_client.post(f"/evaluations/{evaluation.pk}/build-pairs/")
    assert evaluation.comparisons.filter(prompt=later).count() == 1
    assert "/build-pairs/" not in admin_client.get("/").content.decode()


def test_single_and_tournament_evaluations(admin_client, setup):
    prompt_set, cand, base, third, _ = setup
    GenerationFactory(prompt=prompt_set.prompts.first(), chat_model=third)
    single = _form(prompt_set, cand, base, name="one", kind="single",
                   scale="likert", chat_models=[cand.pk])  # fmt: skip
    tournament = _form(prompt_set, cand, base, name="all", kind="tournament",
                       chat_models=[cand.pk, base.pk, third.pk])  # fmt: skip
    for data in (single, tournament):
        assert admin_client.post("/evaluations/new/", data).status_code == 302
    one = Evaluation.objects.get(name="one")
    assert (one.kind, one.candidate, one.baseline) == ("single", None, None)
    assert one.comparisons.count() == 3  # cand answered all three prompts
    every = Evaluation.objects.get(name="all")
    assert every.candidate is None
    # Pairs per prompt among 3 models: prompt 1 has all three (3 pairs), prompt 2
    # cand and base (1), prompt 3 only cand (0).
    assert every.comparisons.count() == 4


def test_only_admins_create_evaluations(client, researcher, setup):
    client.force_login(researcher)
    assert client.get("/evaluations/new/").status_code == 403
    assert client.post("/evaluations/new/", {}).status_code == 403


def test_the_page_renders_its_fieldsets(admin_client, db):
    page = admin_client.get("/evaluations/new/").content.decode()
    for legend in ("Head-to-head", "Chat models", "Quality control", "Annotators"):
        assert f"<legend>{legend}</legend>" in page
    assert 'data-kinds="tournament single"' in page
    assert "annotations/evaluation_new.js" in page


def test_the_services_refuse_to_nest_in_a_transaction(setup):
    """Each is one durable transaction: it never commits half inside a caller's."""
    prompt_set, cand, base, *_ = setup
    evaluation = Evaluation(name="x", prompt_set=prompt_set, candidate=cand,
                            baseline=base)  # fmt: skip
    with pytest.raises(RuntimeError), transaction.atomic():
        evaluation_setup(evaluation=evaluation, chat_models=[], pool=[],
                         created_by=None)  # fmt: skip
    with pytest.raises(RuntimeError), transaction.atomic():
        evaluation_pairs_build(evaluation=evaluation)


def test_the_admins_form_says_what_a_constraint_wants(setup):
    """The Django admin validates an evaluation with the model's constraints and
    validators: their messages are what the admin reads, not a constraint's name."""
    prompt_set, cand, base, *_ = setup
    evaluation = Evaluation(
        name="e9", prompt_set=prompt_set, candidate=cand, baseline=base,
        gold_rate=0.7, repeat_rate=0.5, quota=0,
    )  # fmt: skip
    with pytest.raises(ValidationError) as caught:
        evaluation.full_clean()
    messages = caught.value.message_dict
    assert messages["quota"] == ["A quota is at least one pair."]
    assert messages["__all__"] == [
        "The gold and repeat rates are shares from 0 to 1, and together at most 1."
    ]


@pytest.mark.parametrize(
    "change",
    [{"source": Evaluation.Source.IMPORTED}, {"status": Evaluation.Status.CLOSED}],
    ids=["imported", "closed"],
)
def test_build_pairs_refuses_an_imported_or_closed_evaluation(
    admin_client, setup, change
):
    prompt_set, cand, base, _, prompts = setup
    admin_client.post("/evaluations/new/", _form(prompt_set, cand, base))
    evaluation = Evaluation.objects.get(name="e1")
    GenerationFactory(prompt=prompts[2], chat_model=base)  # a pair is now buildable
    Evaluation.objects.filter(pk=evaluation.pk).update(**change)
    assert "/build-pairs/" not in admin_client.get("/").content.decode()
    response = admin_client.post(f"/evaluations/{evaluation.pk}/build-pairs/")
    assert response.status_code == 409
    assert "e1 takes no new pairs" in response.content.decode()
    assert evaluation.comparisons.count() == 2


def test_check_says_which_missing_generations_failed_and_why(admin_client, setup):
    """Failed generations were listed as missing only, with a job offered that
    would fail them again (a new-user pass)."""
    prompt_set, cand, base, third, prompts = setup
    GenerationFactory(prompt=prompts[0], chat_model=third)
    GenerationFactory(
        prompt=prompts[1],
        chat_model=third,
        status="failed",
        text="",
        last_error="HTTP 400: Field 'n_probs' <b>unknown</b>",
    )
    data = _form(prompt_set, cand, base, kind="tournament", create=None, check="1")
    data["chat_models"] = [cand.pk, third.pk]
    response = admin_client.post("/evaluations/new/", data)
    rows = {row.chat_model.name: row for row in response.context["readiness"]["rows"]}
    assert (rows["third"].missing, rows["third"].failed) == (2, 1)
    page = response.content.decode()
    assert '<span data-figure="failed">1 of the missing failed</span>' in page
    assert "HTTP 400: Field &#x27;n_probs&#x27; &lt;b&gt;unknown&lt;/b&gt;" in page


def test_the_number_inputs_say_the_bounds_the_form_checks(admin_client, db):
    """A new-admin pass: the shares (gold rate, thresholds), the minimum seconds
    and the stop width had inputs with no min or max, and adaptive top offered 0:
    the browser let 5 or -1 through to the server's refusal."""
    html = admin_client.get("/evaluations/new/").content.decode()

    def bounds(name: str) -> tuple[str | None, str | None]:
        tag = html.split(f'name="{name}"')[1].split(">")[0]
        found = [tag.split(f'{key}="')[1].split('"')[0] if f'{key}="' in tag else None
                 for key in ("min", "max")]  # fmt: skip
        return found[0], found[1]

    for name in ("gold_rate", "repeat_rate", "qc_min_agreement", "qc_max_side_bias"):
        assert bounds(name) == ("0", "1")
    assert bounds("min_seconds") == ("0", None)
    assert bounds("stop_width") == ("0", "1")
    assert bounds("adaptive_top") == ("1", "1000")
    assert bounds("adaptive_width") == ("0", None)
    assert bounds("stop_min_pairs") == ("0", "1000000")
