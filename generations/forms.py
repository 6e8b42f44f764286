"""Forms of the generations pages."""

from django import forms

from .models import ChatModel, PromptSet


class JobForm(forms.Form):
    """Pick prompt sets and chat models for a new generation job."""

    name = forms.CharField(max_length=200, required=False)
    prompt_sets = forms.ModelMultipleChoiceField(
        queryset=PromptSet.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    chat_models = forms.ModelMultipleChoiceField(
        queryset=ChatModel.objects.exclude(backend=ChatModel.Backend.IMPORTED),
        widget=forms.CheckboxSelectMultiple,
    )
