"""The report of a single-response (Likert) evaluation: mean quality and the
distribution of ratings per chat model and per category, with prompt-clustered
intervals, and the annotators' agreement; as a value, JSON and CSV."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from annotations.models import Evaluation

from . import annotator_filters, selectors
from .downloads import FILES, WRITERS, Download, csv_bytes, evaluation_stem
from .report_metadata import data_hash, software_versions
from .report_options import OPTIONS, ReportOptions
from .statistics import likert as lk
from .values.base import Value

_OFFERED = {option.name: option for option in OPTIONS if option.name in ("seed",
            "resamples")}  # fmt: skip
# The pairwise report's annotator filters: a Likert report keeps every rating, so
# one asked for is refused, never ignored (the report would count those ratings).
ANNOTATOR_FILTERS = ("exclude", *(option for option, _, _ in annotator_filters.RULES))
LEVEL = 0.95
NOT_SINGLE = "a Likert report is for single-response evaluations"


FRAME_COLUMNS = [
    "scope", "chat_model", "category", "n", "n_prompts", "mean", "low", "high",
    *lk.SHARE_COLUMNS, "alpha_ordinal", "within_one", "exact", "n_rating_pairs",
]  # fmt: skip


@dataclass(frozen=True)
class LikertRow(Value):
    """One group's ratings: how many, the mean (1 worst to 7 best) with its
    interval, and each point's share (``shares[0]`` is the share of 1s)."""

    chat_model: str
    category: str
    n: int
    n_prompts: int
    mean: float
    low: float | None
    high: float | None
    shares: tuple[float, ...]

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        return self.low, self.high


@dataclass(frozen=True)
class LikertAgreement(Value):
    """Agreement among the annotators of each response (see
    ``statistics.likert.likert_agreement``)."""

    chat_model: str
    alpha: float | None
    within_one: float | None
    exact: float | None
    n_pairs: int
    n_units: int


@dataclass(frozen=True)
class LikertReport(Value):
    """A single-response evaluation's report; ``chat_model`` "" means all of them."""

    evaluation: Mapping[str, Any]
    n_ratings: int
    method: str
    by_model: tuple[LikertRow, ...]
    by_category: tuple[LikertRow, ...]
    agreement: tuple[LikertAgreement, ...]
    options: Mapping[str, Any]
    data_sha256: str
    software: Mapping[str, str]

    @property
    def overall(self) -> LikertAgreement | None:
        return next((row for row in self.agreement if not row.chat_model), None)


def likert_options(params: Mapping[str, Any]) -> dict[str, int]:
    """``seed`` and ``resamples`` from query parameters or command options (the
    pairwise report's others are ignored, but for ``ANNOTATOR_FILTERS``, which are
    refused); ValueError names the bad one."""
    for name in ANNOTATOR_FILTERS:
        if params.get(name) not in (None, "", []):
            raise ValueError(
                f"{name}: a single-response (Likert) report keeps every annotator's "
                "ratings; it takes seed and resamples"
            )
    defaults = ReportOptions()
    chosen = {name: getattr(defaults, name) for name in _OFFERED}
    for name, option in _OFFERED.items():
        raw = params.get(name)
        if raw is not None and raw != "":
            value = option.parse(raw)
            option.check(value)
            chosen[name] = value
    return chosen


def method_text(*, resamples: int, seed: int) -> str:
    return (
        "Mean rating (1 worst to 7 best) per chat model and per category (a prompt "
        f"in two categories counts in both); {LEVEL:.0%} percentile bootstrap over "
        f"prompts ({resamples} resamples, seed {seed}): a drawn prompt brings all its "
        "ratings. Agreement: Krippendorff's alpha (ordinal) over the responses, and "
        "the share of pairs of ratings of one response within one point."
    )


def _rows(table: pd.DataFrame) -> tuple[LikertRow, ...]:
    return tuple(
        LikertRow(
            chat_model=str(row.get("candidate", "")),
            category=str(row.get("category", "")),
            n=int(row["n"]),
            n_prompts=int(row["n_prompts"]),
            mean=float(row["mean"]),
            low=None if pd.isna(row["low"]) else float(row["low"]),
            high=None if pd.isna(row["high"]) else float(row["high"]),
            shares=tuple(float(row[c]) for c in lk.SHARE_COLUMNS),
        )
        for row in table.to_dict("records")
    )


def _agreement(ratings: pd.DataFrame, chat_model: str) -> LikertAgreement:
    result = lk.likert_agreement(ratings)
    return LikertAgreement(
        chat_model=chat_model,
        **{
            key: (None if pd.isna(result[key]) else result[key])
            for key in ("alpha", "within_one", "exact")
        },
        n_pairs=result["n_pairs"],
        n_units=result["n_units"],
    )


