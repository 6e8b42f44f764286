"""The form that creates an evaluation on the app's own page."""

from django import forms
from django.contrib.auth import get_user_model
from django.db import models

from generations.models import ChatModel

from . import roles
from .models import Evaluation
from .sequential_fields import (
    SEQUENTIAL_FIELDS,
    sequential_defaults,
    sequential_errors,
    sequential_optional,
)

Kind = Evaluation.Kind
Scale = Evaluation.Scale

# The scales each kind allows (the model's check constraints): Likert rates one
# response, so it is the single-response scale and only that.
SCALES_BY_KIND = {
    Kind.HEAD_TO_HEAD: (Scale.SEVEN, Scale.THREE, Scale.PREFERENCE),
    Kind.TOURNAMENT: (Scale.SEVEN, Scale.THREE, Scale.PREFERENCE),
    Kind.SINGLE: (Scale.LIKERT,),
}
SHARES = (
    "gold_rate",
    "repeat_rate",
    "qc_min_gold_accuracy",
    "qc_min_self_consistency",
    "qc_min_agreement",
    "qc_max_fast_share",
    "qc_max_tie_share",
    "qc_max_side_bias",
)
# Fieldsets of the page: (legend, fields, the kinds they concern; empty: all).
FIELDSETS = (
    ("Evaluation", ("name", "kind", "prompt_set", "scale", "safety_labels"), ()),
    ("Head-to-head", ("candidate", "baseline"), (Kind.HEAD_TO_HEAD,)),
    ("Chat models", ("chat_models",), (Kind.TOURNAMENT, Kind.SINGLE)),
    (
        "Annotators",
        ("annotators_per_pair", "lease_minutes", "pool", "guidelines"),
        (),
    ),
    (
        "Quality control",
        (
            "gold_rate",
            "repeat_rate",
            "min_seconds",
            "qc_min_answers",
            *SHARES[2:],
            "qc_pause",
        ),
        (),
    ),
    ("Allocation and stopping", SEQUENTIAL_FIELDS, ()),
    (
        "Annotator controls and crowd platforms",
        ("edit_window", "quota", "completion_code", "completion_url"),
        (),
    ),
)


def _form_field(field: models.Field, **kwargs) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"  # Django 6's default, said now
    return field.formfield(**kwargs)


