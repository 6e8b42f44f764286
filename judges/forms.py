"""Forms of the judges pages."""

from django import forms

from annotations.models import Evaluation
from generations.models import ChatModel

from .models import Judge


class RunForm(forms.Form):
    """Pick an evaluation with pairs and a judge that has a chat model to ask."""

    evaluation = forms.ModelChoiceField(
        queryset=Evaluation.objects.exclude(kind=Evaluation.Kind.SINGLE)
    )
    judge = forms.ModelChoiceField(
        queryset=Judge.objects.filter(
            chat_model__isnull=False, template__isnull=False
        ).exclude(chat_model__backend=ChatModel.Backend.IMPORTED)
    )
    both_orders = forms.BooleanField(
        required=False,
        help_text="Judge each pair as shown and again with the sides swapped.",
    )
