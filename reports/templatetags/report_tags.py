"""Formatting of report numbers in templates: shares, intervals, coefficients."""

from django import template

from reports.values import BreakdownRow

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.382 -> "38.2%"; missing -> "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def ci(bounds) -> str:
    """(0.36, 0.40) -> "36.0-40.0"."""
    if not bounds or bounds[0] is None or bounds[1] is None:
        return "—"
    return f"{bounds[0] * 100:.1f}-{bounds[1] * 100:.1f}"


@register.filter
def rowci(row: BreakdownRow, share: str) -> str:
    """The interval of ``share`` in a breakdown row."""
    return ci(row.bounds(share))


@register.filter
def num(value, digits: int = 3) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):.{int(digits)}f}"


@register.filter
def numci(bounds, digits: int = 3) -> str:
    """(-0.07, 0.138) -> "-0.070 to 0.138"; missing -> "—"."""
    if not bounds or bounds[0] is None or bounds[1] is None:
        return "—"
    return f"{num(bounds[0], digits)} to {num(bounds[1], digits)}"


@register.filter
def rowrange(row, digits: int = 4) -> str:
    """A row's ``low`` to ``high`` interval joined by an en dash; missing -> "—"."""
    if row.low is None or row.high is None:
        return "—"
    return f"{num(row.low, digits)}\u2013{num(row.high, digits)}"


@register.filter
def get(mapping: dict, key):
    return mapping.get(key) if mapping else None
