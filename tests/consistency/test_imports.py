"""Uploading instructions: the API, the page and the command; bad input is a 400
naming the line and field, and nothing is stored."""

import io
import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from rest_framework.test import APIClient

from annotations import roles
from consistency.models import ConsistencyEvaluation, Instruction
from consistency.services import imports
from generations.models import ChatModel
from tests.conftest import make_user
from tests.factories import ChatModelFactory

URL = "/api/consistency/imports/"
pytestmark = pytest.mark.django_db


def _jsonl(*records) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


GOOD = (
    {
        "id": "haiku",
        "system": "Always answer in haiku.",
        "attribute": "haiku",
        "probes": ["Hi!", "What is tea?"],
    },
    {"id": "pirate", "system": "Act as a pirate.", "probes": ["Hello."]},
)


def _served(name: str):
    """A chat model with a server to answer turns (the factory's are imported)."""
    return ChatModelFactory(
        name=name,
        backend=ChatModel.Backend.OPENAI,
        base_url="http://127.0.0.1:9/v1",
        model_id=name,
    )


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    _served("m1")
    _served("m2")
    return client


def _post(api, data: bytes, name="i.jsonl", **fields):
    body = {
        "evaluation": "consist",
        "chat_models": "m1, m2",
        "annotators": "",
        "file": SimpleUploadedFile(name, data),
        **fields,
    }
    return api.post(URL, body, format="multipart")


def test_upload_creates_the_evaluation_and_its_instructions(api, annotator):
    make_user("ann2", roles.ANNOTATOR)
    response = _post(
        api, _jsonl(*GOOD), annotators="ann1, ann2", annotators_per_reply=2
    )
    assert response.status_code == 201, response.json()
    assert response.json()["created"] == 2
    evaluation = ConsistencyEvaluation.objects.get(name="consist")
    assert evaluation.annotators_per_reply == 2
    assert sorted(m.name for m in evaluation.chat_models.all()) == ["m1", "m2"]
    assert sorted(u.username for u in evaluation.annotators.all()) == ["ann1", "ann2"]
    haiku = Instruction.objects.get(external_id="haiku")
    assert (haiku.system_message, haiku.attribute) == (
        "Always answer in haiku.",
        "haiku",
    )
    assert haiku.probes == ["Hi!", "What is tea?"]
    # The same file again changes nothing.
    again = _post(api, _jsonl(*GOOD))
    assert again.json()["created"] == 0
    assert again.json()["unchanged"] == 2


def test_a_pool_smaller_than_n_is_refused_naming_annotators(api, annotator):
    """Each reply needs N different annotators: a pool of 1 never gives 2."""
    response = _post(api, _jsonl(*GOOD), annotators="ann1", annotators_per_reply=2)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["field"] == "annotators"
    assert (
        "a pool of 1 cannot give each reply 2 different annotators" in error["message"]
    )
    assert not ConsistencyEvaluation.objects.exists()


def test_csv_with_probes_as_a_json_list(api):
    data = (
        b"id,system,attribute,probes\n"
        b'h,Answer in one sentence only.,brevity,"[""One?"", ""Two?"", ""Three?""]"\n'
    )
    response = _post(api, data, name="i.csv")
    assert response.status_code == 201, response.json()
    assert Instruction.objects.get(external_id="h").probes == ["One?", "Two?", "Three?"]


@pytest.mark.parametrize(
    ("record", "field", "message"),
    [
        ({"id": "x", "system": "", "probes": ["a"]}, "system", "must not be empty"),
        ({"id": "x", "system": "S\u0000", "probes": ["a"]}, "system", "NUL"),
        ({"id": "x", "system": "S", "probes": ["a"] * 21}, "probes", "1 to 20"),
        ({"id": "x", "system": "S", "probes": []}, "probes", "1 to 20"),
        (
            {"id": "x", "system": "S", "probes": "nope"},
            "probes",
            "expected a list of user turns (in a CSV cell, as JSON",
        ),
        ({"id": "x", "system": "S", "probes": [3]}, "probes[0]", "string"),
        ({"id": "x", "system": "S", "probes": ["a", " "]}, "probes[1]", "empty"),
        ({"id": "x", "system": "S", "probes": ["a\u0000"]}, "probes[0]", "NUL"),
        ({"id": ["x"], "system": "S", "probes": ["a"]}, "id", "string"),
        ({"system": "S", "probes": ["a"]}, "id", "missing"),
        (
            {"id": "x", "system": "S", "probes": ["a"], "atribute": "tone"},
            "atribute",
            "unknown field; the fields are id, system, attribute, probes",
        ),
    ],
)
def test_bad_record_is_a_400_naming_line_and_field(api, record, field, message):
    response = _post(api, _jsonl(GOOD[0], record))
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["field"]) == (2, field)
    assert message in error["message"]
    assert not ConsistencyEvaluation.objects.exists()
    assert not Instruction.objects.exists()


