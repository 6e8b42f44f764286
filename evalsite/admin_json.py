"""The admin's JSON fields, checked as an upload's values are.

Django's JSON form field reads NaN, Infinity and nesting deep enough to exhaust
Python's recursion, and passes on NUL characters and lone surrogates: PostgreSQL's
jsonb refuses each of them, so saving such a value was a 500. ``CheckedJSONAdmin``
gives every JSON field of an admin form ``CheckedJSONField``, which refuses them
naming the path in the value (``metadata.x: Infinity is not a JSON value``).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.fields import InvalidJSONInput

from evalsite.imports.record_values import FieldError, json_loads, value_check


class CheckedJSONField(forms.JSONField):
    """A JSON form field whose value must be one a jsonb column can hold."""

    def __init__(self, *, name: str = "value", **kwargs) -> None:
        self.name = name
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str) and value.strip() and not self.disabled:
            try:
                value_check(json_loads(value), self.name)
            except FieldError as exc:
                raise ValidationError(
                    f"{exc.field or self.name}: {exc.message}"
                ) from None
        return super().to_python(value)

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # too deep to parse: shown again as it was typed
            return InvalidJSONInput(data)


class CheckedJSONAdmin(admin.ModelAdmin):
    """A ModelAdmin whose JSON fields are ``CheckedJSONField``s."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.JSONField):
            kwargs.setdefault("form_class", CheckedJSONField)
            if kwargs["form_class"] is CheckedJSONField:
                kwargs.setdefault("name", db_field.name)
        return super().formfield_for_dbfield(db_field, request, **kwargs)
