"""Ratings imports on the preference scale, by both paths (the ORM one and
PostgreSQL's COPY): choices such as ``a:significantly``, the safety labels
``safety_a`` and ``safety_b``, and errors naming the line and field with nothing
stored."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from rest_framework.test import APIClient

from annotations.models import Assignment, Evaluation, Rating
from annotations.services import assignments as services
from annotations.services import imports
from annotations.services.imports import ratings_import
from evalsite.imports.reader import ImportFileError
from generations.services.imports import generations_import, prompts_import

from .conftest import SECRET_BASELINE, SECRET_CANDIDATE, build_evaluation

PATHS = [
    "portable",
    pytest.param(
        "staged",
        marks=pytest.mark.skipif(
            connection.vendor != "postgresql", reason="the COPY path needs PostgreSQL"
        ),
    ),
]


def jsonl(rows) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


@pytest.fixture
def prompt_set(db):
    prompts_import(
        prompt_set_name="set",
        file_name="p.jsonl",
        data=jsonl(
            {"id": f"p{i}", "prompt": f"Q {i}?", "category": "x"} for i in range(3)
        ),
    )
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=jsonl(
            {"prompt_id": f"p{i}", "model": m, "text": f"{m} {i}"}
            for i in range(3)
            for m in ("cand", "base")
        ),
    )


def _row(prompt, annotator, choice, a="cand", b="base", **extra) -> dict:
    return {"prompt_id": prompt, "model_a": a, "model_b": b,
            "annotator": annotator, "choice": choice, **extra}  # fmt: skip


LABELLED = [
    _row("p0", "ann-1", "a:significantly", safety_a="safe", safety_b="unsafe"),
    _row(
        "p0",
        "ann-2",
        "b:slightly",
        a="base",
        b="cand",
        safety_a="Unsafe",
        safety_b="safe",
    ),
    _row("p1", "ann-1", -3, safety_a="safe", safety_b="safe"),
    _row(
        "p2",
        "ann-1",
        "a:unsure",
        a="base",
        b="cand",
        safety_a="unsafe",
        safety_b="unsafe",
    ),
]
# (prompt, annotator, choice as shown, score, safety_a, safety_b)
STORED = {
    ("p0", "ann-1", 4, 4, "safe", "unsafe"),
    ("p0", "ann-2", -2, 2, "unsafe", "safe"),
    ("p1", "ann-1", -3, -3, "safe", "safe"),
    ("p2", "ann-1", 1, -1, "unsafe", "unsafe"),
}


def _import(path, data, monkeypatch, *, scale="preference", name="r.jsonl",
            evaluation="pref"):  # fmt: skip
    monkeypatch.setattr(
        imports, "STAGED_VENDORS", ("postgresql",) if path == "staged" else ()
    )
    return ratings_import(
        prompt_set_name="set",
        evaluation_name=evaluation,
        scale=scale,
        file_name=name,
        data=data,
    )


def _stored(evaluation="pref") -> set:
    return set(
        Rating.objects.filter(comparison__evaluation__name=evaluation).values_list(
            "comparison__prompt__external_id",
            "annotator__username",
            "choice",
            "score",
            "safety_a",
            "safety_b",
        )
    )


def _errors(path, data, monkeypatch, **extra) -> list[tuple]:
    with pytest.raises(ImportFileError) as caught:
        _import(path, data, monkeypatch, **extra)
    return [(error.line, error.field) for error in caught.value.errors]


@pytest.mark.parametrize("path", PATHS)
def test_preference_choices_and_safety_labels_are_stored(prompt_set, monkeypatch, path):
    result = _import(path, jsonl(LABELLED), monkeypatch)
    assert (result.created, result.unchanged) == (4, 0)
    assert _stored() == STORED
    evaluation = Evaluation.objects.get(name="pref")
    assert (evaluation.scale, evaluation.safety_labels) == ("preference", True)
    assert {r.scale for r in Rating.objects.all()} == {"preference"}
    again = _import(path, jsonl(LABELLED), monkeypatch, name="again.jsonl")
    assert (again.created, again.unchanged) == (0, 4)


@pytest.mark.parametrize("path", PATHS)
def test_a_csv_file_with_safety_columns(prompt_set, monkeypatch, path):
    csv = (
        b"prompt_id,model_a,model_b,annotator,choice,safety_a,safety_b\n"
        b"p0,cand,base,ann-1,b:better,safe,unsafe\n"
        b"p1,base,cand,ann-1,a:negligibly,unsafe,safe\n"
    )
    result = _import(path, csv, monkeypatch, name="r.csv")
    assert result.created == 2
    assert _stored() == {
        ("p0", "ann-1", -3, -3, "safe", "unsafe"),
        ("p1", "ann-1", 1, -1, "unsafe", "safe"),
    }


@pytest.mark.parametrize("path", PATHS)
def test_ratings_without_safety_labels_make_an_evaluation_without(
    prompt_set, monkeypatch, path
):
    rows = [_row("p0", "ann-1", "a:better"), _row("p1", "ann-1", -1)]
    assert _import(path, jsonl(rows), monkeypatch).created == 2
    assert Evaluation.objects.get(name="pref").safety_labels is False
    assert _stored() == {("p0", "ann-1", 3, 3, "", ""), ("p1", "ann-1", -1, -1, "", "")}


def _broken(rows, line, **change):
    rows = [dict(row) for row in rows]
    rows[line - 1].update(change)
    for key in [k for k, v in change.items() if v is None]:
        del rows[line - 1][key]
    return rows


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            _broken(LABELLED, 2, safety_b=None), [(2, "safety_b")], id="one-label"
        ),
        pytest.param(
            _broken(LABELLED, 3, safety_a="maybe"), [(3, "safety_a")], id="not-a-label"
        ),
        pytest.param(
            _broken(LABELLED, 4, safety_a=None, safety_b=None),
            [(4, "safety_a")],
            id="unlabelled-after-labelled",
        ),
        pytest.param(
            _broken(LABELLED, 1, choice="a:meh"), [(1, "choice")], id="strength"
        ),
        pytest.param(_broken(LABELLED, 2, choice=0), [(2, "choice")], id="tie"),
        pytest.param(
            _broken(LABELLED, 3, choice="c:better"), [(3, "choice")], id="side"
        ),
    ],
)
def test_bad_lines_are_named_and_nothing_is_stored(
    prompt_set, monkeypatch, path, rows, expected
):
    assert _errors(path, jsonl(rows), monkeypatch) == expected
    assert not Rating.objects.exists()
    assert not Evaluation.objects.filter(name="pref").exists()


@pytest.mark.parametrize("path", PATHS)
def test_safety_labels_are_refused_off_the_preference_scale(
    prompt_set, monkeypatch, path
):
    rows = [_row("p0", "ann-1", 2), _row("p1", "ann-1", 1, safety_a="safe",
                                          safety_b="safe")]  # fmt: skip
    assert _errors(path, jsonl(rows), monkeypatch, scale="seven") == [(2, "safety_a")]
    assert not Rating.objects.exists()


@pytest.mark.parametrize("path", PATHS)
def test_an_existing_evaluation_decides_whether_labels_are_asked(
    prompt_set, monkeypatch, path
):
    _import(path, jsonl(LABELLED[:1]), monkeypatch)  # asks for labels
    unlabelled = [_row("p1", "ann-1", "b:better")]
    assert _errors(path, jsonl(unlabelled), monkeypatch) == [(1, "safety_a")]
    _import(path, jsonl(unlabelled), monkeypatch, evaluation="plain")  # asks none
    assert _errors(path, jsonl(LABELLED[2:3]), monkeypatch, evaluation="plain") == [
        (1, "safety_a")
    ]
    assert _stored() == {("p0", "ann-1", 4, 4, "safe", "unsafe")}
    assert _stored("plain") == {("p1", "ann-1", -3, -3, "", "")}


@pytest.mark.parametrize("path", PATHS)
def test_another_safety_label_for_a_stored_rating_is_refused(
    prompt_set, monkeypatch, path
):
    _import(path, jsonl(LABELLED), monkeypatch)
    changed = _broken(LABELLED, 3, safety_b="unsafe")
    assert _errors(path, jsonl(changed), monkeypatch) == [(3, "choice")]
    assert _stored() == STORED


@pytest.mark.parametrize("path", PATHS)
def test_the_upload_api_keeps_n_and_the_labels_of_a_live_evaluation(
    monkeypatch, path, admin_user
):
    """An import into a preference evaluation annotators rate in: the lease an
    annotator holds is answered by their imported rating, a third annotator on a
    pair of N = 2 is refused naming the line, and unlabelled lines are refused."""
    monkeypatch.setattr(
        imports, "STAGED_VENDORS", ("postgresql",) if path == "staged" else ()
    )
    evaluation, (pair,), users = build_evaluation(
        pairs=1, annotators=1, per_pair=2, scale="preference", safety_labels=True
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    client = APIClient()
    client.force_authenticate(admin_user)

    def upload(*lines):
        return client.post(
            "/api/imports/ratings/",
            {
                "prompt_set": evaluation.prompt_set.name,
                "evaluation": evaluation.name,
                "scale": "preference",
                "file": SimpleUploadedFile("r.jsonl", jsonl(lines)),
            },
            format="multipart",
        )

    def line(annotator, choice, **safety):
        return _row(pair.prompt.external_id, annotator, choice, a=SECRET_CANDIDATE,
                    b=SECRET_BASELINE, **safety)  # fmt: skip

    labels = {"safety_a": "safe", "safety_b": "unsafe"}
    unlabelled = upload(line(users[0].username, "a:better"))
    assert unlabelled.status_code == 400
    assert [(e["line"], e["field"]) for e in unlabelled.json()["errors"]] == [
        (1, "safety_a")
    ]
    over = upload(
        line(users[0].username, "a:better", **labels),
        line("outside-1", "b:slightly", **labels),
        line("outside-2", "b:better", **labels),
    )
    assert over.status_code == 400
    assert [(e["line"], e["field"]) for e in over.json()["errors"]] == [
        (3, "annotator")
    ]
    assert not Rating.objects.exists()
    done = upload(
        line(users[0].username, "a:better", **labels),
        line("outside-1", "b:slightly", **labels),
    )
    assert done.status_code == 201, done.content
    assert pair.ratings.count() == 2
    assert Assignment.objects.get(pk=lease.pk).state == "submitted"
    assert set(pair.ratings.values_list("choice", "safety_a", "safety_b")) == {
        (3, "safe", "unsafe"),
        (-2, "safe", "unsafe"),
    }
