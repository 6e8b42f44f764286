"""The options of a report, defined once: their choices, bounds, labels and parsing.

``ReportOptions`` is the one definition. Each field a user may set carries an
``Option`` in its metadata; ``OPTIONS`` lists them, and from it come the ``report``
command's arguments (``add_arguments``), the API's query parameters and OpenAPI
enums (``reports.api``), the HTML form (``reports.forms``) and the parsing of
query parameters (``options_from``). Pure Python: no Django.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from . import statistics as st


@dataclass(frozen=True)
class Option:
    """How one option is offered: a closed list of choices, a number range (an
    integer, or a float that may be left out: None), or a set of names (``many``:
    a tuple of ``type``, comma-separated in a query parameter)."""

    name: str
    label: str
    help: str
    type: type
    choices: tuple[tuple[Any, str], ...] = ()  # (value, label)
    minimum: float | None = None
    maximum: float | None = None
    many: bool = False

    @property
    def values(self) -> list:
        """The allowed values of a closed option, in display order."""
        return [value for value, _ in self.choices]

    def check(self, value: Any) -> None:
        """ValueError naming the option when ``value`` is not allowed."""
        if value is None or self.many:
            return  # an optional number left out; names are checked against data
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{self.name}: {self.range_text}")
        if self.choices and value not in self.values:
            raise ValueError(
                f"{self.name}: use one of {', '.join(map(str, self.values))}"
            )
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"{self.name}: {self.range_text}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"{self.name}: {self.range_text}")

    @property
    def range_text(self) -> str:
        kind = "an integer" if self.type is int else "a number"
        if self.maximum is None:
            return f"use {kind} of at least {self.minimum}"
        return f"use {kind} from {self.minimum} to {self.maximum}"

    def parse(self, raw: Any) -> Any:
        """A query parameter's text (or the names of a ``many`` option, as text or a
        list) as this option's value; ValueError names it."""
        if self.many:
            items = [raw] if isinstance(raw, str) else raw
            names = (name.strip() for item in items for name in item.split(","))
            return tuple(sorted({name for name in names if name}))
        if self.type in (int, float) and isinstance(raw, str):
            try:
                return self.type(raw)
            except ValueError:
                kind = "an integer" if self.type is int else "a number"
                raise ValueError(f"{self.name}: expected {kind}, got {raw!r}") from None
        return raw

    def argument(self, raw: str) -> Any:
        """The ``report`` command's type for this option: parsed and checked."""
        try:
            value = self.parse(raw)
            self.check(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        return value


def _option(default: Any, **offer: Any) -> Any:
    return field(default=default, metadata={"option": offer})


@dataclass(frozen=True)
class ReportOptions:
    """What a report computes; every field is stated in the report's metadata."""

    aggregation: str = _option(
        "majority",
        label="Aggregation",
        help="how a pair's ratings become one outcome (majority by default; "
        "rating, every vote, for tournaments)",
        choices=tuple((rule, rule) for rule in st.RULES),
    )
    threshold: int = _option(
        1,
        label="Tie threshold",
        help="the smallest score that counts as a win",
        choices=((1, "1 (slightly better wins)"), (2, "2 (better wins)")),
    )
    seed: int = _option(
        0, label="Seed", help="seed of the bootstrap resamples", minimum=0
    )
    resamples: int = _option(
        1000,
        label="Resamples",
        help="bootstrap resamples of the intervals",
        minimum=0,
        maximum=100_000,
    )
    interval: str = _option(
        "bootstrap",
        label="Interval",
        help="95% interval of the shares: percentile bootstrap over prompts, or "
        "Wilson's score interval on pair outcomes (under the rating aggregation, "
        "cluster-robust: at the effective sample size over prompts)",
        choices=(("bootstrap", "bootstrap over prompts"), ("wilson", "Wilson")),
    )
    weights: str = _option(
        "quadratic",
        label="Agreement weights",
        help="weights of Gwet's AC2 on the scale's points",
        choices=tuple((name, name) for name in st.WEIGHTS[1:]),
    )
    exclude: tuple[str, ...] = _option(
        (),
        label="Exclude annotators",
        help="annotators whose ratings are left out, by name (comma-separated)",
        type=str,
        many=True,
    )
    min_agreement: float | None = _option(
        None,
        label="Min. agreement",
        help="leave out annotators whose agreement with the others is below this "
        "(0 to 1)",
        type=float,
        minimum=0,
        maximum=1,
    )
    min_median_seconds: float | None = _option(
        None,
        label="Min. median seconds",
        help="leave out annotators whose median seconds per pair are below this",
        type=float,
        minimum=0,
    )
    annotator_rules: str = _option(
        "remove",
        label="Annotator rules",
        help="remove the annotators the two rules above flag, or only mark them in "
        "the annotator table",
        choices=(("remove", "remove"), ("mark", "mark only")),
    )
    ties: str = _option(
        "half",
        label="Ties (tournaments)",
        help="how a tournament's Bradley-Terry model counts ties: half a win for "
        "each model, or Davidson's model with a fitted tie parameter",
        choices=(("half", "half a win"), ("davidson", "Davidson")),
    )
    level: float = 0.95  # not offered: every interval is a 95% interval

    def __post_init__(self) -> None:
        for option in OPTIONS:
            if option.many:  # one spelling of a set of names: a sorted tuple
                object.__setattr__(
                    self, option.name, option.parse(getattr(self, option.name))
                )
            option.check(getattr(self, option.name))

    @property
    def filters_annotators(self) -> bool:
        """Whether the options exclude annotators or flag them by a rule."""
        return bool(self.exclude) or any(
            threshold is not None
            for threshold in (self.min_agreement, self.min_median_seconds)
        )


OPTIONS: tuple[Option, ...] = tuple(
    Option(
        name=item.name,
        **{"type": type(item.default), **item.metadata["option"]},
    )
    for item in fields(ReportOptions)
    if "option" in item.metadata
)


def default_aggregation(kind: str) -> str:
    """Tournaments count every vote as a match (as Bradley-Terry fits usually do)."""
    return "rating" if kind == "tournament" else "majority"


def options_from(
    params: Mapping[str, Any], *, kind: str = "", scale: str = ""
) -> ReportOptions:
    """Report options from query parameters or command options.

    Missing or empty values take their defaults (the aggregation's depends on the
    evaluation's ``kind``); ValueError names every bad parameter ("; " between).
    """
    values: dict[str, Any] = {"aggregation": default_aggregation(kind)}
    errors = []  # every bad option at once, not one per submit
    for option in OPTIONS:
        raw = params.get(option.name)
        if option.many and hasattr(params, "getlist"):  # ?exclude=a&exclude=b
            raw = [item for item in params.getlist(option.name) if item] or None
        if raw is None or raw == "":
            continue
        try:
            values[option.name] = option.parse(raw)
            option.check(values[option.name])
        except ValueError as error:
            errors.append(str(error))
            values.pop(option.name, None)
    if errors:
        raise ValueError("; ".join(errors))
    options = ReportOptions(**values)
    errors = tournament_problems(options) if kind == "tournament" else []
    errors += scale_problems(options, scale)
    if errors:
        raise ValueError("; ".join(errors))
    return options


def scale_problems(options: ReportOptions, scale: str) -> list[str]:
    """``threshold`` when the scale has no step it could mean: on the three-point
    scale every rating would be a tie; on the preference scale a rating's outcome is
    the side it prefers (it has no tie)."""
    if scale == "three" and options.threshold != 1:
        return ["threshold: the three-point scale has one step each way; use 1"]
    if scale == "preference" and options.threshold != 1:
        return [
            "threshold: on the preference scale the outcome is the side preferred "
            "(no ties); use 1"
        ]
    return []


# A tournament refits its model on every resample, in time and memory (about 40 kB a
# resample for LLMFAO's 927 pairs of models): fewer than other reports allow.
TOURNAMENT_MAX_RESAMPLES = 10_000


def tournament_problems(options: ReportOptions) -> list[str]:
    """``interval`` when a tournament is asked for Wilson's; ``resamples`` above
    ``TOURNAMENT_MAX_RESAMPLES``."""
    problems = []
    if options.interval != "bootstrap":
        problems.append(
            "interval: a tournament's intervals are a bootstrap over prompts; "
            "use bootstrap"
        )
    if options.resamples > TOURNAMENT_MAX_RESAMPLES:
        problems.append(
            "resamples: a tournament refits its model on every resample; at most "
            f"{TOURNAMENT_MAX_RESAMPLES}"
        )
    return problems


def _refused(name: str, value: Any, *, kind: str, scale: str) -> bool:
    """Would ``scale_problems`` or ``tournament_problems`` refuse this value?"""
    options = replace(ReportOptions(), **{name: value})
    problems = scale_problems(options, scale)
    if kind == "tournament":
        problems += tournament_problems(options)
    return any(problem.startswith(f"{name}:") for problem in problems)


def offered_options(*, kind: str = "", scale: str = "") -> tuple[Option, ...]:
    """``OPTIONS`` as the report of an evaluation of ``kind`` on ``scale`` offers
    them: without the choices ``scale_problems`` and ``tournament_problems``
    refuse, and without ``ties``, which only a tournament's model counts. Unknown
    kind and scale: all of them."""
    offered = []
    for option in OPTIONS:
        if option.name == "ties" and kind and kind != "tournament":
            continue
        if option.choices and not option.many:
            kept = (
                choice
                for choice in option.choices
                if not _refused(option.name, choice[0], kind=kind, scale=scale)
            )
            option = replace(option, choices=tuple(kept))
        if kind == "tournament" and option.name == "resamples":
            option = replace(option, maximum=TOURNAMENT_MAX_RESAMPLES)
        offered.append(option)
    return tuple(offered)


def refuse_for_tournament(options: ReportOptions) -> None:
    """ValueError naming every option a tournament cannot take."""
    if problems := tournament_problems(options):
        raise ValueError("; ".join(problems))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One ``--option`` per report option, with its choices, for the report command."""
    defaults = ReportOptions()
    for option in OPTIONS:
        default = (
            "by the evaluation's kind"
            if option.name == "aggregation"
            else getattr(defaults, option.name)
        )
        if option.many:
            parser.add_argument(
                f"--{option.name.replace('_', '-')}",
                dest=option.name,
                action="append",
                metavar="NAME",
                help=f"{option.help}; repeat it for more".replace("%", "%%"),
            )
            continue
        parser.add_argument(
            f"--{option.name.replace('_', '-')}",
            dest=option.name,
            type=option.argument,
            choices=option.values or None,
            help=f"{option.help} (default: {default})".replace("%", "%%"),
        )