def test_an_unknown_csv_column_is_a_400_naming_it(api):
    data = b'id,system,atribute,probes\nh,Be brief.,brevity,"[""One?""]"\n'
    response = _post(api, data, name="i.csv")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["field"]) == (1, "atribute")
    assert error["message"].startswith("unknown column; the columns are id, system")
    assert not Instruction.objects.exists()


def test_a_lone_surrogate_in_a_csv_cells_probes_is_a_400_naming_it(api):
    """A CSV cell's JSON is decoded after the file's own character check: the probe
    is checked again (a lone surrogate no database text holds)."""
    data = b'id,system,probes\nh,Be brief.,"[""fine"", ""\\ud800""]"\n'
    response = _post(api, data, name="i.csv")
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["line"], error["field"]) == (2, "probes[1]")
    assert not ConsistencyEvaluation.objects.exists()


def test_a_chat_model_whose_name_holds_a_comma_is_named_in_quotes(api):
    """Its name split at the comma into two unknown models (a new-user pass)."""
    _served("Llama 2, chat")
    response = _post(api, _jsonl(*GOOD), chat_models='"Llama 2, chat", m1')
    assert response.status_code == 201, response.content
    evaluation = ConsistencyEvaluation.objects.get()
    assert sorted(m.name for m in evaluation.chat_models.all()) == [
        "Llama 2, chat",
        "m1",
    ]


def test_repeated_id_and_unknown_chat_model_are_400s(api):
    response = _post(api, _jsonl(GOOD[0], GOOD[0]))
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "line": 2,
        "field": "id",
        "message": "repeats line 1's id",
    }
    response = _post(api, _jsonl(*GOOD), chat_models="m1, ghost")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": None, "field": "chat_models", "message": "unknown chat model 'ghost'"}
    ]
    ChatModelFactory(name="imported-only")  # responses imported: no server
    response = _post(api, _jsonl(*GOOD), chat_models="m1, imported-only")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "chat_models"
    assert "'imported-only' has no inference server" in error["message"]
    response = _post(api, _jsonl(*GOOD), annotators="nobody")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "annotators"
    assert not ConsistencyEvaluation.objects.exists()


def test_nul_and_wrong_types_in_form_fields_are_400s(api):
    assert _post(api, _jsonl(*GOOD), evaluation="a\u0000b").status_code == 400
    assert _post(api, _jsonl(*GOOD), annotators_per_reply="many").status_code == 400
    assert _post(api, _jsonl(*GOOD), annotators_per_reply=50).status_code == 400
    assert _post(api, b"\x00\x01not json").status_code == 400
    assert not ConsistencyEvaluation.objects.exists()


def test_changed_content_of_a_stored_id_is_refused(api):
    assert _post(api, _jsonl(*GOOD)).status_code == 201
    changed = {**GOOD[1], "system": "Act as a parrot."}
    response = _post(api, _jsonl(GOOD[0], changed))
    assert response.status_code == 400
    assert response.json()["errors"][0]["line"] == 2
    assert Instruction.objects.get(external_id="pirate").system_message == (
        "Act as a pirate."
    )


def test_later_upload_with_other_settings_is_refused_not_ignored(api, annotator):
    assert _post(api, _jsonl(GOOD[0]), annotators_per_reply=2).status_code == 201
    more = _jsonl(GOOD[1])
    for fields, field in (
        ({"chat_models": "m1"}, "chat_models"),
        ({"annotators": "ann1"}, "annotators"),
        ({"annotators_per_reply": 3}, "annotators_per_reply"),
    ):
        response = _post(api, more, **fields)
        assert response.status_code == 400, fields
        (error,) = response.json()["errors"]
        assert error["field"] == field
        assert "already exists with" in error["message"]
    assert not Instruction.objects.filter(external_id="pirate").exists()
    # The same settings, or none, add the instruction.
    assert (
        _post(api, more, chat_models="m2, m1", annotators_per_reply=2).json()["created"]
        == 1
    )


def test_upload_page_leaves_n_empty_for_a_later_upload(client, admin_user):
    _served("m1")
    client.force_login(admin_user)
    page = client.get("/consistency/upload/").content.decode()
    assert 'name="annotators_per_reply" value=' not in page  # 3 when left empty
    first = {"evaluation": "twice", "chat_models": "m1", "annotators_per_reply": 2}
    file = SimpleUploadedFile("a.jsonl", _jsonl(GOOD[0]))
    assert (
        client.post("/consistency/upload/", {**first, "file": file}).status_code == 302
    )
    file = SimpleUploadedFile("b.jsonl", _jsonl(GOOD[1]))
    later = {"evaluation": "twice", "annotators_per_reply": "", "file": file}
    assert client.post("/consistency/upload/", later).status_code == 302
    assert Instruction.objects.filter(evaluation__name="twice").count() == 2


