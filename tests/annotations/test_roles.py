"""The three roles carry their permissions: annotators rate, researchers read, admins change."""

import pytest
from django.contrib.auth.models import Group

from annotations import roles


@pytest.mark.django_db
def test_researchers_read_everything_and_change_nothing(researcher):
    assert researcher.has_perm("annotations.view_report")
    assert researcher.has_perm("annotations.view_rating")
    assert researcher.has_perm("generations.view_generation")
    for perm in ("add", "change", "delete"):
        assert not researcher.has_perm(f"annotations.{perm}_rating")
        assert not researcher.has_perm(f"generations.{perm}_prompt")
    assert not researcher.has_perm("annotations.rate_evaluation")


@pytest.mark.django_db
def test_annotators_may_only_rate(annotator):
    assert annotator.has_perm("annotations.rate_evaluation")
    assert not annotator.has_perm("annotations.view_report")
    assert not annotator.has_perm("generations.view_chatmodel")
    assert not annotator.has_perm("annotations.view_rating")


@pytest.mark.django_db
def test_admins_change_everything(admin_user):
    assert admin_user.is_staff
    for perm in (
        "generations.add_prompt",
        "generations.change_chatmodel",
        "generations.add_generationjob",
        "annotations.add_evaluation",
        "annotations.change_evaluation",
        "annotations.view_report",
        # Accounts: a new-user pass could neither add an annotator with a password
        # nor give someone a role in the browser.
        "auth.add_user",
        "auth.change_user",
    ):
        assert admin_user.has_perm(perm), perm
    assert not admin_user.has_perm("auth.delete_user")  # their ratings would go


@pytest.mark.django_db
def test_admins_manage_accounts_in_the_django_admin(client, admin_user, researcher):
    client.force_login(admin_user)
    assert client.get("/admin/auth/user/add/").status_code == 200
    assert client.get(f"/admin/auth/user/{researcher.pk}/change/").status_code == 200
    # Not a superuser: they cannot make one, themselves included.
    page = client.get(f"/admin/auth/user/{admin_user.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' in page  # a role is a group
    client.force_login(researcher)
    assert client.get("/admin/auth/user/").status_code in (302, 403)


@pytest.mark.django_db
def test_groups_ensure_is_idempotent():
    first = {
        name: set(group.permissions.all())
        for name, group in roles.groups_ensure().items()
    }
    second = {
        name: set(group.permissions.all())
        for name, group in roles.groups_ensure().items()
    }
    assert first == second


@pytest.mark.django_db
def test_group_for_creates_a_missing_group_with_its_permissions_and_leaves_a_kept_one():
    Group.objects.filter(name=roles.RESEARCHER).delete()
    created = roles.group_for(roles.RESEARCHER)
    assert set(created.permissions.all()) == set(
        roles.groups_ensure()[roles.RESEARCHER].permissions.all()
    )
    assert created.permissions.filter(codename="view_report").exists()

    # An admin narrowed the annotators' group by hand: adding a user keeps that.
    annotators = roles.group_for(roles.ANNOTATOR)
    annotators.permissions.clear()
    assert roles.group_for(roles.ANNOTATOR) == annotators
    assert not annotators.permissions.exists()
