"""Identical rating uploads racing into a new evaluation on PostgreSQL: one stores,
the others are told of the conflict (409), none fails with a server error."""

import json
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from annotations.models import Comparison, Evaluation, Rating
from annotations.services import imports
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_six_identical_rating_uploads_one_stores_the_others_get_409(
    require_postgres, monkeypatch
):
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
    admin = UserFactory(username="race-admin", is_superuser=True, is_staff=True)
    # Every upload has found no evaluation of that name before any creates it.
    barrier = threading.Barrier(UPLOADS)
    create = imports._evaluation_create

    def create_together(**arguments):
        barrier.wait(timeout=60)
        return create(**arguments)

    monkeypatch.setattr(imports, "_evaluation_create", create_together)
    answers: list[tuple] = []

    def upload() -> None:
        try:
            client = Client()
            client.force_login(admin)
            response = client.post(
                "/api/imports/ratings/",
                {
                    "prompt_set": "set",
                    "evaluation": "raced",
                    "scale": "seven",
                    "file": SimpleUploadedFile("r.jsonl", RATINGS),
                },
            )
            answers.append((response.status_code, response.json()))
        except Exception as error:  # reported by the main thread
            answers.append(("raised", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(UPLOADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)

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
