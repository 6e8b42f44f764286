"""Forms of the consistency pages: the upload and the report's parameters."""

import csv

from django import forms
from django.conf import settings

from evalsite.imports.limits import MAX_NAME_CHARS

from .models import MAX_ANNOTATORS
from .report import DEFAULT_RESAMPLES, DEFAULT_SEED, MAX_RESAMPLES, MAX_SEED


def names(text: str) -> list[str]:
    """Comma- or line-separated names, blanks dropped; a name holding a comma is
    written in double quotes, as in a CSV row ("Llama 2, chat", gpt-4)."""
    rows = csv.reader(text.splitlines(), skipinitialspace=True)
    return [name.strip() for row in rows for name in row if name.strip()]


class UploadForm(forms.Form):
    """Django's CharField refuses NUL characters itself (a form error, 400)."""

    evaluation = forms.CharField(
        max_length=MAX_NAME_CHARS,
        help_text="Created on its first upload; later uploads add instructions.",
    )
    chat_models = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Chat model names, comma-separated (for a new evaluation); quote a "
        'name that holds a comma: "Llama 2, chat", gpt-4.',
    )
    annotators = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Usernames of the annotator pool, comma-separated.",
    )
    annotators_per_reply = forms.IntegerField(
        min_value=1,
        max_value=MAX_ANNOTATORS,
        required=False,
        help_text="N, for a new evaluation (3 when left empty).",
    )
    file = forms.FileField(help_text="JSONL or CSV: id, system, attribute, probes.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.EVALSITE_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is over the size limit of {limit} bytes."
            )
        return upload


class ReportForm(forms.Form):
    resamples = forms.IntegerField(
        min_value=1, max_value=MAX_RESAMPLES, required=False, initial=DEFAULT_RESAMPLES
    )
    seed = forms.IntegerField(
        min_value=0, max_value=MAX_SEED, required=False, initial=DEFAULT_SEED
    )

    def params(self) -> dict[str, int]:
        data = self.cleaned_data
        return {
            "resamples": data.get("resamples") or DEFAULT_RESAMPLES,
            "seed": DEFAULT_SEED if data.get("seed") is None else data["seed"],
        }


def errors_text(form: forms.Form) -> str:
    return "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in form.errors.items()
    )
