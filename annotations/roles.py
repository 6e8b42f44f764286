"""The three roles (annotator, researcher, admin) as groups with permissions."""

from django.contrib.auth.models import Group, Permission

ANNOTATOR = "annotator"
RESEARCHER = "researcher"
ADMIN = "admin"

_APPS = ("generations", "annotations", "judges", "authtoken")


def _permissions_for(role: str) -> list[Permission]:
    perms = Permission.objects.filter(content_type__app_label__in=_APPS)
    if role == ANNOTATOR:
        return list(perms.filter(codename="rate_evaluation"))
    if role == RESEARCHER:
        # Researchers read everything and change nothing.
        return list(perms.filter(codename__startswith="view_"))
    return list(perms.exclude(codename="rate_evaluation"))


def groups_ensure() -> dict[str, Group]:
    """Create or refresh the role groups; idempotent."""
    groups = {}
    for role in (ANNOTATOR, RESEARCHER, ADMIN):
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.set(_permissions_for(role))
        groups[role] = group
    return groups


def ensure_groups_after_migrate(**kwargs) -> None:
    groups_ensure()


def is_researcher(user) -> bool:
    """Researchers and admins read reports."""
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("annotations.view_report")
    )
