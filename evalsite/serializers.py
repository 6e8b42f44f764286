"""Shared pieces of the REST API's serializers."""

from collections.abc import Mapping

from django.db import models
from rest_framework import serializers

from evalsite.imports.limits import MAX_NAME_CHARS


def unknown_field_errors(
    data: Mapping, serializer: serializers.Serializer, *, also: frozenset = frozenset()
) -> dict[str, list[str]]:
    """Each field of ``data`` that is not one of the serializer's own (nor in
    ``also``), with a message naming the fields a body may give: the writable ones
    (a read-only field in a body is known, but it is not one to use)."""
    known = set(serializer.fields) | also
    writable = sorted(
        name for name, field in serializer.fields.items() if not field.read_only
    )
    message = f"unknown field; use {', '.join(writable)}"
    return {_shown(name): [message] for name in sorted(set(data) - known)}


def _shown(name: object) -> str:
    """A body's unknown field name as an answer echoes it: at most 40 characters
    (a 5,000-character name was echoed whole)."""
    return str(name)[:40]


class NumberField(serializers.FloatField):
    """DRF's FloatField, refusing a JSON ``true`` or ``false``: ``float(True)`` is
    1.0, so ``"seconds": true`` was stored as one second (a third API pass)."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


# A body's fields must be the serializer's own: DRF passes over the others in
# silence, so a misspelt or unsupported field (``pool`` on an evaluation) was left
# out of what was created without a word (a new-user pass). Mixed in before the
# serializer class. No docstring: drf-spectacular would show it as the description
# of every component that mixes this in.
class KnownFields:
    # Names a body may carry beside the serializer's fields (a browser form's token).
    also_known: frozenset = frozenset()
    # A model serializer's float fields refuse booleans too (NumberField).
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: NumberField,
    }

    def to_internal_value(self, data):
        if isinstance(data, Mapping) and (
            errors := unknown_field_errors(data, self, also=self.also_known)
        ):
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class NameField(serializers.SlugRelatedField):
    """An object by its name; a name no column can hold is refused, not looked up
    (PostgreSQL refuses a NUL character even in a query)."""

    default_error_messages = {
        "blank": "Give a name: this field may not be blank.",
        "not_a_name": "Expected a name (a string), got {kind}.",
        # DRF's "Object with name=nope does not exist." said neither what kind of
        # object nor where to look (a new-user pass).
        "does_not_exist": "No {model} named '{value}'.",
    }

    def fail(self, key, **kwargs):
        if key == "does_not_exist":
            kwargs["model"] = self.get_queryset().model._meta.verbose_name
        super().fail(key, **kwargs)

    def run_validation(self, data=serializers.empty):
        # DRF's related fields read "" as null ("may not be null"): say what it is.
        if data == "" and not self.allow_null:
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_name", kind=type(data).__name__)
        if "\x00" in data or len(data) > MAX_NAME_CHARS:
            self.fail("invalid")
        return super().to_internal_value(data)
