"""python manage.py create_evaluation NAME --prompt-set S: head-to-head, tournament or
single-response (``--kind single --model A --model B``, always on the Likert scale)."""

from django.core.management.base import BaseCommand, CommandError

from annotations.models import Evaluation
from annotations.services.evaluations import EvaluationError, evaluation_create
from annotations.services.single_evaluations import single_evaluation_create
from generations.models import ChatModel, PromptSet


class Command(BaseCommand):
    help = "Create an evaluation and its comparisons from finished generations."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--prompt-set", required=True)
        parser.add_argument("--candidate")
        parser.add_argument("--baseline")
        parser.add_argument(
            "--model",
            action="append",
            default=[],
            dest="models",
            help="a tournament's or single-response evaluation's chat models (repeat)",
        )
        parser.add_argument(
            "--kind",
            choices=Evaluation.Kind.values,
            help="single: each response rated alone on the Likert scale (1 worst to "
            "7 best; --scale is ignored); default: head_to_head or tournament, from "
            "the models given",
        )
        parser.add_argument(
            "--scale", choices=["seven", "three", "preference"], default="seven"
        )
        parser.add_argument(
            "--safety-labels",
            action="store_true",
            help="preference scale: each response also gets a safe / unsafe label",
        )
        parser.add_argument(
            "--batch",
            default="",
            help="the preference data's batch label (default: the week of each rating)",
        )
        parser.add_argument("--annotators-per-pair", type=int, default=3)
        parser.add_argument("--pairs-per-prompt", type=int)
        parser.add_argument("--guidelines", default="")
        parser.add_argument(
            "--allocation",
            choices=Evaluation.Allocation.values,
            default=Evaluation.Allocation.UNIFORM,
            help="tournaments: adaptive gives the next pairs to the model pairs "
            "that most narrow the ranking",
        )
        parser.add_argument(
            "--adaptive-top",
            type=int,
            default=10,
            help="adaptive: narrow the scores of this many best models first",
        )
        parser.add_argument(
            "--adaptive-width",
            type=float,
            default=1.0,
            help="adaptive: a top model's 95%% interval (log-score) narrow enough",
        )
        parser.add_argument(
            "--stop-rule",
            choices=Evaluation.StopRule.values,
            default=Evaluation.StopRule.NONE,
            help="head-to-head: stop handing out pairs when the always-valid "
            "sequence has decided (decided) or is narrower than --stop-width (width)",
        )
        parser.add_argument("--stop-width", type=float)
        parser.add_argument("--stop-min-pairs", type=int, default=0)

    def handle(self, *args, **options) -> None:
        def model(name: str) -> ChatModel:
            try:
                return ChatModel.objects.get(name=name)
            except ChatModel.DoesNotExist:
                raise CommandError(f"no chat model named {name!r}") from None

        try:
            prompt_set = PromptSet.objects.get(name=options["prompt_set"])
        except PromptSet.DoesNotExist:
            raise CommandError(
                f"no prompt set named {options['prompt_set']!r}"
            ) from None
        if options["kind"] == Evaluation.Kind.SINGLE:
            return self._report(self._single(options, model, prompt_set))
        try:
            result = evaluation_create(
                name=options["name"],
                prompt_set=prompt_set,
                candidate=model(options["candidate"]) if options["candidate"] else None,
                baseline=model(options["baseline"]) if options["baseline"] else None,
                chat_models=[model(name) for name in options["models"]] or None,
                scale=options["scale"],
                safety_labels=options["safety_labels"],
                batch=options["batch"],
                annotators_per_pair=options["annotators_per_pair"],
                pairs_per_prompt=options["pairs_per_prompt"],
                guidelines=options["guidelines"],
                allocation=options["allocation"],
                adaptive_top=options["adaptive_top"],
                adaptive_width=options["adaptive_width"],
                stop_rule=options["stop_rule"],
                stop_width=options["stop_width"],
                stop_min_pairs=options["stop_min_pairs"],
            )
        except EvaluationError as exc:
            raise CommandError(str(exc)) from None
        self._report(result)

    def _report(self, result) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.evaluation.name}: {result.created} comparisons; "
                f"{result.left_out_total} left out"
            )
        )
        for reason, count in sorted(result.left_out.items()):
            self.stdout.write(f"  left out, {reason}: {count}")

    def _single(self, options, model, prompt_set):
        if options["candidate"] or options["baseline"]:
            raise CommandError(
                "--kind single takes chat models (--model), not a candidate and "
                "a baseline"
            )
        try:
            return single_evaluation_create(
                name=options["name"],
                prompt_set=prompt_set,
                chat_models=[model(name) for name in options["models"]],
                annotators_per_pair=options["annotators_per_pair"],
                guidelines=options["guidelines"],
            )
        except EvaluationError as exc:
            raise CommandError(str(exc)) from None
