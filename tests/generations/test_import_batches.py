"""Prompt and generation imports read in batches, one pass, on both paths (PostgreSQL's
COPY and staging tables, SQLite's ORM); unchanged files are answered from their hash."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evalsite.imports import staging
from evalsite.imports.reader import FieldError, ImportFileError, Record
from generations.models import ChatModel, Generation, Prompt, PromptSet
from generations.services.imports import generations_import, prompts_import


def jsonl(*rows) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows).encode()


def prompt(index: int, text: str = "") -> dict:
    return {"id": f"p{index}", "prompt": text or f"Question {index}?", "category": "c"}


def response(index: int, model: str = "m", text: str = "") -> dict:
    return {"prompt_id": f"p{index}", "model": model, "text": text or f"Answer {index}"}


@pytest.fixture
def batches_of_two(monkeypatch):
    monkeypatch.setattr(staging, "BATCH_SIZE", 2)


def import_prompts(data, **kwargs):
    return prompts_import(
        prompt_set_name="set", file_name="p.jsonl", data=data, **kwargs
    )


def import_generations(data, **kwargs):
    return generations_import(
        prompt_set_name="set", file_name="g.jsonl", data=data, **kwargs
    )


def writes(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


def test_checked_batches_read_an_iterator_once_and_report_progress():
    records = (Record(line, {"n": line}) for line in range(1, 6))
    seen = []
    batches = list(
        staging.checked_batches(
            records, lambda record: record.data["n"], progress=seen.append, batch_size=2
        )
    )
    assert [[row for _, row in batch] for batch in batches] == [[1, 2], [3, 4], [5]]
    assert seen == [2, 4, 5]


def test_checked_batches_check_the_whole_file_and_yield_nothing_after_an_error():
    def check(record):
        if record.line in (3, 6):
            raise FieldError("n", "bad")
        return record.line

    records = (Record(line, {}) for line in range(1, 8))
    yielded = []

    def consume():
        for batch in staging.checked_batches(records, check, batch_size=2):
            yielded.append([row for _, row in batch])

    with pytest.raises(ImportFileError) as exc_info:
        consume()
    assert yielded == [[1, 2]]
    assert [(error.line, error.field) for error in exc_info.value.errors] == [
        (3, "n"),
        (6, "n"),
    ]


@pytest.mark.django_db
def test_prompts_import_in_batches_from_a_file_with_progress(batches_of_two):
    seen = []
    result = import_prompts(
        io.BytesIO(jsonl(*(prompt(index) for index in range(5)))), progress=seen.append
    )
    assert (result.created, result.unchanged) == (5, 0)
    assert seen == [2, 4, 5]
    stored = Prompt.objects.order_by("id").values_list("external_id", flat=True)
    assert list(stored) == [f"p{index}" for index in range(5)]


@pytest.mark.django_db
def test_errors_in_a_later_batch_name_the_line_and_store_nothing(batches_of_two):
    rows = [prompt(index) for index in range(6)]
    rows[4] = {"id": "p4", "prompt": "Hi"}
    with pytest.raises(ImportFileError) as exc_info:
        import_prompts(jsonl(*rows))
    assert (exc_info.value.errors[0].line, exc_info.value.errors[0].field) == (
        5,
        "categories",
    )
    assert not PromptSet.objects.exists()


@pytest.mark.django_db
def test_duplicates_across_batches_name_both_lines(batches_of_two):
    rows = [prompt(index) for index in range(5)] + [prompt(1)]
    with pytest.raises(
        ImportFileError, match="line 6, field 'id': duplicate of line 2"
    ):
        import_prompts(jsonl(*rows))
    assert not Prompt.objects.exists()


@pytest.mark.django_db
def test_unchanged_prompt_file_writes_nothing():
    data = jsonl(*(prompt(index) for index in range(3)))
    import_prompts(data)
    with CaptureQueriesContext(connection) as queries:
        result = import_prompts(data)
    assert (result.created, result.unchanged) == (0, 3)
    assert writes(queries) == []


@pytest.mark.django_db
def test_same_bytes_after_a_stored_row_changed_are_checked_again():
    data = jsonl(*(prompt(index) for index in range(3)))
    import_prompts(data)
    edited = Prompt.objects.get(external_id="p1")
    edited.turns = [{"role": "user", "content": "Edited in the admin"}]
    edited.save()
    with pytest.raises(ImportFileError, match="line 2, field 'id'"):
        import_prompts(data)
    Prompt.objects.filter(external_id="p1").delete()
    result = import_prompts(data)
    assert (result.created, result.unchanged) == (1, 2)


@pytest.mark.django_db
def test_same_bytes_after_the_allowed_categories_changed_are_checked_again():
    data = jsonl(prompt(0))
    import_prompts(data)
    PromptSet.objects.filter(name="set").update(categories=["other"])
    with pytest.raises(ImportFileError, match="unknown category"):
        import_prompts(data)


@pytest.mark.django_db
def test_generations_import_in_batches_replaces_unfinished_and_keeps_done(
    batches_of_two,
):
    import_prompts(jsonl(*(prompt(index) for index in range(5))))
    seen = []
    result = import_generations(
        jsonl(*(response(index) for index in range(3))), progress=seen.append
    )
    assert (result.created, result.unchanged, seen) == (3, 0, [2, 3])
    pending = Generation.objects.create(
        prompt=Prompt.objects.get(external_id="p3"),
        chat_model=ChatModel.objects.get(name="m"),
        status=Generation.Status.FAILED,
    )
    data = jsonl(*(response(index) for index in range(5)))
    result = import_generations(io.BytesIO(data))
    assert (result.created, result.unchanged) == (2, 3)
    pending.refresh_from_db()
    assert (pending.status, pending.text, pending.source) == (
        "done",
        "Answer 3",
        "imported",
    )
    assert Generation.objects.count() == 5
    with CaptureQueriesContext(connection) as queries:
        again = import_generations(data)
    assert (again.created, again.unchanged) == (0, 5)
    assert writes(queries) == []


@pytest.mark.django_db
def test_generation_file_after_a_response_changed_is_checked_again():
    import_prompts(jsonl(prompt(0)))
    data = jsonl(response(0))
    import_generations(data)
    Generation.objects.update(text="Changed elsewhere")
    with pytest.raises(ImportFileError, match="line 1, field 'text'"):
        import_generations(data)


@pytest.mark.django_db
def test_generation_errors_across_batches_name_lines(batches_of_two):
    import_prompts(jsonl(*(prompt(index) for index in range(4))))
    rows = [response(index) for index in range(4)] + [response(9), response(0)]
    with pytest.raises(
        ImportFileError, match="line 6, field 'model': duplicate of line 1"
    ):
        import_generations(jsonl(*rows))
    with pytest.raises(
        ImportFileError, match="line 5, field 'prompt_id': no prompt 'p9'"
    ):
        import_generations(jsonl(*rows[:5]))
    assert not Generation.objects.exists()
    assert not ChatModel.objects.exists()
