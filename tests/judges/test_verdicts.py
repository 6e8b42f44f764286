"""The verdict vocabulary, schema and strict parsers (pure: no database)."""

import json

import pytest

from judges import verdicts
from judges.verdicts import parse, parse_json, parse_text


def test_vocabulary_of_each_scale_from_a_best_to_b_best():
    assert verdicts.tokens("three") == {"A": 1, "C": 0, "B": -1}
    assert verdicts.tokens("seven") == {
        "A>>>": 3,
        "A>>": 2,
        "A>": 1,
        "C": 0,
        "B>": -1,
        "B>>": -2,
        "B>>>": -3,
    }
    assert verdicts.tokens("preference") == {
        "A>>>>": 4,
        "A>>>": 3,
        "A>>": 2,
        "A>": 1,
        "B>": -1,
        "B>>": -2,
        "B>>>": -3,
        "B>>>>": -4,
    }
    meanings = {token: meaning for token, _, meaning in verdicts.vocabulary("seven")}
    assert meanings["A>>>"] == "A is much better"
    assert meanings["C"] == "About the same"
    assert meanings["B>"] == "B is slightly better"


def test_likert_has_no_verdicts():
    with pytest.raises(ValueError, match="likert"):
        verdicts.vocabulary("likert")


def test_schema_is_one_required_enum_field():
    schema = verdicts.json_schema("three")
    assert schema == {
        "type": "object",
        "properties": {"verdict": {"type": "string", "enum": ["A", "C", "B"]}},
        "required": ["verdict"],
        "additionalProperties": False,
    }
    fmt = verdicts.response_format("seven")
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == "verdict"
    assert fmt["json_schema"]["schema"]["properties"]["verdict"]["enum"][0] == "A>>>"


@pytest.mark.parametrize(
    ("scale", "reply", "choice"),
    [
        ("three", '{"verdict": "A"}', 1),
        ("three", '{"verdict":"C"}', 0),
        ("three", ' \n{"verdict": "B"}\n ', -1),
        ("seven", '{"verdict": "A>>>"}', 3),
        ("seven", '{"verdict": "B>>"}', -2),
        ("seven", '{"verdict": "C"}', 0),
        ("preference", '{"verdict": "B>>>>"}', -4),
        ("preference", '{"verdict": "A>"}', 1),
    ],
)
def test_json_verdicts(scale, reply, choice):
    assert parse_json(scale, reply) == choice
    assert parse("json", scale, reply) == choice


@pytest.mark.parametrize(
    ("scale", "reply"),
    [
        ("three", ""),
        ("three", "A"),
        ("three", '"A"'),
        ("three", '{"verdict": "a"}'),  # tokens are case-sensitive
        ("three", '{"verdict": " A"}'),
        ("three", '{"verdict": "A>"}'),  # a seven-point token on three points
        ("three", '{"verdict": 1}'),
        ("three", '{"verdict": null}'),
        ("three", '{"verdict": ["A"]}'),
        ("three", '{"Verdict": "A"}'),
        ("three", '{"verdict": "A", "why": "it is"}'),
        ("three", '{"verdict": "A", "verdict": "B"}'),  # two verdicts
        ("three", '{"verdict": "A", "verdict": "A"}'),
        ("three", '[{"verdict": "A"}]'),
        ("three", '{"verdict": "A"} {"verdict": "A"}'),
        ("three", '```json\n{"verdict": "A"}\n```'),
        ("three", '{"verdict": "A"'),  # cut off at max_tokens
        ("three", "[[A]]"),
        ("seven", '{"verdict": "A>>>>"}'),
        ("preference", '{"verdict": "C"}'),  # no tie on the preference scale
    ],
)
def test_json_replies_without_exactly_one_verdict_are_unparseable(scale, reply):
    assert parse_json(scale, reply) is None


@pytest.mark.parametrize(
    ("scale", "reply", "choice"),
    [
        ("three", "[[A]]", 1),
        ("three", "Assistant B is more accurate.\n\n[[B]]", -1),
        ("three", "Both are equally good. [[C]]", 0),
        ("three", "My verdict: [[A]]. Final verdict: [[A]]", 1),  # repeated
        ("seven", "A explains more. [[A>>]]", 2),
        ("seven", "[[B>>>]]", -3),
        ("seven", "About the same: [[C]]", 0),
        ("preference", "[[A>>>>]]", 4),
        ("preference", "Hard to say. [[B>]]", -1),
        ("three", "Answer [A] is fine but [[B]]", -1),  # single brackets are text
    ],
)
def test_text_verdicts(scale, reply, choice):
    assert parse_text(scale, reply) == choice
    assert parse("text", scale, reply) == choice


@pytest.mark.parametrize(
    ("scale", "reply"),
    [
        ("three", ""),
        ("three", "A is better."),
        ("three", "[A]"),
        ("three", "[[a]]"),
        ("three", "[[ A ]]"),
        ("three", "[[A]] or maybe [[B]]"),  # two different verdicts
        ("three", "[[A]] [[C]] [[A]]"),
        ("three", "[[D]]"),
        ("three", "[[A>]]"),  # a seven-point token on three points
        ("three", "[[]]"),
        ("three", "[[A"),  # cut off
        ("three", '{"verdict": "A"}'),
        ("three", "Format: [[A]], [[B]] or [[C]]. I pick [[A]]."),
        ("seven", "[[A]]"),  # a three-point token on seven points
        ("seven", "[[A>>>>]]"),
        ("seven", "[[A>>]] [[A>]]"),
        ("preference", "[[C]]"),
        ("preference", "[[A>>>>>]]"),
    ],
)
def test_text_replies_without_exactly_one_verdict_are_unparseable(scale, reply):
    assert parse_text(scale, reply) is None


def test_every_token_round_trips_in_both_formats():
    for scale in verdicts.SCALES:
        for token, choice, _ in verdicts.vocabulary(scale):
            assert parse_text(scale, f"reasons... [[{token}]]") == choice
            assert parse_json(scale, json.dumps({"verdict": token})) == choice


def test_instructions_list_each_verdict_in_its_format():
    text = verdicts.instructions("three", "text")
    assert "[[A]]: A is better" in text
    assert "[[C]]: Tie" in text
    assert "[[B]]: B is better" in text
    as_json = verdicts.instructions("seven", "json")
    assert '"A>>>": A is much better' in as_json
    assert '{"verdict": ...}' in as_json


def test_unknown_format_is_an_error():
    with pytest.raises(ValueError, match="format"):
        parse("xml", "three", "[[A]]")
