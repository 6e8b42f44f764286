"""The base of a report's values: their JSON, field by field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any, ClassVar

Bounds = tuple[float | None, float | None]  # an interval's low and high


def plain(value: Any) -> Any:
    """JSON-ready data of a value: dataclasses as dicts, tuples as lists, NaN as None."""
    if isinstance(value, Value):
        return value.to_json()
    if is_dataclass(value):
        return {item.name: plain(getattr(value, item.name)) for item in fields(value)}
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


class Value:
    """Base of the report's dataclasses: their JSON, field by field."""

    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()

    def to_json(self) -> dict[str, Any]:
        data = {}
        for item in fields(self):  # type: ignore[arg-type]
            value = getattr(self, item.name)
            if value is None and item.name in self.OMIT_NONE:
                continue
            data[item.name] = plain(value)
        return data
