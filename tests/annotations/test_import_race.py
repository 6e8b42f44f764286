"""Identical rating uploads racing on PostgreSQL, into a new evaluation or adding
the same pairs to one: one stores, the others are told of the conflict (409),
none fails with a server error."""

import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from annotations.models import Comparison, Evaluation, Rating
from annotations.services import import_storing, imports
from generations.services.imports import generations_import, prompts_import
from tests.factories import UserFactory

UPLOADS = 6


def _lines(*rows) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


RATINGS = _lines(
    *(
        {
            "prompt_id": f"p{i}",
            "model_a": "cand",
            "model_b": "base",
            "annotator": f"rater-{j}",
            "choice": 1,
        }
        for i in (1, 2)
        for j in (1, 2)
    )
)


def _answered_prompts() -> None:
    """Prompts p1 and p2, each answered by the models cand and base."""
    prompts_import(
        prompt_set_name="set",
        file_name="p.jsonl",
        data=_lines(
            *({"id": f"p{i}", "prompt": f"Q{i}?", "category": "x"} for i in (1, 2))
        ),
    )
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=_lines(
            *(
                {"prompt_id": f"p{i}", "model": m, "text": f"{m} {i}"}
                for i in (1, 2)
                for m in ("cand", "base")
            )
        ),
    )


def _uploads(count: int, admin, evaluation: str, body: bytes) -> list[tuple]:
    """Post ``body`` from ``count`` threads at once; each (status, JSON) answer."""
    answers: list[tuple] = []

    def upload() -> None:
        try:
            client = Client()
            client.force_login(admin)
            response = client.post(
                "/api/imports/ratings/",
                {
                    "prompt_set": "set",
                    "evaluation": evaluation,
                    "scale": "seven",
                    "file": SimpleUploadedFile("r.jsonl", body),
                },
            )
            answers.append((response.status_code, response.json()))
        except Exception as error:  # reported by the main thread
            answers.append(("raised", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_identical_rating_uploads_one_stores_the_others_get_409(
    require_postgres, monkeypatch
):
    _answered_prompts()
    admin = UserFactory(username="race-admin", is_superuser=True, is_staff=True)
    # Every upload has found no evaluation of that name before any creates it.
    barrier = threading.Barrier(UPLOADS)
    create = imports._evaluation_create

    def create_together(**arguments):
        barrier.wait(timeout=60)
        return create(**arguments)

    monkeypatch.setattr(imports, "_evaluation_create", create_together)
    answers = _uploads(UPLOADS, admin, "raced", RATINGS)

    codes = sorted(str(code) for code, _ in answers)
    assert codes == ["201"] + ["409"] * (UPLOADS - 1), answers
    for code, body in answers:
        if code == 409:
            (error,) = body["errors"]
            assert error["field"] == "evaluation"
            assert "created by another upload" in error["message"]
    assert Evaluation.objects.filter(name="raced").count() == 1
    assert Comparison.objects.count() == 2
    assert Rating.objects.count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_uploads_adding_the_same_pairs_one_stores_the_other_gets_409(
    require_postgres, monkeypatch
):
    """Both find the pairs of p2 missing from the evaluation; the second to insert
    them waits for the first to commit and is then refused, storing nothing."""
    _answered_prompts()
    admin = UserFactory(username="race-admin", is_superuser=True, is_staff=True)
    first = RATINGS.split(b"\n")
    imports.ratings_import(
        prompt_set_name="set",
        evaluation_name="grown",
        scale="seven",
        file_name="r.jsonl",
        data=b"\n".join(line for line in first if b'"p1"' in line),
    )
    barrier = threading.Barrier(2)
    temp_table = import_storing.temp_table

    def pairs_found_together(name, body, values=None):
        # Both have looked for the pairs (and found them missing) before either
        # inserts them. A barrier before the look let a slow second upload find
        # the first one's pairs committed: "unchanged", not the race under test.
        temp_table(name, body, values)
        if name == "import_pairs":
            barrier.wait(timeout=60)

    monkeypatch.setattr(import_storing, "temp_table", pairs_found_together)
    second = b"\n".join(line for line in first if b'"p2"' in line)
    answers = _uploads(2, admin, "grown", second)

    assert sorted(str(code) for code, _ in answers) == ["201", "409"], answers
    (refusal,) = [body for code, body in answers if code == 409]
    (error,) = refusal["errors"]
    assert "added the same pairs" in error["message"]
    assert Comparison.objects.count() == 2
    assert Rating.objects.count() == 4
