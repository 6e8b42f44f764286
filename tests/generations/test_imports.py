"""Prompt and generation imports: happy paths, idempotence, every bad input."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from evalsite.imports.reader import ImportFileError
from generations.models import ChatModel, Generation, Prompt, PromptSet
from generations.services.imports import generations_import, prompts_import


def jsonl(*rows) -> bytes:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows).encode()


SINGLE = {
    "id": "p1",
    "prompt": "What is the capital of France?",
    "category": "dialogue",
}
MULTI = {
    "id": "p2",
    "turns": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi there"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Write a haiku about tea."},
    ],
    "categories": ["writing and content creation", "dialogue"],
    "collection_method": "best_of_both",
    "metadata": {"source": "test"},
}


def import_prompts(data: bytes, name: str = "prompts.jsonl"):
    return prompts_import(prompt_set_name="set", file_name=name, data=data)


def error_of(exc_info) -> tuple:
    first = exc_info.value.errors[0]
    return first.line, first.field


@pytest.mark.django_db
def test_prompt_import_stores_single_and_multi_turn_prompts():
    result = import_prompts(jsonl(SINGLE, MULTI))
    assert (result.created, result.unchanged) == (2, 0)
    multi = Prompt.objects.get(external_id="p2")
    assert multi.num_turns == 2
    assert multi.is_multi_turn
    assert multi.categories == ["writing and content creation", "dialogue"]
    assert multi.collection_method == "best_of_both"
    assert multi.metadata == {"source": "test"}
    assert multi.final_user_turn == "Write a haiku about tea."
    single = Prompt.objects.get(external_id="p1")
    assert single.turns == [{"role": "user", "content": SINGLE["prompt"]}]
    assert single.word_count == 6
    assert PromptSet.objects.get(name="set").source_sha256


@pytest.mark.django_db
def test_prompt_import_twice_duplicates_nothing():
    import_prompts(jsonl(SINGLE, MULTI))
    result = import_prompts(jsonl(SINGLE, MULTI))
    assert (result.created, result.unchanged) == (0, 2)
    assert Prompt.objects.count() == 2


@pytest.mark.django_db
def test_prompt_import_reads_csv():
    data = (
        b'id,prompt,category\nc1,"Hello, world?",dialogue\n'
        b"c2,Name a fruit,recommendations\n"
    )
    result = import_prompts(data, "prompts.csv")
    assert result.created == 2
    assert Prompt.objects.get(external_id="c1").turns[0]["content"] == "Hello, world?"


@pytest.mark.django_db
def test_prompt_with_other_content_under_a_known_id_is_refused():
    import_prompts(jsonl(SINGLE))
    changed = {**SINGLE, "prompt": "Something else"}
    with pytest.raises(ImportFileError) as exc_info:
        import_prompts(jsonl(changed))
    assert error_of(exc_info) == (1, "id")


BAD_PROMPT_FILES = [
    ("not json", jsonl(SINGLE, "{not json"), (2, None), "not valid JSON"),
    (
        "missing field",
        jsonl(SINGLE, {"id": "x", "prompt": "hi"}),
        (2, "categories"),
        "missing",
    ),
    (
        "unknown role",
        jsonl({**MULTI, "turns": [{"role": "robot", "content": "hi"}]}),
        (1, "turns[0].role"),
        "unknown role",
    ),
    (
        "a role of a page of text (the message quoted all of it)",
        jsonl({**MULTI, "turns": [{"role": "r" * 100_000, "content": "hi"}]}),
        (1, "turns[0].role"),
        "unknown role 'rrrr",
    ),
    (
        "three categories",
        jsonl({**MULTI, "categories": ["a", "b", "c"]}),
        (1, "categories"),
        "one or two categories",
    ),
    (
        "multi-turn not ending with a user turn",
        jsonl({**MULTI, "turns": MULTI["turns"][:3]}),
        (1, "turns"),
        "last turn must be a user turn",
    ),
    ("duplicate id", jsonl(SINGLE, MULTI, SINGLE), (3, "id"), "duplicate of line 1"),
    ("empty file", b"  \n", (1, None), "empty"),
    (
        "unknown collection method",
        jsonl({**MULTI, "collection_method": "magic"}),
        (1, "collection_method"),
        "unknown method",
    ),
    (
        "a collection method that is a list (it was a 500: unhashable)",
        jsonl({**MULTI, "collection_method": ["chatgpt"]}),
        (1, "collection_method"),
        "expected a string",
    ),
    (
        "a collection method of a page of text (the message quoted all of it)",
        jsonl({**MULTI, "collection_method": "m" * 100_000}),
        (1, "collection_method"),
        "longer than 200 characters",
    ),
    ("not an object", jsonl(SINGLE, "[1, 2]"), (2, None), "JSON object"),
    (
        "a turn with more than role and content (it was dropped without a word)",
        jsonl({**MULTI, "turns": [{**MULTI["turns"][0], "name": "bob"}]}),
        (1, "turns[0].name"),
        "a turn has a role and content, nothing else",
    ),
    (
        "a key both a field and in metadata (one value was lost)",
        jsonl(SINGLE, {**MULTI, "metadata": {"x": 1}, "x": 2}),
        (2, "x"),
        "given both as a field and in metadata",
    ),
    (
        "two categories on a single-turn prompt",
        jsonl({"id": "s", "prompt": "Hi", "categories": ["a", "b"]}),
        (1, "categories"),
        None,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "where", "words"),
    [case[1:] for case in BAD_PROMPT_FILES],
    ids=[case[0] for case in BAD_PROMPT_FILES],
)
def test_bad_prompt_file_names_line_and_field_and_stores_nothing(data, where, words):
    with pytest.raises(ImportFileError) as exc_info:
        import_prompts(data)
    assert error_of(exc_info) == where
    if words:
        assert words in str(exc_info.value)
    assert len(str(exc_info.value)) < 300
    assert Prompt.objects.count() == 0
    assert PromptSet.objects.count() == 0


@pytest.mark.django_db
def test_bad_csv_column_is_named():
    with pytest.raises(ImportFileError) as exc_info:
        import_prompts(b"id,prompt\n1,hello\n", "p.csv")
    assert error_of(exc_info) == (1, "category")
    assert Prompt.objects.count() == 0


@pytest.mark.django_db
def test_a_csv_row_without_its_category_names_the_column():
    """A short row lacks the ``category`` cell: the error names the field and the
    CSV's column (``categories`` alone read as a column the file should have)."""
    with pytest.raises(ImportFileError) as exc_info:
        import_prompts(b"id,prompt,category\nc1,x\n", "p.csv")
    assert error_of(exc_info) == (2, "categories")
    assert "or give 'category'" in str(exc_info.value)
    assert Prompt.objects.count() == 0


