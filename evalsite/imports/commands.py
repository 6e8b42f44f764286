"""The import management commands' base: read the file, call the service, report.

On a terminal (or with ``--progress-bar always``) a progress bar on stderr shows the
stage and the records read; the import itself stays in the command's process.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from .progress import ImportProgress
from .reader import ImportFileError


def _lines(path: Path) -> int:
    """The file's line count (the progress bar's total), read in chunks."""
    with path.open("rb") as file:
        return sum(
            chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b"")
        )


class ImportCommand(BaseCommand):
    """Subclasses define ``run_import(path, *, data, file_name, progress, **options)``;
    ``progress(records_read)`` is the services' progress callback."""

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="JSONL or CSV file")
        parser.add_argument("--prompt-set", required=True, help="the prompt set's name")
        parser.add_argument(
            "--progress-bar",
            choices=["auto", "always", "never"],
            default="auto",
            help="a progress bar on stderr (auto: when it is a terminal)",
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        shown = options["progress_bar"] == "always" or (
            options["progress_bar"] == "auto" and self.stderr.isatty()
        )
        bar = ImportProgress(self.stderr, total=_lines(path), enabled=shown)
        try:
            bar.stage("importing")
            with path.open("rb") as data:  # the services read it as a stream
                result = self.run_import(
                    str(path),
                    data=data,
                    file_name=path.name,
                    progress=bar.records,
                    **options,
                )
        except ImportFileError as exc:
            bar.close()
            for error in exc.listed:
                self.stderr.write(f"{path.name}: {error}")
            raise CommandError(
                f"{path.name}: nothing imported ({len(exc.errors)} error(s))"
            ) from None
        bar.close(read=result.created + result.unchanged)
        details = ", ".join(f"{k}: {v}" for k, v in result.details.items() if k)
        self.stdout.write(
            self.style.SUCCESS(
                f"{path.name}: {result.created} created, {result.unchanged} unchanged"
                + (f" ({details})" if details else "")
            )
        )