def build_likert_report(
    ratings: pd.DataFrame,
    evaluation: Mapping[str, Any],
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> LikertReport:
    """The report from long-form ratings (``selectors.ratings_frame``: uses
    ``comparison_id``, ``prompt_id``, ``candidate``, ``categories``, ``score`` and
    the columns of ``data_hash``)."""
    bootstrap = {"resamples": resamples, "seed": seed, "level": LEVEL}
    everyone = ratings.assign(candidate="")
    by_model = pd.concat(
        [
            lk.likert_groups(everyone, ["candidate"], **bootstrap),
            lk.likert_groups(ratings, ["candidate"], **bootstrap),
        ]
    )
    agreement = [_agreement(ratings, "")] if len(ratings) else []
    agreement += [
        _agreement(group, str(model))
        for model, group in ratings.groupby("candidate", sort=True)
    ]
    return LikertReport(
        evaluation=dict(evaluation),
        n_ratings=len(ratings),
        method=method_text(resamples=resamples, seed=seed),
        by_model=_rows(by_model) if len(ratings) else (),
        by_category=_rows(lk.likert_by_category(ratings, ["candidate"], **bootstrap))
        if len(ratings)
        else (),
        agreement=tuple(agreement),
        options={"resamples": resamples, "seed": seed, "level": LEVEL},
        data_sha256=data_hash(ratings),
        software=software_versions(),
    )


def likert_report(evaluation: Evaluation, params: Mapping[str, Any]) -> LikertReport:
    """The Likert report of a single-response evaluation, from the data as it is
    now. ValueError for another kind of evaluation or a bad ``seed`` or
    ``resamples``."""
    if evaluation.kind != Evaluation.Kind.SINGLE:
        raise ValueError(NOT_SINGLE)
    chosen = likert_options(params)
    ratings = selectors.ratings_frame([evaluation.pk], full=False)
    summary = selectors.evaluation_summary(evaluation.pk)
    described = {
        "id": summary.id,
        "name": summary.name,
        "kind": summary.kind,
        "scale": summary.scale,
        "prompt_set": summary.prompt_set,
        "annotators_per_pair": summary.annotators_per_pair,
        "left_out": dict(summary.left_out),
        "flag_reviews": selectors.flag_reviews(evaluation.pk).to_json(),
    }
    return build_likert_report(ratings, described, **chosen)


def likert_frame(report: LikertReport) -> pd.DataFrame:
    """The report as one table: a row per chat model ("" is all of them, with the
    agreement columns) and per category and chat model."""
    agreement = {row.chat_model: row for row in report.agreement}
    rows = []
    for scope, table in (("chat_model", report.by_model),
                         ("category", report.by_category)):  # fmt: skip
        for row in table:
            agreed = agreement.get(row.chat_model) if scope == "chat_model" else None
            rows.append(
                {
                    "scope": scope,
                    "chat_model": row.chat_model or "(all)",
                    "category": row.category,
                    "n": row.n,
                    "n_prompts": row.n_prompts,
                    "mean": row.mean,
                    "low": row.low,
                    "high": row.high,
                    **dict(zip(lk.SHARE_COLUMNS, row.shares, strict=True)),
                    "alpha_ordinal": agreed.alpha if agreed else None,
                    "within_one": agreed.within_one if agreed else None,
                    "exact": agreed.exact if agreed else None,
                    "n_rating_pairs": agreed.n_pairs if agreed else None,
                }
            )
    frame = pd.DataFrame(rows, columns=FRAME_COLUMNS)
    # A count, empty on the category rows: "12", not "12.0".
    frame["n_rating_pairs"] = frame["n_rating_pairs"].astype("Int64")
    return frame


def likert_csv(report: LikertReport) -> bytes:
    """``likert_frame`` as spreadsheet-safe CSV (CRLF rows, as every download)."""
    return csv_bytes(likert_frame(report))


def likert_json(report: LikertReport) -> bytes:
    return json.dumps(report.to_json(), indent=2, allow_nan=False).encode()


def likert_download(
    evaluation: Evaluation, name: str, params: Mapping[str, Any]
) -> Download:
    """A single-response evaluation's download: the Likert report (report.json,
    report.csv) or its ratings as stored (ratings.csv, ratings.parquet). KeyError
    for an unknown name; ValueError for pairs.csv (it has no pairs) or a bad
    option."""
    if name in ("report.json", "report.csv"):
        report = likert_report(evaluation, params)
        content = likert_json(report) if name == "report.json" else likert_csv(report)
    elif name in ("ratings.csv", "ratings.parquet"):
        content = WRITERS[name](evaluation, None)
    elif name in FILES:
        raise ValueError(f"{name}: a single-response evaluation has no pairs")
    else:
        raise KeyError(name)
    return Download(content, FILES[name], f"{evaluation_stem(evaluation)}-{name}")
