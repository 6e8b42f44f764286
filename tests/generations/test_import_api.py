"""The import endpoints and admin upload pages call the same services."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from generations.models import Prompt

ROWS = b'{"id": "1", "prompt": "Hi?", "category": "dialogue"}\n'


@pytest.mark.django_db
def test_admin_imports_prompts_through_the_api(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "api-set", "file": SimpleUploadedFile("p.jsonl", ROWS)},
    )
    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1
    assert Prompt.objects.filter(prompt_set__name="api-set").count() == 1


@pytest.mark.django_db
def test_api_import_errors_name_line_and_field(client, admin_user):
    client.force_login(admin_user)
    data = ROWS + b'{"id": "2", "category": "dialogue"}\n'
    response = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "api-set", "file": SimpleUploadedFile("p.jsonl", data)},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "line": 2,
        "field": "turns",
        "message": "required field is missing (or give 'prompt')",
    }
    assert Prompt.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["annotator", "researcher"])
def test_only_admins_may_import(client, who, request):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "s", "file": SimpleUploadedFile("p.jsonl", ROWS)},
    )
    assert response.status_code == 403
    assert Prompt.objects.count() == 0


@pytest.mark.django_db
def test_admin_upload_page_imports_and_shows_errors(client, admin_user):
    client.force_login(admin_user)
    url = "/admin/generations/promptset/upload-prompts/"
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"prompt_set": "s", "file": SimpleUploadedFile("p.jsonl", b"[1]\n")}
    )
    assert bad.status_code == 400
    # A file that opens as a JSON array is named as one (was "expected a JSON
    # object" for each of its lines).
    assert "line 1: this is a JSON array; the import reads JSON Lines" in (
        bad.content.decode()
    )
    good = client.post(
        url, {"prompt_set": "s", "file": SimpleUploadedFile("p.jsonl", ROWS)}
    )
    assert good.status_code == 302
    assert Prompt.objects.count() == 1


@pytest.mark.django_db
def test_token_authentication_works_for_imports(client, admin_user):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=admin_user)
    response = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "t", "file": SimpleUploadedFile("p.jsonl", ROWS)},
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 201
    assert json.loads(response.content)["created"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["p.jsonl", "p.csv"])
def test_a_file_with_more_errors_than_listed_says_so(client, admin_user, name):
    """A new-admin pass: a file of 5,000 bad lines came back with 50 errors and no
    word that the check had stopped there."""
    client.force_login(admin_user)
    if name.endswith(".jsonl"):
        lines = [json.dumps({"id": f"q{i}", "prompt": " ", "category": "c"})
                 for i in range(200)]  # fmt: skip
    else:
        lines = ["id,prompt,category", *(f"q{i}, ,c" for i in range(200))]
    data = "\n".join(lines).encode()
    api = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "s", "file": SimpleUploadedFile(name, data)},
    )
    assert api.status_code == 400
    errors = api.json()["errors"]
    assert len(errors) == 51
    assert errors[-1] == {
        "line": None,
        "field": None,
        "message": "only the first 50 errors are listed: correct them and upload "
        "the file again to see any others",
    }
    page = client.post(
        "/admin/generations/promptset/upload-prompts/",
        {"prompt_set": "s", "file": SimpleUploadedFile(name, data)},
    )
    assert "only the first 50 errors are listed" in page.content.decode()
    few = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "s", "file": SimpleUploadedFile(name, data[:300])},
    )
    assert "only the first" not in few.content.decode()
    assert not Prompt.objects.exists()
