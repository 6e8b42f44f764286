"""Register an OpenAI-compatible chat model from the command line."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from generations.models import ChatModel
from generations.services.chat_models import chat_model_create


class Command(BaseCommand):
    help = "Register a chat model served by an OpenAI-compatible server."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--base-url", required=True)
        parser.add_argument("--model-id", required=True)
        parser.add_argument("--api-key-env", default="")
        parser.add_argument(
            "--system-prompt-preset",
            # "custom" too: the errors name it (a text or limit beside a preset).
            choices=ChatModel.SystemPromptPreset.values,
            default="none",
        )
        parser.add_argument("--system-prompt", default=None)
        parser.add_argument("--limits", choices=ChatModel.Limits.values, default="open")
        parser.add_argument("--context-limit", type=int)
        parser.add_argument("--generation-limit", type=int)
        parser.add_argument(
            "--tokenizer", default="backend", help="backend | FILE | tiktoken:ENCODING"
        )
        parser.add_argument("--temperature", type=float, default=0.0)
        parser.add_argument("--top-p", type=float, default=1.0)
        parser.add_argument("--max-concurrency", type=int, default=8)
        parser.add_argument("--request-timeout", type=float, default=120.0)

    def handle(self, *args, **options):
        try:
            chat_model = chat_model_create(
                name=options["name"],
                base_url=options["base_url"],
                model_id=options["model_id"],
                api_key_env=options["api_key_env"],
                system_prompt_preset=options["system_prompt_preset"],
                system_prompt=options["system_prompt"],
                limits=options["limits"],
                context_limit=options["context_limit"],
                generation_limit=options["generation_limit"],
                tokenizer=options["tokenizer"],
                temperature=options["temperature"],
                top_p=options["top_p"],
                max_concurrency=options["max_concurrency"],
                request_timeout=options["request_timeout"],
            )
        except ValidationError as exc:
            details = "; ".join(
                f"{field}: {' '.join(messages)}"
                for field, messages in exc.message_dict.items()
            )
            raise CommandError(details) from exc
        self.stdout.write(
            f"Chat model {chat_model.name!r} (id {chat_model.pk}): "
            f"{chat_model.get_limits_display()}, context {chat_model.context_limit}, "
            f"generation {chat_model.generation_limit}, "
            f"system prompt {chat_model.get_system_prompt_preset_display()}"
        )
