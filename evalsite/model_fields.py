"""Model fields shared by the apps.

``CountField`` and ``SmallCountField`` are positive integer fields whose form
fields take their bounds from the model field's own validators. Django's
``PositiveIntegerField`` gives every form ``min_value=0``: a field that takes 1 and
up then offered 0 in its input and answered -5 with "greater than or equal to 0",
and 0 with "greater than or equal to 1". Here the input says the real minimum, a
value below it is refused with it, and a validator's own message (``"A quota is
at least one pair."``) is the form's message too.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


class _BoundsFromValidators:
    def formfield(self, **kwargs):
        bounds: dict = {}
        messages: dict = {}
        for validator, key, tighter in (
            (MinValueValidator, "min_value", max),
            (MaxValueValidator, "max_value", min),
        ):
            found = [
                item
                for item in self.validators
                if type(item) is validator and not callable(item.limit_value)
            ]
            if not found:
                continue
            limit = tighter(item.limit_value for item in found)
            bounds[key] = limit
            custom = [
                item.message
                for item in found
                if item.limit_value == limit and item.message != validator.message
            ]
            if custom:
                messages[key] = custom[0]
        if messages:
            kwargs["error_messages"] = {**messages, **kwargs.get("error_messages", {})}
        return super().formfield(**{**bounds, **kwargs})


class CountField(_BoundsFromValidators, models.PositiveIntegerField):
    """A ``PositiveIntegerField`` whose forms take its validators' bounds."""


class SmallCountField(_BoundsFromValidators, models.PositiveSmallIntegerField):
    """A ``PositiveSmallIntegerField`` whose forms take its validators' bounds."""
