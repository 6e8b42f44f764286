"""python manage.py export_prompts --prompt-set NAME [--output FILE]"""

from django.core.management.base import BaseCommand, CommandError

from evalsite.command_arguments import output_file
from generations.exports import prompt_lines
from generations.models import PromptSet


class Command(BaseCommand):
    help = "Export a prompt set's prompts as JSONL, in the format import_prompts reads."

    def add_arguments(self, parser):
        parser.add_argument("--prompt-set", required=True)
        parser.add_argument(
            "--output", type=output_file, help="File to write; standard output if none."
        )

    def handle(self, *args, prompt_set, output, **options):
        found = PromptSet.objects.filter(name=prompt_set).first()
        if found is None:
            raise CommandError(f"no prompt set named {prompt_set!r}")
        if output:
            with open(output, "w", encoding="utf-8") as stream:
                count = sum(stream.write(line) > 0 for line in prompt_lines(found))
            self.stderr.write(f"{count} prompts written to {output}")
        else:
            for line in prompt_lines(found):
                self.stdout.write(line, ending="")
