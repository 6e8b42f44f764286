"""The three roles (annotator, researcher, admin) as groups with permissions."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

ANNOTATOR = "annotator"
RESEARCHER = "researcher"
ADMIN = "admin"

_APPS = ("generations", "annotations", "judges", "consistency", "authtoken")
# Admins manage accounts in the Django admin (an annotator with a password, a role by
# its group): a new-user pass found no way to. Not delete: a user's ratings go with
# them (deactivate instead).
_ADMIN_ACCOUNTS = ("add_user", "change_user", "view_user", "view_group")


def _permissions_for(role: str) -> list[Permission]:
    perms = Permission.objects.filter(content_type__app_label__in=_APPS)
    if role == ANNOTATOR:
        return list(perms.filter(codename="rate_evaluation"))
    if role == RESEARCHER:
        # Researchers read everything and change nothing.
        return list(perms.filter(codename__startswith="view_"))
    accounts = Permission.objects.filter(
        content_type__app_label="auth", codename__in=_ADMIN_ACCOUNTS
    )
    return [*perms.exclude(codename="rate_evaluation"), *accounts]


def group_for(role: str) -> Group:
    """The role's group, created with its permissions where it is missing.

    For code that adds a user to a role (imports, invitations, commands): it leaves an
    existing group's permissions as they are, which ``groups_ensure`` refreshes after
    each migration."""
    group, created = Group.objects.get_or_create(name=role)
    if created:
        group.permissions.set(_permissions_for(role))
    return group


def groups_ensure() -> dict[str, Group]:
    """Create the role groups or refresh their permissions; idempotent."""
    groups = {}
    for role in (ANNOTATOR, RESEARCHER, ADMIN):
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions_for(role))
        groups[role] = group
    return groups


def ensure_groups_after_migrate(sender, **kwargs) -> None:
    """post_migrate is sent once per app with models, in INSTALLED_APPS order; the
    groups hold several apps' permissions, which all exist once the last app's
    signal is sent (also after each test flush), so they are set then, once."""
    with_models = [c for c in apps.get_app_configs() if c.models_module is not None]
    if sender is with_models[-1]:
        groups_ensure()


def is_researcher(user) -> bool:
    """Researchers and admins read reports."""
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("annotations.view_report")
    )
