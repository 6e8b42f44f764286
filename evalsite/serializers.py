"""Shared pieces of the REST API's serializers."""

from collections.abc import Mapping

from rest_framework import serializers


class KnownFields:
    """A body's fields must be the serializer's own: DRF passes over the others in
    silence, so a misspelt or unsupported field (``pool`` on an evaluation) was
    left out of what was created without a word (a new-user pass). Mixed in before
    the serializer class."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            known = set(self.fields)
            if unknown := sorted(set(data) - known):
                raise serializers.ValidationError(
                    {
                        name: [f"unknown field; use {', '.join(sorted(known))}"]
                        for name in unknown
                    }
                )
        return super().to_internal_value(data)