class EvaluationCreateForm(forms.ModelForm):
    """An evaluation with its chat models and pool; ``clean`` checks what the
    model's constraints would refuse, naming the field."""

    chat_models = forms.ModelMultipleChoiceField(
        queryset=ChatModel.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tournament: two or more chat models, every pair of them compared. "
        "Single response: one or more, each response rated on its own.",
    )
    pool = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Annotators who may rate. Invitations can add more later.",
    )

    class Meta:
        model = Evaluation
        fields = [
            "name", "kind", "prompt_set", "candidate", "baseline", "scale",
            "safety_labels", "annotators_per_pair", "lease_minutes", "guidelines",
            "gold_rate", "repeat_rate", "min_seconds", "qc_min_answers",
            *SHARES[2:], "qc_pause", "edit_window", "quota", "completion_code",
            "completion_url", *SEQUENTIAL_FIELDS,
        ]  # fmt: skip
        help_texts = {
            "kind": "Head-to-head: a candidate against a baseline. Tournament: "
            "several chat models, pairwise. Single response: each response rated "
            "1 to 7 on its own.",
            "prompt_set": "The prompts every chat model answers.",
            "candidate": "The chat model under test (head-to-head).",
            "baseline": "The chat model it is compared with (head-to-head).",
            "scale": "Seven-point, three-point and preference compare two "
            "responses; the Likert scale is the single-response evaluation's.",
            "annotators_per_pair": "N: how many annotators rate each pair.",
            "lease_minutes": "How long a pair is held for an annotator who opened it.",
            "guidelines": "Shown above every pair (Markdown).",
            "qc_min_gold_accuracy": "Lowest share of gold pairs answered right "
            "(0 to 1; empty: no threshold).",
            "qc_min_self_consistency": "Lowest share of repeats answered as the "
            "first time (0 to 1).",
            "qc_min_agreement": "Lowest agreement with the other annotators (0 to 1).",
            "qc_max_fast_share": "Largest share of answers faster than the minimum "
            "seconds (0 to 1).",
            "qc_max_tie_share": "Largest share of ties (0 to 1).",
        }
        labels = {
            "annotators_per_pair": "Annotators per pair (N)",
            "qc_min_answers": "Answers before thresholds apply",
            "qc_min_gold_accuracy": "Lowest gold accuracy",
            "qc_min_self_consistency": "Lowest self-consistency",
            "qc_min_agreement": "Lowest agreement",
            "qc_max_fast_share": "Largest share of fast answers",
            "qc_max_tie_share": "Largest share of ties",
            "qc_max_side_bias": "Largest side bias",
            "qc_pause": "Pause on a crossed threshold",
            "completion_url": "Completion URL",
        }
        formfield_callback = _form_field
        widgets = {"guidelines": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sequential_optional(self)
        # The inputs say the bounds ``clean`` checks (a model FloatField gives none).
        for name in SHARES:
            self.fields[name].widget.attrs.update(min=0, max=1)
        self.fields["min_seconds"].widget.attrs["min"] = 0
        users = get_user_model().objects.order_by("username")
        self.fields["pool"].queryset = users.filter(groups__name=roles.ANNOTATOR)
        self.fields["candidate"].queryset = ChatModel.objects.order_by("name")
        self.fields["baseline"].queryset = ChatModel.objects.order_by("name")

    def fieldsets(self):
        """(legend, bound fields, kinds) for the template; kinds: data-kinds."""
        return [
            (legend, [self[name] for name in names], " ".join(kinds))
            for legend, names, kinds in FIELDSETS
        ]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == Kind.HEAD_TO_HEAD:
            self._clean_head_to_head(data)
        elif kind in (Kind.TOURNAMENT, Kind.SINGLE):
            # Fields of another kind, left filled in a page without JavaScript.
            data["candidate"] = data["baseline"] = None
            least = 2 if kind == Kind.TOURNAMENT else 1
            if len(data.get("chat_models") or ()) < least:
                self.add_error(
                    "chat_models",
                    "A tournament needs at least two chat models."
                    if least == 2
                    else "Pick the chat model (or models) to rate.",
                )
        scale = data.get("scale")
        if kind and scale and scale not in SCALES_BY_KIND[kind]:
            allowed = ", ".join(Scale(item).label for item in SCALES_BY_KIND[kind])
            self.add_error("scale", f"{Kind(kind).label} takes: {allowed}.")
        if data.get("safety_labels") and scale != Scale.PREFERENCE:
            self.add_error(
                "safety_labels", "Safety labels are only on the preference scale."
            )
        self._clean_quality(data)
        sequential_defaults(data)
        values = {name: data.get(name) for name in SEQUENTIAL_FIELDS}
        for name, message in sequential_errors(kind=kind, **values).items():
            if name not in self.errors:
                self.add_error(name, message)
        return data

    def _clean_head_to_head(self, data: dict) -> None:
        candidate, baseline = data.get("candidate"), data.get("baseline")
        if candidate is None and "candidate" not in self.errors:
            self.add_error("candidate", "A head-to-head evaluation needs a candidate.")
        if baseline is None and "baseline" not in self.errors:
            self.add_error("baseline", "A head-to-head evaluation needs a baseline.")
        if candidate is not None and candidate == baseline:
            self.add_error("baseline", "The baseline must differ from the candidate.")
        data["chat_models"] = [m for m in (candidate, baseline) if m is not None]

    def _clean_quality(self, data: dict) -> None:
        for name in SHARES:
            value = data.get(name)
            if value is not None and not 0 <= value <= 1:
                self.add_error(name, "A share: give a number from 0 to 1.")
        gold, repeat = data.get("gold_rate"), data.get("repeat_rate")
        if gold is not None and repeat is not None and gold + repeat > 1:
            self.add_error(
                "repeat_rate",
                "Gold and repeat rates add up to more than 1 (all items served).",
            )
        if (seconds := data.get("min_seconds")) is not None and seconds < 0:
            self.add_error("min_seconds", "Seconds cannot be negative.")
        if data.get("annotators_per_pair") == 0:
            self.add_error("annotators_per_pair", "At least one annotator per pair.")
