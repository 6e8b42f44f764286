"""The ratings import's PostgreSQL path (COPY into a staging table, set-based SQL)
stores what the portable ORM path stores and refuses what it refuses; a file
imported before is not stored again; the file is read as a stream, in batches."""

import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from annotations.models import Comparison, Evaluation, Rating
from annotations.services import imports, rating_rows
from annotations.services.imports import ratings_import
from evalsite.imports.reader import ImportFileError
from generations.services.imports import generations_import, prompts_import

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="compares with the PostgreSQL path"
)
MODELS = ("cand", "base", "third")


def jsonl(rows) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


@pytest.fixture
def prompt_set(db):
    prompts_import(
        prompt_set_name="set",
        file_name="p.jsonl",
        data=jsonl(
            {"id": f"p{i}", "prompt": f"Q {i}?", "category": "x"} for i in range(6)
        ),
    )
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=jsonl(
            {"prompt_id": f"p{i}", "model": m, "text": f"{m} {i}"}
            for i in range(6)
            for m in MODELS
        ),
    )


def _ratings() -> list[dict]:
    """A tournament: every pair of models on every prompt, two or three annotators,
    both orders, some lines naming the candidate, a time, seconds or a comment."""
    rows = []
    for i in range(6):
        for index, (a, b) in enumerate(
            (("cand", "base"), ("third", "cand"), ("base", "third"))
        ):
            for k in range(2 + (i + index) % 2):
                row = {"prompt_id": f"p{i}", "model_a": a, "model_b": b}
                if k == 1:
                    row = {**row, "model_a": b, "model_b": a, "seconds": 3.5 * i}
                if (i + k) % 3 == 0:
                    row["candidate"] = b
                if k == 2:
                    row |= {"created_at": "2024-05-01T12:00:00Z", "comment": "close"}
                rows.append(
                    {**row, "annotator": f"ann-{k}-{i % 2}", "choice": (i + k) % 7 - 3}
                )
    return rows


def _run(path: str, data, evaluation: str, monkeypatch, **extra):
    staged = ("postgresql",) if path == "staged" else ()
    monkeypatch.setattr(imports, "STAGED_VENDORS", staged)
    return ratings_import(
        prompt_set_name="set",
        evaluation_name=evaluation,
        scale="seven",
        file_name="r.jsonl",
        data=data,
        **extra,
    )


def _stored(evaluation: str) -> tuple[set, set]:
    comparisons = {
        (
            c.prompt.external_id,
            c.candidate_generation.chat_model.name,
            c.baseline_generation.chat_model.name,
            c.external_id,
            c.stage,
        )
        for c in Comparison.objects.filter(evaluation__name=evaluation)
    }
    ratings = set(
        Rating.objects.filter(comparison__evaluation__name=evaluation).values_list(
            "comparison__prompt__external_id",
            "comparison__candidate_generation__chat_model__name",
            "annotator__username",
            "choice",
            "candidate_on_left",
            "score",
            "seconds",
            "comment",
            "source",
        )
    )
    return comparisons, ratings


def test_the_staged_path_stores_what_the_portable_path_stores(prompt_set, monkeypatch):
    data = jsonl(_ratings())
    results = {
        path: _run(path, data, path, monkeypatch).as_dict()
        for path in ("staged", "portable")
    }
    assert results["staged"] == {**results["portable"], "evaluation": "staged"}
    assert results["staged"]["created"] == len(_ratings())
    assert _stored("staged") == _stored("portable")
    staged, portable = (Evaluation.objects.get(name=n) for n in ("staged", "portable"))
    assert (staged.kind, staged.candidate_id) == (portable.kind, portable.candidate_id)
    assert set(staged.chat_models.all()) == set(portable.chat_models.all())


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda rows: rows[3].update(prompt_id="nope"), id="prompt"),
        pytest.param(lambda rows: rows[4].update(model_b="nobody"), id="model"),
        pytest.param(lambda rows: rows.append(dict(rows[2])), id="duplicate"),
        pytest.param(lambda rows: rows[5].update(choice=9), id="choice"),
    ],
)
def test_both_paths_refuse_a_bad_file_alike(prompt_set, monkeypatch, change):
    rows = _ratings()
    change(rows)
    errors = {}
    for path in ("staged", "portable"):
        with pytest.raises(ImportFileError) as caught:
            _run(path, jsonl(rows), path, monkeypatch)
        errors[path] = [error.as_dict() for error in caught.value.errors]
    assert errors["staged"] == errors["portable"]
    assert errors["staged"]
    assert not Rating.objects.exists()
    assert not Evaluation.objects.exists()


def test_both_paths_name_each_line_rating_a_third_model_in_a_head_to_head(
    prompt_set, monkeypatch
):
    """Into an existing head-to-head (cand vs base), lines rating "third" are named
    with the field that holds it; the error named no line (a new-user pass)."""
    rows = [r for r in _ratings() if {r["model_a"], r["model_b"]} == {"cand", "base"}]
    for path in ("staged", "portable"):
        _run(path, jsonl(rows[:2]), path, monkeypatch)
    more = [
        *rows[2:4],
        {**rows[4], "model_a": "third"},
        {**rows[5], "model_b": "third", "model_a": "cand"},
    ]
    errors = {}
    for path in ("staged", "portable"):
        with pytest.raises(ImportFileError) as caught:
            _run(path, jsonl(more), path, monkeypatch)
        errors[path] = [error.as_dict() for error in caught.value.errors]
    first = Evaluation.objects.get(name="staged")
    message = (
        "not one of this head-to-head's two models "
        f"({first.candidate.name!r} and {first.baseline.name!r})"
    )
    assert (
        errors["staged"]
        == errors["portable"]
        == [
            {"line": 3, "field": "model_a", "message": message},
            {"line": 4, "field": "model_b", "message": message},
        ]
    )
    assert Rating.objects.count() == 4


