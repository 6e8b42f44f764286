"""The import management commands' base: read the file, call the service, report."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from .reader import ImportFileError


class ImportCommand(BaseCommand):
    """Subclasses define ``run_import(path, *, data, file_name, **options)``."""

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="JSONL or CSV file")
        parser.add_argument("--prompt-set", required=True, help="the prompt set's name")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            result = self.run_import(
                str(path), data=path.read_bytes(), file_name=path.name, **options
            )
        except ImportFileError as exc:
            for error in exc.errors:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(
                f"{path.name}: nothing imported ({len(exc.errors)} error(s))"
            ) from None
        details = ", ".join(f"{k}: {v}" for k, v in result.details.items() if k)
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.created} created, {result.unchanged} unchanged"
                + (f" ({details})" if details else "")
            )
        )
