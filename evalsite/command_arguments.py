"""Argument types the apps' management commands share: a bad value is a usage error
naming the argument, before anything runs (not a traceback after)."""

from __future__ import annotations

import argparse
from pathlib import Path


def output_file(value: str) -> Path:
    """A file to write: not a folder, in a folder that exists."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value!r} is a folder; name a file in it")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"no folder {str(path.parent)!r}")
    return path


def positive_seconds(value: str) -> float:
    """A number of seconds above 0."""
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not seconds > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"{value!r}: seconds above 0")
    return seconds
