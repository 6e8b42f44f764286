"""manage.py add_annotators: accounts in the pool, one 'username token' line each."""

import io

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from annotations import roles

from .conftest import build_evaluation


def test_creates_pool_members_with_working_tokens(db):
    evaluation, _, _ = build_evaluation(pairs=2, annotators=0)
    out = io.StringIO()
    call_command(
        "add_annotators", "--evaluation", evaluation.name, "--count", "3", stdout=out
    )
    lines = out.getvalue().split("\n")[:-1]
    assert len(lines) == 3
    usernames = [line.split(" ")[0] for line in lines]
    assert usernames == ["annotator-001", "annotator-002", "annotator-003"]
    pool = evaluation.pool.order_by("username")
    assert [u.username for u in pool] == usernames
    assert all(u.groups.filter(name=roles.ANNOTATOR).exists() for u in pool)
    _username, token = lines[1].split(" ")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post(f"/api/evaluations/{evaluation.pk}/next/")
    assert response.status_code == 200
    # A second run continues the numbering.
    out = io.StringIO()
    call_command(
        "add_annotators", "--evaluation", evaluation.name, "--count", "1", stdout=out
    )
    assert out.getvalue().startswith("annotator-004 ")


def test_passwords_let_them_log_in(db, client):
    evaluation, _, _ = build_evaluation(pairs=1, annotators=0)
    out = io.StringIO()
    call_command(
        "add_annotators",
        "--evaluation",
        evaluation.name,
        "--count",
        "1",
        "--passwords",
        "--prefix",
        "crowd",
        stdout=out,
    )
    username, _token, password = out.getvalue().split()
    assert client.login(username=username, password=password)


def test_unknown_evaluation_is_named(db):
    with pytest.raises(CommandError, match="--evaluation: no evaluation named 'nope'"):
        call_command("add_annotators", "--evaluation", "nope", "--count", "2")
