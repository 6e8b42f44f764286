"""python manage.py import_reward_scores FILE --prompt-set NAME --kind logit|probability"""

from evalsite.imports.commands import ImportCommand
from generations.services.reward_scores import KINDS, reward_scores_import


class Command(ImportCommand):
    help = (
        "Import reward-model scores of a prompt set's generations (JSONL or CSV: "
        "prompt_id, model, score, reward_model); a score already stored for the "
        "same reward model and generation is replaced."
    )

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--kind",
            required=True,
            choices=KINDS,
            help="what the file's scores are: logits or probabilities",
        )

    def run_import(self, path, *, data, file_name, progress, **options):
        return reward_scores_import(
            prompt_set_name=options["prompt_set"],
            kind=options["kind"],
            file_name=file_name,
            data=data,
            progress=progress,
        )
