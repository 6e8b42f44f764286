"""A ratings file uploaded through the admin or the API records who uploaded it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from annotations.models import Evaluation

from .test_import_ratings import jsonl, prompt_set, rating  # noqa: F401 (fixture)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/admin/annotations/evaluation/upload-ratings/", 302),
        ("/api/imports/ratings/", 201),
    ],
)
def test_an_uploaded_ratings_file_records_its_uploader(
    prompt_set,  # noqa: F811
    client,
    admin_user,
    url,
    expected,
):
    client.force_login(admin_user)
    response = client.post(
        url,
        {
            "prompt_set": "set",
            "evaluation": "imported",
            "scale": "seven",
            "file": SimpleUploadedFile("r.jsonl", jsonl(rating())),
        },
    )
    assert response.status_code == expected, response.content
    assert Evaluation.objects.get(name="imported").created_by == admin_user
