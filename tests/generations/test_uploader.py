"""A prompt set uploaded through the admin or the API records who uploaded it."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generations.models import PromptSet

ROWS = b'{"id": "1", "prompt": "Hi?", "category": "dialogue"}\n'

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/admin/generations/promptset/upload-prompts/", 302),
        ("/api/imports/prompts/", 201),
    ],
)
def test_an_uploaded_prompt_set_records_its_uploader(client, admin_user, url, expected):
    client.force_login(admin_user)
    response = client.post(
        url, {"prompt_set": "mine", "file": SimpleUploadedFile("p.jsonl", ROWS)}
    )
    assert response.status_code == expected, response.content
    assert PromptSet.objects.get(name="mine").uploaded_by == admin_user
