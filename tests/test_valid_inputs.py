"""Valid uploads at the edges are accepted: line separators inside JSON strings, a
UTF-8 byte order mark, CRLF line ends, and values at the documented limits."""

import json

import pytest
from django.contrib.auth import get_user_model

from annotations.models import Evaluation, Rating
from annotations.services.imports import ratings_import
from evalsite.imports import limits
from evalsite.imports.reader import ImportFileError
from generations.models import ChatModel, Generation, Prompt
from generations.services.imports import generations_import, prompts_import

SEPARATORS = "one\u2028two\u2029three\u0085four"
BOM = b"\xef\xbb\xbf"


def jsonl(*rows, ensure_ascii: bool = True, end: str = "\n") -> bytes:
    return end.join(json.dumps(row, ensure_ascii=ensure_ascii) for row in rows).encode()


def prompts(data: bytes, file_name: str = "p.jsonl"):
    return prompts_import(prompt_set_name="set", file_name=file_name, data=data)


@pytest.fixture
def answered(db):
    """Prompts p1 and p2, each answered by cand and base."""
    prompts(
        jsonl(*({"id": f"p{i}", "prompt": f"Q{i}?", "category": "x"} for i in (1, 2)))
    )
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=jsonl(
            *(
                {"prompt_id": f"p{i}", "model": m, "text": f"{m} {i}"}
                for i in (1, 2)
                for m in ("cand", "base")
            )
        ),
    )


def rating(**changes) -> dict:
    row = {"prompt_id": "p1", "model_a": "cand", "model_b": "base"}
    return {**row, "annotator": "rater", "choice": 1, **changes}


def ratings(data: bytes, file_name: str = "r.jsonl"):
    return ratings_import(
        prompt_set_name="set",
        evaluation_name="ev",
        scale="seven",
        file_name=file_name,
        data=data,
    )


@pytest.mark.django_db
def test_line_separators_inside_json_strings_are_text_not_line_ends():
    data = jsonl(
        {"id": "a", "prompt": SEPARATORS, "category": "x"},
        {"id": "b", "prompt": "Plain?", "category": "x"},
        ensure_ascii=False,
    )
    assert "\u2028".encode() in data  # raw, not escaped
    assert prompts(data).created == 2
    stored = Prompt.objects.get(external_id="a")
    assert stored.turns == [{"role": "user", "content": SEPARATORS}]


@pytest.mark.django_db
def test_line_separators_in_responses_and_comments(answered):
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=jsonl(
            {"prompt_id": "p1", "model": "third", "text": SEPARATORS},
            ensure_ascii=False,
        ),
    )
    assert Generation.objects.get(chat_model__name="third").text == SEPARATORS
    ratings(jsonl(rating(comment=SEPARATORS), ensure_ascii=False))
    assert Rating.objects.get().comment == SEPARATORS


@pytest.mark.django_db
def test_utf8_with_a_byte_order_mark_is_accepted_as_jsonl_and_csv():
    assert prompts(BOM + jsonl({"id": "a", "prompt": "A?", "category": "x"})).created
    csv = BOM + b"id,prompt,category\r\nb,B?,x\r\n"
    assert prompts(csv, "p.csv").created == 1
    assert set(Prompt.objects.values_list("external_id", flat=True)) == {"a", "b"}


