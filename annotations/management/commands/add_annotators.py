"""manage.py add_annotators --evaluation NAME --count N: new annotator accounts."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from annotations import roles
from annotations.models import Evaluation


class Command(BaseCommand):
    help = (
        "Create annotator accounts in an evaluation's pool and print one "
        "'username token' line each (add --passwords for a third column)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--evaluation", required=True, help="The evaluation's name."
        )
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument(
            "--prefix", default="annotator", help="Usernames are PREFIX-001, ..."
        )
        parser.add_argument(
            "--passwords",
            action="store_true",
            help="Also set and print a random password for the browser.",
        )

    def handle(self, *args, **options):
        count = options["count"]
        if not 1 <= count <= 10_000:
            raise CommandError("--count: give a number from 1 to 10000")
        try:
            evaluation = Evaluation.objects.get(name=options["evaluation"])
        except Evaluation.DoesNotExist:
            raise CommandError(
                f"--evaluation: no evaluation named {options['evaluation']!r}"
            ) from None
        lines = []
        with transaction.atomic():
            users = _create(options["prefix"], count, options["passwords"])
            group = roles.group_for(roles.ANNOTATOR)
            for user, password in users:
                user.groups.add(group)
                token = Token.objects.create(user=user)
                line = f"{user.username} {token.key}"
                lines.append(f"{line} {password}" if password else line)
            evaluation.pool.add(*[user for user, _ in users])
        for line in lines:
            self.stdout.write(line)


def _create(prefix: str, count: int, with_passwords: bool) -> list:
    User = get_user_model()
    taken = set(
        User.objects.filter(username__startswith=f"{prefix}-").values_list(
            "username", flat=True
        )
    )
    created, number = [], 0
    while len(created) < count:
        number += 1
        username = f"{prefix}-{number:03d}"
        if username in taken:
            continue
        user = User(username=username)
        password = secrets.token_urlsafe(12) if with_passwords else ""
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean()
        user.save()
        created.append((user, password))
    return created
