"""Uploading reward scores: the service, the command, the API and the admin page."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from evalsite.imports.reader import ImportFileError
from generations.models import RewardScore
from generations.services.reward_scores import reward_scores_import
from tests.factories import ChatModelFactory, GenerationFactory, PromptFactory


@pytest.fixture
def generations(db):
    """Prompts p1, p2 of set "rs", each answered by "alpha" and "beta"."""
    alpha, beta = ChatModelFactory(name="alpha"), ChatModelFactory(name="beta")
    first = PromptFactory(external_id="p1", prompt_set__name="rs")
    second = PromptFactory(external_id="p2", prompt_set=first.prompt_set)
    return {
        (prompt.external_id, model.name): GenerationFactory(
            prompt=prompt, chat_model=model
        )
        for prompt in (first, second)
        for model in (alpha, beta)
    }


def _jsonl(*rows: dict) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _row(prompt_id="p1", model="alpha", score=0.5, reward_model="helpful-rm"):
    return {
        "prompt_id": prompt_id,
        "model": model,
        "score": score,
        "reward_model": reward_model,
    }


def _import(data: bytes, kind="logit", file_name="s.jsonl"):
    return reward_scores_import(
        prompt_set_name="rs", kind=kind, file_name=file_name, data=data
    )


def _stored():
    return sorted(
        RewardScore.objects.values_list(
            "generation__prompt__external_id",
            "generation__chat_model__name",
            "reward_model",
            "score",
            "kind",
        )
    )


def test_scores_map_to_generations_by_prompt_id_and_model(generations):
    data = _jsonl(
        _row("p1", "alpha", -1.25),
        _row("p2", "beta", 3.0),
        _row("p1", "alpha", 0.75, reward_model="safety-rm"),
    )
    result = _import(data)
    assert result.created == 3
    assert _stored() == [
        ("p1", "alpha", "helpful-rm", -1.25, "logit"),
        ("p1", "alpha", "safety-rm", 0.75, "logit"),
        ("p2", "beta", "helpful-rm", 3.0, "logit"),
    ]
    score = RewardScore.objects.get(reward_model="safety-rm")
    assert score.generation == generations[("p1", "alpha")]


def test_csv_upload_of_probabilities(generations):
    data = b"prompt_id,model,score,reward_model\np1,beta,0.25,rm\np2,alpha,1,rm\n"
    _import(data, kind="probability", file_name="s.csv")
    assert _stored() == [
        ("p1", "beta", "rm", 0.25, "probability"),
        ("p2", "alpha", "rm", 1.0, "probability"),
    ]


@pytest.mark.parametrize(
    ("bad", "kind", "field", "message"),
    [
        (_row(prompt_id="p9"), "logit", "prompt_id", "no prompt 'p9'"),
        (_row(model="gamma"), "logit", "model", "no chat model named 'gamma'"),
        (_row(score="high"), "logit", "score", "expected a number, got 'high'"),
        (_row(score=True), "logit", "score", "expected a number"),
        (_row(score=10**400), "logit", "score", "expected a number"),  # was a 500
        (_row(score=None), "logit", "score", "required field is missing"),
        (_row(score=1.5), "probability", "score", "1.5 is not a probability"),
        (_row(score=-0.1), "probability", "score", "-0.1 is not a probability"),
        (_row(reward_model=""), "logit", "reward_model", "must not be empty"),
        (_row(), "logit", "reward_model", "duplicate of line 1"),
    ],
)
def test_a_bad_row_refuses_the_file_naming_line_and_field(
    generations, bad, kind, field, message
):
    good = _row(score=0.5)
    data = _jsonl(good, _row("p2", "beta", 0.25), bad)
    with pytest.raises(ImportFileError) as caught:
        _import(data, kind=kind)
    [error] = caught.value.errors
    assert (error.line, error.field) == (3, field)
    assert message in error.message
    assert RewardScore.objects.count() == 0


def test_a_model_without_a_generation_for_the_prompt_is_refused(generations):
    ChatModelFactory(name="gamma")
    with pytest.raises(ImportFileError) as caught:
        _import(_jsonl(_row(model="gamma")))
    [error] = caught.value.errors
    assert (error.line, error.field) == (1, "model")
    assert "has no generation for prompt 'p1'" in error.message


def test_a_csv_without_the_score_column_is_refused(generations):
    with pytest.raises(ImportFileError) as caught:
        _import(b"prompt_id,model,reward_model\np1,alpha,rm\n", file_name="s.csv")
    assert [(e.line, e.field) for e in caught.value.errors] == [(1, "score")]


def test_an_unknown_prompt_set_or_kind_is_refused(generations):
    with pytest.raises(ImportFileError) as caught:
        reward_scores_import(
            prompt_set_name="nope", kind="logit", file_name="s.jsonl", data=b"{}"
        )
    assert caught.value.errors[0].field == "prompt_set"
    with pytest.raises(ImportFileError) as caught:
        _import(_jsonl(_row()), kind="odds")
    assert caught.value.errors[0].field == "kind"
    assert RewardScore.objects.count() == 0


def test_re_upload_is_idempotent_and_replaces_changed_scores(generations):
    data = _jsonl(_row("p1", "alpha", 0.5), _row("p2", "alpha", 1.5))
    first = _import(data)
    again = _import(data)
    assert (first.created, first.unchanged) == (2, 0)
    assert (again.created, again.unchanged) == (0, 2)
    assert RewardScore.objects.count() == 2
    corrected = _import(_jsonl(_row("p1", "alpha", -2.0)))
    assert (corrected.created, corrected.details["replaced"]) == (1, 1)
    assert _stored() == [
        ("p1", "alpha", "helpful-rm", -2.0, "logit"),
        ("p2", "alpha", "helpful-rm", 1.5, "logit"),
    ]


def test_a_reward_model_keeps_one_kind(generations):
    _import(_jsonl(_row("p1", "alpha", 0.5), _row("p2", "alpha", 0.5)))
    with pytest.raises(ImportFileError) as caught:
        _import(_jsonl(_row("p1", "alpha", 0.25)), kind="probability")
    assert caught.value.errors[0].field == "kind"
    assert _stored()[0][3:] == (0.5, "logit")
    # Replacing every score of the reward model with the other kind is fine.
    _import(
        _jsonl(_row("p1", "alpha", 0.25), _row("p2", "alpha", 0.75)),
        kind="probability",
    )
    assert {row[4] for row in _stored()} == {"probability"}


def test_command_imports_and_reports_errors(generations, tmp_path):
    path = tmp_path / "scores.jsonl"
    path.write_bytes(_jsonl(_row(), _row("p2", "beta", 1.0)))
    out = io.StringIO()
    call_command(
        "import_reward_scores", str(path), "--prompt-set", "rs", "--kind", "logit",
        stdout=out,
    )  # fmt: skip
    assert "2 created" in out.getvalue()
    path.write_bytes(_jsonl(_row(score="x")))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_reward_scores", str(path), "--prompt-set", "rs", "--kind",
            "logit", stderr=err,
        )  # fmt: skip
    assert "line 1, field 'score'" in err.getvalue()


def _post(client, data: bytes, kind="logit"):
    return client.post(
        "/api/imports/reward-scores/",
        {
            "prompt_set": "rs",
            "kind": kind,
            "file": SimpleUploadedFile("s.jsonl", data),
        },
    )


def test_api_upload_and_its_errors(client, admin_user, generations):
    client.force_login(admin_user)
    response = _post(client, _jsonl(_row()))
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1
    bad = _post(client, _jsonl(_row("p2"), _row(score=2)), kind="probability")
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "line": 2,
            "field": "score",
            "message": "2.0 is not a probability (between 0 and 1 inclusive)",
        }
    ]
    assert _post(client, _jsonl(_row()), kind="odds").status_code == 400
    assert RewardScore.objects.count() == 1


@pytest.mark.parametrize("who", ["annotator", "researcher"])
def test_only_admins_upload_scores(client, who, request, generations):
    client.force_login(request.getfixturevalue(who))
    assert _post(client, _jsonl(_row())).status_code == 403
    assert RewardScore.objects.count() == 0


def test_admin_upload_page(client, admin_user, generations):
    client.force_login(admin_user)
    assert (
        "Upload reward scores"
        in client.get("/admin/generations/rewardscore/").content.decode()
    )
    url = "/admin/generations/rewardscore/upload/"
    assert client.get(url).status_code == 200
    form = {"prompt_set": "rs", "kind": "logit"}
    bad = client.post(
        url, {**form, "file": SimpleUploadedFile("s.jsonl", _jsonl(_row("p7")))}
    )
    assert "line 1, field &#x27;prompt_id&#x27;" in bad.content.decode()
    good = client.post(
        url, {**form, "file": SimpleUploadedFile("s.jsonl", _jsonl(_row()))}
    )
    assert good.status_code == 302
    assert RewardScore.objects.count() == 1
    # The admin capitalises a message's first letter: the file's name comes later.
    shown = client.get(good["Location"]).content.decode()
    assert "Imported s.jsonl: 1 created, 0 unchanged." in shown