def test_researchers_and_annotators_may_not_upload(researcher, annotator):
    for user in (researcher, annotator):
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(URL, {"evaluation": "x"}, format="multipart")
        assert response.status_code == 403


def test_upload_page_shows_errors_with_line_and_field(client, admin_user):
    _served("m1")
    client.force_login(admin_user)
    bad = _jsonl({"id": "x", "system": "S", "probes": ["a"] * 25})
    response = client.post(
        "/consistency/upload/",
        {
            "evaluation": "page",
            "chat_models": "m1",
            "file": SimpleUploadedFile("bad.jsonl", bad),
        },
    )
    assert response.status_code == 400
    assert "line 1, field &#x27;probes&#x27;" in response.content.decode()
    response = client.post(
        "/consistency/upload/",
        {
            "evaluation": "page",
            "chat_models": "m1",
            "file": SimpleUploadedFile("ok.jsonl", _jsonl(*GOOD)),
        },
    )
    assert response.status_code == 302
    assert Instruction.objects.filter(evaluation__name="page").count() == 2


def test_import_command(tmp_path):
    _served("m1")
    path = tmp_path / "i.jsonl"
    path.write_bytes(_jsonl(*GOOD))
    out = io.StringIO()
    call_command(
        "import_instructions",
        str(path),
        "--evaluation",
        "cmd",
        "--chat-models",
        "m1",
        stdout=out,
    )
    assert "2 created" in out.getvalue()
    path.write_bytes(_jsonl({"id": "x", "system": "", "probes": ["a"]}))
    with pytest.raises(CommandError, match="nothing imported"):
        call_command(
            "import_instructions",
            str(path),
            "--evaluation",
            "cmd2",
            "--chat-models",
            "m1",
            stdout=out,
            stderr=io.StringIO(),
        )
    assert not ConsistencyEvaluation.objects.filter(name="cmd2").exists()


def test_upload_page_refuses_nul_in_form_fields(client, admin_user):
    _served("m1")
    client.force_login(admin_user)
    response = client.post(
        "/consistency/upload/",
        {
            "evaluation": "bad\u0000name",
            "chat_models": "m1",
            "file": SimpleUploadedFile("ok.jsonl", _jsonl(*GOOD)),
        },
    )
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert not ConsistencyEvaluation.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_uploads_of_a_new_evaluation_one_stores_the_others_get_409(
    require_postgres, admin_user, monkeypatch
):
    """As the other imports: the uploads that lose the race are told of the
    conflict (409, in the schema), where they got a 400 as if the file were bad."""
    _served("m1")
    _served("m2")
    uploads = 4
    # Every upload has found no evaluation of that name before any creates it.
    barrier = threading.Barrier(uploads)
    create = imports._evaluation_create

    def create_together(**arguments):
        barrier.wait(timeout=60)
        return create(**arguments)

    monkeypatch.setattr(imports, "_evaluation_create", create_together)
    answers = []

    def upload():
        try:
            client = APIClient()
            client.force_authenticate(admin_user)
            response = _post(client, _jsonl(*GOOD))
            answers.append((response.status_code, response.json()))
        except Exception as error:  # reported by the main thread
            answers.append(("raised", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(uploads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(str(code) for code, _ in answers) == ["201"] + ["409"] * 3, answers
    for code, body in answers:
        if code == 409:
            (error,) = body["errors"]
            assert "another upload changed this evaluation" in error["message"]
    assert ConsistencyEvaluation.objects.get(name="consist").instructions.count() == 2


def test_the_command_takes_the_evaluation_name_as_the_api_does(tmp_path, api):
    """The API trims the name; the command kept " cmd ", a second evaluation
    beside "cmd" that the API could not name (a new-user pass)."""
    path = tmp_path / "i.jsonl"
    path.write_bytes(_jsonl(*GOOD))
    call_command(
        "import_instructions", str(path), "--evaluation", " consist ",
        "--chat-models", "m1,m2", stdout=io.StringIO(),
    )  # fmt: skip
    assert list(ConsistencyEvaluation.objects.values_list("name", flat=True)) == [
        "consist"
    ]
    again = _post(api, _jsonl(*GOOD))
    assert (again.status_code, again.json()["unchanged"]) == (201, 2)


@pytest.mark.parametrize(
    ("name", "says"),
    [("  ", "must not be empty"), ("x\x00", "NUL"), ("n" * 201, "longer than 200")],
)
def test_the_command_refuses_a_bad_evaluation_name_naming_it(tmp_path, name, says):
    _served("m1")
    path = tmp_path / "i.jsonl"
    path.write_bytes(_jsonl(*GOOD))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command(
            "import_instructions", str(path), "--evaluation", name,
            "--chat-models", "m1", stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert "field 'evaluation'" in err.getvalue()
    assert says in err.getvalue()
    assert not ConsistencyEvaluation.objects.exists()
