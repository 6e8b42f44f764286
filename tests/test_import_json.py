"""The import's fast JSON paths give what Python's json gives.

Clean JSONL lines are parsed by orjson (``record_values.clean_object``) and jsonb values
written by orjson (``import_sql.json_text``); Python's json stays the reference:
on any line orjson may read differently the fast path declines and the checks
name the problem as before.
"""

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalsite.imports import record_values
from evalsite.imports.limits import MAX_DEPTH
from evalsite.imports.reader import ImportFileError, read_records
from generations.services.import_sql import json_text

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(st.characters(codec=None, exclude_categories=()))  # surrogates too
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _typed(value):
    """A value with each number's type kept: 1 and 1.0 (and -0.0) differ."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    if isinstance(value, float):
        return ("float", math.copysign(1, value), repr(value))
    return (type(value).__name__, value)


def _accepted(value: dict) -> bool:
    """Whether the reference checks (Python's json and record_check) accept it."""
    try:
        record_values.record_check(value)
    except record_values.FieldError:
        return False
    return True


@given(st.dictionaries(st.text(max_size=8), VALUES, max_size=6), st.booleans())
def test_a_clean_line_reads_as_pythons_json_reads_it(record, ascii_only):
    line = json.dumps(record, ensure_ascii=ascii_only)
    reference = json.loads(line)
    fast = record_values.clean_object(line)
    if fast is None:
        return  # declined: the reference path reads it, as before
    assert _accepted(reference)
    assert _typed(fast) == _typed(reference)


@given(st.dictionaries(st.text(max_size=8), SCALARS, max_size=6), st.booleans())
def test_the_fast_path_declines_only_what_it_must(record, ascii_only):
    """Flat records of JSON's own values are taken by the fast path unless they
    hold something the checks refuse or a number orjson may read otherwise."""
    line = json.dumps(record, ensure_ascii=ascii_only)
    reference = json.loads(line)
    awkward = any(
        (isinstance(value, int) and not -(2**63) <= value < 2**64)
        or (isinstance(value, float) and not abs(value) < 2**63)
        for value in reference.values()
    )
    if _accepted(reference) and not awkward:
        assert record_values.clean_object(line) == reference


@pytest.mark.parametrize(
    "line",
    [
        '{"a": NaN}',
        '{"a": -Infinity}',
        '{"a": 1e400}',
        '{"a": 18446744073709551616}',  # 2**64: a float to orjson
        '{"a": -9223372036854775809}',
        '{"a": 12345678901234567890123}',
        '{"a": "\\ud800"}',  # a lone surrogate: Python's json reads it
        '{"a\\udc00": 1}',
        '{"a": "\\u0000"}',
        '{"a\\u0000": 1}',
        '{"a": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}",
        '["not", "an", "object"]',
        '{"a": 1',
        "\ufeff{}",
    ],
)
def test_the_fast_path_leaves_awkward_lines_to_pythons_json(line):
    assert record_values.clean_object(line) is None


def test_large_integers_keep_every_digit():
    """The reader's value for a 2**64 integer is Python's json's, not a float."""
    line = '{"id": "p1", "big": 18446744073709551616, "small": -9223372036854775809}'
    assert record_values.clean_object(line) is None
    assert json.loads(line)["big"] == 2**64


@given(VALUES)
def test_jsonb_text_reads_back_as_the_value(value):
    """What json_text writes means the value Python's json would have written."""
    try:
        reference = json.dumps(value)
    except ValueError:
        return
    if not all(
        not isinstance(item, float) or math.isfinite(item) for item in _leaves(value)
    ):
        return  # refused by the checks before anything is written
    written = json_text(value)
    assert _typed(json.loads(written)) == _typed(json.loads(reference))


def _leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def test_jsonb_text_falls_back_for_what_orjson_refuses():
    assert json.loads(json_text({"n": 2**64})) == {"n": 2**64}
    assert json_text(["\ud800"]) == json.dumps(["\ud800"])


@pytest.mark.parametrize("line", [b'{"id":\x00"x"}', b'{"id": "a\x00b"}'])
def test_a_raw_nul_byte_on_a_json_line_is_named(line):
    """It read "not valid JSON (Expecting value: character 7)", which does not
    say what is there."""
    with pytest.raises(ImportFileError) as caught:
        read_records(file_name="f.jsonl", data=line + b"\n")
    [(number, field, message)] = [
        (e.line, e.field, e.message) for e in caught.value.errors
    ]
    assert (number, field) == (1, None)
    assert message == f"not valid JSON (a NUL byte at character {line.index(0) + 1})"
