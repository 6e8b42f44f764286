"""The names an import is given beside its file (a prompt set, an evaluation) are
checked on every path as the upload form checks them: a command passed them on
unchecked, and made a prompt set named "" or crashed on a name too long."""

import json

import pytest
from django.core.management import CommandError, call_command

from annotations.models import Evaluation
from generations.models import PromptSet
from generations.services.imports import generations_import, prompts_import

pytestmark = pytest.mark.django_db

PROMPT = {"id": "p1", "prompt": "Hi?", "category": "dialogue"}
RATING = {
    "prompt_id": "p1",
    "model_a": "cand",
    "model_b": "base",
    "annotator": "ann-1",
    "choice": 1,
}
BAD_NAMES = [
    pytest.param("", "must not be empty", id="empty"),
    pytest.param("   ", "must not be empty", id="blank"),
    pytest.param("n" * 201, "longer than 200 characters", id="too-long"),
]


def _file(tmp_path, row: dict):
    path = tmp_path / "f.jsonl"
    path.write_text(json.dumps(row) + "\n")
    return str(path)


@pytest.fixture
def answered(db):
    prompts_import(
        prompt_set_name="set", file_name="p.jsonl", data=json.dumps(PROMPT).encode()
    )
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data="\n".join(
            json.dumps({"prompt_id": "p1", "model": m, "text": m})
            for m in ("cand", "base")
        ).encode(),
    )


@pytest.mark.parametrize(("name", "says"), BAD_NAMES)
def test_import_prompts_refuses_a_bad_prompt_set_name(name, says, tmp_path, capsys):
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_prompts", _file(tmp_path, PROMPT), "--prompt-set", name)
    assert f"field 'prompt_set': {says}" in capsys.readouterr().err
    assert not PromptSet.objects.exists()


@pytest.mark.parametrize(("name", "says"), BAD_NAMES)
def test_import_ratings_refuses_a_bad_evaluation_name(
    name, says, answered, tmp_path, capsys
):
    arguments = ["--prompt-set", "set", "--scale", "seven", "--evaluation", name]
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_ratings", _file(tmp_path, RATING), *arguments)
    assert f"field 'evaluation': {says}" in capsys.readouterr().err
    assert not Evaluation.objects.exists()


def test_a_command_takes_a_name_without_its_spaces_as_the_api_does(answered, tmp_path):
    call_command("import_prompts", _file(tmp_path, PROMPT), "--prompt-set", " set ")
    assert list(PromptSet.objects.values_list("name", flat=True)) == ["set"]
    call_command(
        "import_ratings",
        _file(tmp_path, RATING),
        *("--prompt-set", " set ", "--scale", "seven", "--evaluation", " pilot "),
    )
    assert list(Evaluation.objects.values_list("name", flat=True)) == ["pilot"]


@pytest.mark.parametrize(("name", "says"), BAD_NAMES)
def test_import_ratings_refuses_a_bad_candidate_name(
    name, says, answered, tmp_path, capsys
):
    """``--candidate ""`` was taken as no candidate given (the first line's model_a),
    where the API refuses a blank candidate."""
    arguments = ["--prompt-set", "set", "--scale", "seven", "--evaluation", "pilot"]
    with pytest.raises(CommandError, match="nothing imported"):
        call_command(
            "import_ratings", _file(tmp_path, RATING), *arguments, "--candidate", name
        )
    assert f"field 'candidate': {says}" in capsys.readouterr().err
    assert not Evaluation.objects.exists()