@pytest.mark.django_db
def test_crlf_line_ends_are_accepted():
    data = jsonl(
        {"id": "a", "prompt": "A?", "category": "x"},
        {"id": "b", "prompt": "B?", "category": "x"},
        end="\r\n",
    )
    assert prompts(data).created == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            '{"id": "a", "prompt": "A?", "category": "x"}'.encode("utf-16"),
            "line 1: the file is UTF-16 text; save it as UTF-8",
            id="utf-16",
        ),
        pytest.param(
            '{"id": "a", "prompt": "A?", "category": "x"}'.encode("utf-16-le"),
            "line 1: the file looks like UTF-16 or UTF-32 text; save it as UTF-8",
            id="utf-16-without-bom",
        ),
        pytest.param(
            '{"id": "a", "prompt": "A?", "category": "x"}'.encode("utf-32-be"),
            "line 1: the file looks like UTF-16 or UTF-32 text; save it as UTF-8",
            id="utf-32-without-bom",
        ),
        pytest.param(
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00",  # a zip file (xlsx) begins so
            "line 1: the file is not text but binary (a spreadsheet or an "
            "archive?); save it as UTF-8 text, CSV or JSON Lines",
            id="binary",
        ),
        pytest.param(
            bytes([7, 0, 0, 200, 13, 99]),
            "line 1: the file is not text but binary (a spreadsheet or an "
            "archive?); save it as UTF-8 text, CSV or JSON Lines",
            id="random-bytes",
        ),
        pytest.param(
            b'{"id": "a", "prompt": "A?", "category": "x"}\n'
            b'{"id": "b", "prompt": "Caf\xe9?", "category": "x"}',
            "line 2: not valid UTF-8 text (byte 0xe9 at column 27); save the file "
            "as UTF-8",
            id="latin-1",
        ),
    ],
)
def test_other_encodings_are_refused_naming_the_line(data, message):
    with pytest.raises(ImportFileError) as caught:
        prompts(data)
    assert str(caught.value) == message
    assert Prompt.objects.count() == 0


@pytest.mark.django_db
def test_values_at_the_limits_are_accepted(answered):
    name = "m" * limits.MAX_NAME_CHARS
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=jsonl(
            {
                "prompt_id": "p1",
                "model": name,
                "text": "t" * limits.MAX_TEXT_CHARS,
                "prompt_tokens": limits.MAX_INT,
                "completion_tokens": limits.MAX_INT,
                "metadata": _nested(limits.MAX_DEPTH),
            }
        ),
    )
    generation = Generation.objects.get(chat_model__name=name)
    assert generation.prompt_tokens == generation.completion_tokens == 2**31 - 1
    assert len(generation.text) == limits.MAX_TEXT_CHARS

    long_id = "i" * limits.MAX_NAME_CHARS
    prompts(
        jsonl(
            {
                "id": long_id,
                "turns": [
                    {"role": "system", "content": "s"},
                    *(
                        {"role": "user" if i % 2 == 0 else "assistant", "content": "x"}
                        for i in range(limits.MAX_TURNS - 2)
                    ),
                    {"role": "user", "content": "y" * limits.MAX_TEXT_CHARS},
                ],
                "categories": ["c" * limits.MAX_NAME_CHARS, "x"],
            }
        )
    )
    assert Prompt.objects.get(external_id=long_id).num_turns == limits.MAX_TURNS // 2

    annotator = "a" * limits.MAX_USERNAME_CHARS
    result = ratings(
        jsonl(
            rating(
                annotator=annotator,
                comment="c" * limits.MAX_COMMENT_CHARS,
                pair_id="q" * limits.MAX_NAME_CHARS,
                seconds=limits.MAX_SECONDS,
                created_at="2024-02-29T23:59:59+14:00",
            ),
            rating(prompt_id="p2", seconds=0),
        )
    )
    assert result.created == 2
    assert get_user_model().objects.filter(username=annotator).exists()
    assert ChatModel.objects.filter(name=name).exists()


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


@pytest.mark.django_db
def test_the_evaluation_api_accepts_the_maximum_annotators_per_pair(
    client, admin_user, answered
):
    client.force_login(admin_user)
    response = client.post(
        "/api/evaluations/",
        {
            "name": "e" * limits.MAX_NAME_CHARS,
            "prompt_set": "set",
            "candidate": "cand",
            "baseline": "base",
            "annotators_per_pair": limits.MAX_ANNOTATORS_PER_PAIR,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    evaluation = Evaluation.objects.get()
    assert evaluation.annotators_per_pair == limits.MAX_ANNOTATORS_PER_PAIR
