"""The site answers and the role groups exist."""

import pytest
from django.contrib.auth.models import Group


def test_role_groups_exist_after_migrate(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "annotator",
        "researcher",
        "admin",
    }


def test_login_page_answers(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in" in response.content


def test_home_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("url", ["/reports/", "/reports/1/", "/reports/batches/"])
def test_report_pages_send_a_signed_out_visitor_to_log_in(client, url):
    response = client.get(url)  # a bare 403 before
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/reports/")


def test_site_stylesheet_is_served(client):
    response = client.get("/static/evalsite/site.css")
    assert response.status_code == 200


def test_login_and_logout_through_the_pages(client, researcher):
    response = client.post(
        "/accounts/login/", {"username": "res1", "password": "pw-for-tests"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_openapi_schema_is_served(client, researcher):
    client.force_login(researcher)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/imports/prompts/" in response.content


def test_a_page_not_found_has_the_sites_layout(client, researcher):
    client.force_login(researcher)
    response = client.get("/reports/999999/prompts/nothing-here/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="not-found"' in html
    assert "/reports/999999/prompts/nothing-here/" in html
    assert "<nav" in html or 'href="/"' in html  # the site's own frame


def test_a_page_not_allowed_has_the_sites_layout(client, researcher):
    client.force_login(researcher)
    response = client.get("/evaluations/new/")  # admins only
    assert response.status_code == 403
    html = response.content.decode()
    assert 'id="forbidden"' in html
    assert "Signed in as res1" in html
    assert 'href="/"' in html  # the site's own frame, not a bare "403 Forbidden"


def test_an_unknown_api_address_is_a_json_404(client, researcher):
    client.force_login(researcher)
    for url in ("/api/evaluations/abc/next/", "/api/nothing-here/"):
        response = client.post(url)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_schema_sends_an_upload_s_file_as_binary(client, researcher):
    """Generated clients sent a URI string for an upload's file."""
    client.force_login(researcher)
    parts = client.get("/api/schema/", {"format": "json"}).json()["components"]
    files = [
        properties["file"]
        for schema in parts["schemas"].values()
        if "file" in (properties := schema.get("properties", {}))
    ]
    assert files
    assert all(file["format"] == "binary" for file in files)


def test_the_schema_lists_the_refusals_endpoints_answer(client, researcher):
    """A new-user pass got 400s from every create endpoint and from report options,
    and 404s on paths with an id, that the schema did not list; and each download
    documented as application/octet-stream."""
    client.force_login(researcher)
    paths = client.get("/api/schema/", {"format": "json"}).json()["paths"]
    for path, method in [
        ("/api/chat-models/", "post"),
        ("/api/evaluations/", "post"),
        ("/api/jobs/", "post"),
        ("/api/judge-runs/", "post"),
        ("/api/reports/{id}/", "get"),
        ("/api/reports/preferences/", "get"),
        ("/api/consistency/imports/", "post"),
    ]:
        assert "400" in paths[path][method]["responses"], (path, method)
    for path, method in [
        ("/api/reports/{id}/", "get"),
        ("/api/jobs/{id}/resume/", "post"),
        ("/api/evaluations/{evaluation_id}/quality/", "get"),
    ]:
        assert "404" in paths[path][method]["responses"], (path, method)
    # An endpoint's own description stands: the annotator loop's 400 is its Error.
    rating = paths["/api/assignments/{assignment_id}/rating/"]["post"]["responses"][
        "400"
    ]
    assert "Error" in str(rating)
    files = paths["/api/reports/{id}/{filename}"]["get"]["responses"]["200"]
    assert set(files["content"]) == {
        "text/csv",
        "application/vnd.apache.parquet",
        "application/json",
    }
