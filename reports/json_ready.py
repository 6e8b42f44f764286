"""Report numbers as JSON-ready values: NaN and infinities become None."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd


def finite(value: Any) -> Any:
    """NaN and infinities as None; every other value as it is."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def finite_items(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {key: finite(value) for key, value in mapping.items()}


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as JSON-ready rows (NaN becomes None; floats to 10 digits)."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))
