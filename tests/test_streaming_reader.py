"""The import reader streams: a file read in small pieces gives the records that
the whole file gives, and reading holds one line at a time, whatever the size."""

import csv
import io
import json
import tempfile
import tracemalloc

import pytest

from evalsite.imports.reader import ImportFileError, iter_records, read_records

ROWS = [
    {"id": f"p{index}", "prompt": f"Question {index}\u2028with a separator?"}
    for index in range(200)
]


def _jsonl(rows, end="\n") -> bytes:
    return "".join(json.dumps(row) + end for row in rows).encode()


def _pieces(data: bytes, size: int) -> io.BufferedReader:
    """A file object that reads ``size`` bytes at a time from below."""
    return io.BufferedReader(io.BytesIO(data), buffer_size=size)


@pytest.mark.parametrize("size", [1, 7, 4096])
@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_jsonl_read_in_pieces_gives_the_records_of_the_whole_file(size, end):
    data = b"\xef\xbb\xbf" + _jsonl(ROWS[:50], end) + b"\n\n" + _jsonl(ROWS[50:], end)
    streamed = list(iter_records(file_name="p.jsonl", source=_pieces(data, size)))
    assert streamed == read_records(file_name="p.jsonl", data=data)
    assert [record.data for record in streamed] == ROWS
    assert [record.line for record in streamed] == [*range(1, 51), *range(53, 203)]


@pytest.mark.parametrize("size", [1, 5, 4096])
def test_csv_read_in_pieces_gives_the_records_of_the_whole_file(size):
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(["id", "prompt"])
    for row in ROWS:
        writer.writerow([row["id"], row["prompt"] + "\nsecond line"])
    data = text.getvalue().encode()
    records = list(iter_records(file_name="p.csv", source=_pieces(data, size)))
    # Each record spans two lines of the file; the line named is where it starts.
    assert [record.line for record in records] == list(range(2, 2 * len(ROWS) + 1, 2))
    assert [record.data["prompt"] for record in records] == [
        row["prompt"] + "\nsecond line" for row in ROWS
    ]


def test_errors_name_the_line_when_read_in_pieces():
    data = _jsonl(ROWS[:3]) + b"{not json\n" + _jsonl(ROWS[3:5]) + b"[1]\n"
    with pytest.raises(ImportFileError) as caught:
        list(iter_records(file_name="p.jsonl", source=_pieces(data, 3)))
    assert [(error.line, error.message) for error in caught.value.errors] == [
        (
            4,
            "not valid JSON (Expecting property name enclosed in double quotes: "
            "character 2)",
        ),
        (7, "expected a JSON object"),
    ]


def test_a_json_error_says_where_in_the_line():
    data = _jsonl(ROWS[:1]) + b'{"id": "p9", "prompt": "unterminated\n'
    with pytest.raises(ImportFileError) as caught:
        list(iter_records(file_name="p.jsonl", source=data))
    assert [(error.line, error.message) for error in caught.value.errors] == [
        (2, "not valid JSON (Unterminated string starting at: character 24)"),
    ]


@pytest.mark.parametrize("name", ["p.json", "p.jsonl", "p"])
@pytest.mark.parametrize("indent", [None, 2])
def test_a_json_array_is_one_error_saying_what_the_file_should_be(name, indent):
    """A pretty-printed array gave one cryptic error a line ("Expecting value")."""
    data = b"\n" + json.dumps(ROWS[:3], indent=indent).encode()
    with pytest.raises(ImportFileError) as caught:
        list(iter_records(file_name=name, source=_pieces(data, 5)))
    [error] = caught.value.errors
    assert error.line == 2
    assert error.message.startswith("this is a JSON array; the import reads JSON Lines")


@pytest.mark.parametrize(
    ("raw", "word"),
    [("NaN", "NaN"), ("Infinity", "Infinity"), ("-Infinity", "-Infinity")],
)
def test_nan_in_any_field_is_named_as_what_json_lacks(raw, word):
    """A text field said "expected a finite number, got nan"."""
    data = b'{"id": "r21", "prompt": ' + raw.encode() + b', "category": "x"}\n'
    with pytest.raises(ImportFileError) as caught:
        list(iter_records(file_name="p.jsonl", source=data))
    [error] = caught.value.errors
    assert (error.line, error.field) == (1, "prompt")
    assert error.message == f"{word} is not a JSON value"


def test_progress_counts_the_records_read(monkeypatch):
    monkeypatch.setattr("evalsite.imports.reader.PROGRESS_EVERY", 64)
    counts = []
    list(iter_records(file_name="p.jsonl", source=_jsonl(ROWS), progress=counts.append))
    assert counts == [64, 128, 192, 200]


def _peak_bytes_reading(records: int) -> int:
    """Peak memory allocated while reading a generated file of ``records`` lines."""
    with tempfile.TemporaryFile() as file:
        for start in range(0, records, 1000):
            file.write(
                _jsonl(
                    {"id": f"p{index}", "prompt": "x" * 100}
                    for index in range(start, min(start + 1000, records))
                )
            )
        file.seek(0)
        tracemalloc.start()
        try:
            read = sum(1 for _ in iter_records(file_name="p.jsonl", source=file))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert read == records
    return peak


def test_memory_does_not_grow_with_the_file(settings):
    settings.EVALSITE_MAX_UPLOAD_BYTES = 1 << 30
    small = _peak_bytes_reading(2_000)
    large = _peak_bytes_reading(100_000)  # 13 MB
    assert large < 256 * 1024
    assert large < 2 * small + 64 * 1024