def test_both_paths_refuse_a_changed_rating_alike(prompt_set, monkeypatch):
    rows = _ratings()
    for path in ("staged", "portable"):
        _run(path, jsonl(rows[:10]), path, monkeypatch)
    rows[7]["choice"] = -rows[7]["choice"] or 1
    errors = {}
    for path in ("staged", "portable"):
        with pytest.raises(ImportFileError) as caught:
            _run(path, jsonl(rows), path, monkeypatch)
        errors[path] = [error.as_dict() for error in caught.value.errors]
    assert (
        errors["staged"]
        == errors["portable"]
        == [
            {
                "line": 8,
                "field": "choice",
                "message": f"{rows[7]['annotator']!r} already has another rating of this pair",
            }
        ]
    )
    assert Rating.objects.count() == 20


@pytest.mark.parametrize("path", ["staged", "portable"])
def test_an_unchanged_file_is_not_stored_again(prompt_set, monkeypatch, path):
    data = jsonl(_ratings())
    first = _run(path, data, "ev", monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        again = _run(path, io.BytesIO(data), "ev", monkeypatch)
    assert (again.created, again.unchanged) == (0, first.created)
    assert again.details == first.details
    # The lookup of the file's hash, in its transaction, and the ratings' state.
    assert len(queries) <= 4
    assert not [
        q
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
    ]
    # A file with one more rating is read and stored.
    more = [
        *_ratings(),
        {
            "prompt_id": "p0",
            "model_a": "cand",
            "model_b": "base",
            "annotator": "new",
            "choice": 1,
        },
    ]
    result = _run(path, jsonl(more), "ev", monkeypatch)
    assert (result.created, result.unchanged) == (1, first.created)


@pytest.mark.parametrize("path", ["staged", "portable"])
def test_an_unchanged_file_restores_a_deleted_rating(prompt_set, monkeypatch, path):
    data = jsonl(_ratings())
    first = _run(path, data, "ev", monkeypatch)
    Rating.objects.filter(comparison__evaluation__name="ev").order_by(
        "id"
    ).first().delete()
    again = _run(path, data, "ev", monkeypatch)
    assert (again.created, again.unchanged) == (1, first.created - 1)
    assert Rating.objects.filter(comparison__evaluation__name="ev").count() == (
        first.created
    )
    # Now as the import left it: the shortcut again.
    with CaptureQueriesContext(connection) as queries:
        third = _run(path, data, "ev", monkeypatch)
    assert (third.created, third.unchanged) == (0, first.created)
    assert len(queries) <= 4


@pytest.mark.parametrize("path", ["staged", "portable"])
def test_an_unchanged_file_after_a_rating_was_edited_is_checked_again(
    prompt_set, monkeypatch, path
):
    data = jsonl(_ratings())
    _run(path, data, "ev", monkeypatch)
    rating = Rating.objects.filter(comparison__evaluation__name="ev").first()
    Rating.objects.filter(pk=rating.pk).update(comment="edited in the admin")

    def read_again(**kwargs):
        raise RuntimeError("the file is read again")

    monkeypatch.setattr(imports, "iter_records", read_again)
    with pytest.raises(RuntimeError, match="read again"):
        _run(path, data, "ev", monkeypatch)


@pytest.mark.parametrize("path", ["staged", "portable"])
def test_a_file_object_is_read_in_batches_with_progress(prompt_set, monkeypatch, path):
    monkeypatch.setattr(rating_rows, "BATCH_ROWS", 7)
    rows = _ratings()
    counts = []
    result = _run(
        path, io.BytesIO(jsonl(rows)), "ev", monkeypatch, progress=counts.append
    )
    assert result.created == len(rows)
    assert counts == [*range(7, len(rows), 7), len(rows)]


@pytest.mark.parametrize("path", ["staged", "portable"])
def test_a_candidate_other_than_the_evaluation_s_is_refused(
    prompt_set, monkeypatch, path
):
    """The candidate option names the candidate of the head-to-head an import
    creates; into an existing one it was ignored without a word, even when it named
    the other model (a new-user pass). Also for the same file again, which is
    otherwise not read a second time."""
    rows = [r for r in _ratings() if {r["model_a"], r["model_b"]} == {"cand", "base"}]
    data = jsonl(rows[:3])
    _run(path, data, "h2h", monkeypatch, candidate_name="cand")
    assert _run(path, data, "h2h", monkeypatch, candidate_name="cand").created == 0
    for again in (data, jsonl(rows[3:5])):
        with pytest.raises(ImportFileError) as caught:
            _run(path, again, "h2h", monkeypatch, candidate_name="base")
        [error] = caught.value.errors
        assert (error.line, error.field) == (None, "candidate")
        assert "its candidate is 'cand'" in error.message
    assert Rating.objects.count() == 3
