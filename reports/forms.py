"""The report options form of the report pages, made from ``report_options.OPTIONS``."""

from __future__ import annotations

from dataclasses import asdict

from django import forms

from annotations import scales

from .preference_options import EXPORT_OPTIONS, ExportOptions
from .report_options import OPTIONS, Option, ReportOptions, offered_options


def _field(option: Option) -> forms.Field:
    if option.choices:
        return forms.TypedChoiceField(
            label=option.label,
            help_text=option.help,
            required=False,
            choices=option.choices,
            coerce=option.type,
        )
    if option.many:
        return forms.CharField(
            label=option.label, help_text=option.help, required=False
        )
    number = forms.FloatField if option.type is float else forms.IntegerField
    return number(
        label=option.label,
        help_text=option.help,
        required=False,
        min_value=option.minimum,
        max_value=option.maximum,
    )


class ReportOptionsForm(forms.Form):
    """One field per report option, showing the options a report was made with.

    The pages parse their query with ``report_options.options_from``, as the API
    and the command do; this form only offers the same choices, those an
    evaluation of ``kind`` on ``scale`` takes (``report_options.offered_options``).
    """

    def __init__(
        self, options: ReportOptions, *, kind: str = "", scale: str = "", **kwargs
    ) -> None:
        initial = asdict(options)
        for option in OPTIONS:
            if option.many:
                initial[option.name] = ", ".join(initial[option.name])
        super().__init__(initial=initial, label_suffix="", **kwargs)
        for option in offered_options(kind=kind, scale=scale):
            self.fields[option.name] = _field(option)


def _option_field(name: str, *, scale: str = "") -> forms.Field:
    options = offered_options(scale=scale)
    return _field(next(option for option in options if option.name == name))


class DisagreementFilterForm(forms.Form):
    """The filters of the disagreements page; ``error_text`` names the bad fields."""

    category = forms.ChoiceField(label="Category", required=False)
    turns = forms.IntegerField(label="Turns", required=False, min_value=1)

    def __init__(self, data, *, categories: list[str], scale: str = "seven") -> None:
        super().__init__(data, label_suffix="")
        self.fields["category"].choices = [("", "any"), *((c, c) for c in categories)]
        low, high = scales.bounds(scale)
        self.fields["min_spread"] = forms.IntegerField(
            label="Min. spread",
            help_text="highest minus lowest score of the pair's ratings",
            required=False,
            min_value=0,
            max_value=high - low,  # the widest spread the scale's scores can have
        )
        self.fields["threshold"] = _option_field("threshold", scale=scale)

    def error_text(self) -> str:
        return "; ".join(
            f"{name}: {' '.join(errors)}" for name, errors in self.errors.items()
        )


class PreferenceExportForm(forms.Form):
    """The preference export's options (``preference_options.EXPORT_OPTIONS``) as
    radio buttons; the download view parses the query as the API does."""

    def __init__(self) -> None:
        super().__init__(initial=asdict(ExportOptions()), label_suffix="")
        for option in EXPORT_OPTIONS:
            self.fields[option.name] = forms.ChoiceField(
                label=option.label,
                help_text=option.help,
                choices=option.choices,
                widget=forms.RadioSelect,
            )