@pytest.mark.django_db
@override_settings(EVALSITE_MAX_UPLOAD_BYTES=100)
def test_file_over_the_size_limit_is_refused():
    with pytest.raises(ImportFileError, match="over the size limit of 100 bytes"):
        import_prompts(jsonl(SINGLE, MULTI))
    assert Prompt.objects.count() == 0


def generation_rows():
    return [
        {
            "prompt_id": "p1",
            "model": "model-x",
            "text": "Paris.",
            "completion_tokens": 2,
        },
        {"prompt_id": "p2", "model": "model-x", "text": "Steam rises"},
        {"prompt_id": "p1", "model": "model-y", "text": "It is Paris."},
    ]


def import_generations(data: bytes, name: str = "gens.jsonl"):
    return generations_import(prompt_set_name="set", file_name=name, data=data)


@pytest.mark.django_db
def test_generation_import_creates_models_and_is_idempotent():
    import_prompts(jsonl(SINGLE, MULTI))
    result = import_generations(jsonl(*generation_rows()))
    assert result.created == 3
    assert set(ChatModel.objects.values_list("name", flat=True)) == {
        "model-x",
        "model-y",
    }
    assert ChatModel.objects.get(name="model-x").backend == ChatModel.Backend.IMPORTED
    generation = Generation.objects.get(
        prompt__external_id="p1", chat_model__name="model-x"
    )
    assert (generation.status, generation.source) == ("done", "imported")
    assert generation.completion_tokens == 2
    again = import_generations(jsonl(*generation_rows()))
    assert (again.created, again.unchanged) == (0, 3)
    assert Generation.objects.count() == 3


@pytest.mark.django_db
def test_generation_import_reads_csv():
    import_prompts(jsonl(SINGLE))
    result = import_generations(
        b'prompt_id,model,text\np1,m,"Paris, France."\n', "g.csv"
    )
    assert result.created == 1
    assert Generation.objects.get().text == "Paris, France."


@pytest.mark.django_db
def test_an_empty_text_cell_is_a_model_that_answered_nothing_as_in_jsonl():
    """JSONL's "text": "" was accepted and CSV's empty cell refused as missing (a
    new-user pass); other empty cells are still values left out, and a row of
    empty cells is skipped like a blank line."""
    import_prompts(jsonl(SINGLE))
    result = import_generations(b"prompt_id,model,text\np1,m,\n,,\n", "g.csv")
    assert result.created == 1
    assert Generation.objects.get().text == ""
    with pytest.raises(ImportFileError) as exc_info:
        import_generations(b"prompt_id,model,text\np1,,Paris\n", "g.csv")
    assert error_of(exc_info) == (2, "model")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        (lambda rows: rows[1].update(prompt_id="nope"), (2, "prompt_id")),
        (lambda rows: rows[2].pop("text"), (3, "text")),
        (lambda rows: rows[0].update(completion_tokens=-4), (1, "completion_tokens")),
        (lambda rows: rows.append(dict(rows[0])), (4, "model")),
        (lambda rows: rows[0].update(model=""), (1, "model")),
        (lambda rows: rows[1].update(metadata={"seed": 1}, seed=2), (2, "seed")),
    ],
    ids=[
        "unknown prompt id",
        "missing text",
        "negative tokens",
        "duplicate",
        "no model",
        "a key both a field and in metadata",
    ],
)
def test_bad_generation_file_names_line_and_field_and_stores_nothing(mutate, where):
    import_prompts(jsonl(SINGLE, MULTI))
    rows = generation_rows()
    mutate(rows)
    with pytest.raises(ImportFileError) as exc_info:
        import_generations(jsonl(*rows))
    assert error_of(exc_info) == where
    assert Generation.objects.count() == 0
    assert ChatModel.objects.count() == 0


@pytest.mark.django_db
def test_import_commands_report_counts_and_errors(tmp_path, capsys):
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_bytes(jsonl(SINGLE, MULTI))
    call_command("import_prompts", str(prompts), "--prompt-set", "cmd")
    assert "2 created, 0 unchanged" in capsys.readouterr().out
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(jsonl(SINGLE, {"id": "z", "prompt": "hi", "category": "x"}, "oops"))
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_prompts", str(bad), "--prompt-set", "other")
    assert "line 3: not valid JSON" in capsys.readouterr().err
    assert not PromptSet.objects.filter(name="other").exists()
    gens = tmp_path / "gens.jsonl"
    gens.write_bytes(jsonl(*generation_rows()))
    call_command("import_generations", str(gens), "--prompt-set", "cmd")
    assert Generation.objects.filter(prompt__prompt_set__name="cmd").count() == 3
