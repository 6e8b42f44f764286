"""The options of a preference export, defined once: the ``export_preferences``
command's arguments, the API's query parameters and enums, and the page's form.

Pure Python: no Django.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from annotations import scales

from .report_options import Option

FORMATS = {"jsonl": "JSON Lines", "hf": "Hugging Face dataset folder"}
PER = {"rating": "one row per rating", "pair": "one row per pair, by majority"}
ABOUT_SAME = {
    "omit": "left out",
    "separate": "written to a separate file",
}


def _offer(default: str, label: str, help: str, choices: Mapping[str, str]) -> Any:
    return field(
        default=default,
        metadata={"option": {"label": label, "help": help,
                             "choices": tuple(choices.items())}},
    )  # fmt: skip


@dataclass(frozen=True)
class ExportOptions:
    """How preference ratings are exported; every field is checked on creation."""

    format: str = _offer(
        "jsonl",
        "Format",
        "JSON Lines, or a folder written by Hugging Face datasets' save_to_disk "
        "(a zip of it when downloaded)",
        FORMATS,
    )
    margin: str = _offer(
        "small",
        "Margin",
        "the margin of each preference strength, from the Llama 2 paper's Table 27 "
        "(small: 1, 2/3, 1/3, 0; large: 3, 2, 1, 0; none: all 0)",
        {name: name for name in scales.MARGINS},
    )
    per: str = _offer(
        "rating",
        "Rows",
        "one row per rating, or one per pair by the majority of its ratings "
        "(pairs split evenly are left out)",
        PER,
    )
    about_same: str = _offer(
        "omit",
        "About the same",
        'seven-point ratings of "about the same" have no chosen response: left '
        "out, or written to a separate file (always one row per rating)",
        ABOUT_SAME,
    )

    def __post_init__(self) -> None:
        for option in EXPORT_OPTIONS:
            option.check(getattr(self, option.name))


EXPORT_OPTIONS: tuple[Option, ...] = tuple(
    Option(name=item.name, type=str, **item.metadata["option"])
    for item in fields(ExportOptions)
)


def export_options_from(params: Mapping[str, Any]) -> ExportOptions:
    """Export options from query parameters or command options; missing or empty
    values take their defaults. ValueError names the bad parameter."""
    values = {}
    for option in EXPORT_OPTIONS:
        raw = params.get(option.name)
        if raw is None or raw == "":
            continue
        values[option.name] = option.parse(raw)
    return ExportOptions(**values)


def add_export_arguments(parser: argparse.ArgumentParser) -> None:
    """One ``--option`` per export option, with its choices."""
    defaults = ExportOptions()
    for option in EXPORT_OPTIONS:
        parser.add_argument(
            f"--{option.name.replace('_', '-')}",
            dest=option.name,
            choices=option.values,
            default=getattr(defaults, option.name),
            help=f"{option.help} (default {getattr(defaults, option.name)})",
        )
