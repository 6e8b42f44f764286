"""Downloads of a report, for the pages and the API alike: its files and formats.

Ratings (CSV, Parquet), pair outcomes (CSV) and the report (JSON, CSV); figures
come from ``reports.figures`` and leave through the same ``attachment``. CSV cells
are made safe to open in a spreadsheet (``spreadsheet_safe``); JSON and Parquet keep
the values as they are.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify

from annotations.models import Evaluation
from evalsite.responses import CSV

from . import selectors
from . import statistics as st
from .evaluation_reports import evaluation_report
from .report_builder import PAIR_COLUMNS
from .report_options import ReportOptions
from .values import Report

FILES = {
    "ratings.csv": CSV,
    "ratings.parquet": "application/vnd.apache.parquet",
    "pairs.csv": CSV,
    "report.json": "application/json",
    "report.csv": CSV,
}
# The files made from the report itself (the others are the ratings as stored).
REPORT_FILES = ("report.json", "report.csv")
# Those of a single-response evaluation (its report is the Likert report).
LIKERT_FILES = ("ratings.csv", "ratings.parquet", "report.json", "report.csv")
SHARE_COLUMNS = ("win", "tie", "loss", "win_no_ties")
# A spreadsheet reads a cell that starts with one of these as a formula (OWASP's
# CSV-injection rule); a leading single quote makes it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Download:
    """A file to hand out: its bytes, content type and suggested name."""

    content: bytes
    content_type: str
    filename: str


def _text_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which no text cell can start a spreadsheet formula.

    Text cells (annotator, chat model and evaluation names, prompt and pair ids,
    categories, comments) that start with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return get a leading single quote. Only text columns (object, string or
    categorical dtype) are looked at, and in them only ``str`` values, so numbers
    stay numbers: -3 in a numeric column stays -3.
    """
    safe = frame.copy()
    for column in frame.columns:
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype(object)
        if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
            safe[column] = values.map(_text_cell, na_action="ignore")
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Every CSV download goes through here: spreadsheet-safe, without the index.

    Rows end with CRLF (RFC 4180), which also makes the writer quote a cell holding
    a lone carriage return; with bare LF endings such a cell split its row in two.
    """
    return spreadsheet_safe(frame).to_csv(index=False, lineterminator="\r\n").encode()


def ratings_csv(ratings: pd.DataFrame) -> bytes:
    """Long-form ratings as CSV; a prompt's categories joined with "; "."""
    return csv_bytes(ratings.assign(categories=ratings["categories"].map("; ".join)))


def ratings_parquet(ratings: pd.DataFrame) -> bytes:
    """Long-form ratings as Parquet (categories stay a list column)."""
    buffer = io.BytesIO()
    ratings.to_parquet(buffer, index=False)
    return buffer.getvalue()


# pairs.csv's columns, in this order whatever the aggregation (``pair_outcomes``
# orders them by its rule).
PAIRS_COLUMNS = (
    "comparison_id",
    "prompt_id",
    *PAIR_COLUMNS,
    "outcome",
    "outcome_label",
    "n_ratings",
    "value",
    "aggregation",
    "threshold",
)


def pairs_csv(ratings: pd.DataFrame, options: ReportOptions) -> bytes:
    """One row per pair (or per rating under the rating rule) with its outcome:
    ``PAIRS_COLUMNS`` whatever the rule, ``value`` (the aggregated score, or the
    share of win votes under majority) a float under each."""
    outcomes = st.pair_outcomes(
        ratings,
        rule=options.aggregation,
        threshold=options.threshold,
        carry=PAIR_COLUMNS,
    )
    outcomes["categories"] = outcomes["categories"].map("; ".join)
    outcomes["outcome_label"] = outcomes["outcome"].map(
        {st.WIN: "win", st.TIE: "tie", st.LOSS: "loss"}
    )
    outcomes["value"] = outcomes["value"].astype(float)
    outcomes["aggregation"] = options.aggregation
    outcomes["threshold"] = options.threshold
    return csv_bytes(outcomes.reindex(columns=list(PAIRS_COLUMNS)))


def report_json(report: Report) -> bytes:
    return json.dumps(report.to_json(), indent=2, allow_nan=False, default=str).encode()


CATEGORY_AGREEMENT = {  # statistic -> field of CategoryAgreement (the AC2 aside)
    "gwet_ac1_outcomes": "ac1_outcomes",
    "fleiss_kappa_outcomes": "fleiss_kappa_outcomes",
    "krippendorff_alpha_ordinal": "alpha_ordinal",
    "krippendorff_alpha_nominal": "alpha_nominal",
    "percent_with_ties": "percent_with_ties",
    "percent_without_ties": "percent_without_ties",
}


def _agreement_row(section, group, statistic, value, interval, n) -> dict:
    low, high = interval
    return {"section": section, "group": group, "statistic": statistic,
            "value": value, "value_low": low, "value_high": high, "n": n}  # fmt: skip


def agreement_rows(report: Report) -> list[dict]:
    """Every agreement figure with its interval: section, group, statistic, value,
    value_low, value_high and n (pairs; rating pairs for percent agreement)."""
    agreement = report.agreement
    overall = {f"gwet_ac2_{name}": item
               for name, item in agreement.ac2_all_weights.items()}  # fmt: skip
    overall["gwet_ac1_scores"] = agreement.ac1_scores
    overall["gwet_ac1_outcomes"] = agreement.ac1_outcomes
    overall["fleiss_kappa_outcomes"] = agreement.fleiss_kappa_outcomes
    overall["krippendorff_alpha_ordinal"] = agreement.krippendorff_alpha
    overall["krippendorff_alpha_nominal"] = agreement.krippendorff_alpha_nominal
    rows = [
        _agreement_row(
            "agreement", "all", statistic, item.coefficient, item.interval, item.n_units
        )
        for statistic, item in overall.items()
    ]
    for name in ("with_ties", "without_ties"):
        part = getattr(agreement.percent, name)
        rows.append(_agreement_row("agreement", "all", f"percent_{name}",
                                   part.value, part.interval, part.n))  # fmt: skip
    ac2 = f"gwet_ac2_{report.metadata.options.weights}"
    for row in agreement.by_category:
        fields = {ac2: "ac2", **CATEGORY_AGREEMENT}
        rows.extend(
            _agreement_row(
                "agreement_by_category",
                row.category,
                statistic,
                getattr(row, field),
                getattr(row, f"{field}_interval"),
                row.n_pairs,
            )
            for statistic, field in fields.items()
        )
    rows.extend(
        _agreement_row(
            "cohen_kappa",
            f"{row.rater_a} & {row.rater_b}",
            "cohen_kappa",
            row.kappa,
            row.kappa_interval,
            row.n,
        )
        for row in agreement.cohen_kappa
    )
    return rows


def report_rows(report: Report) -> pd.DataFrame:
    """The report's tables in one long frame: section, group, n, shares, intervals;
    then the agreement figures (``agreement_rows``). Groups carry ``reliable``; the
    report's warnings follow as rows of section "warning" (group: the code, n: the
    count, with ``message`` and ``detail``).
    """
    rows = []
    if report.headline is not None and report.breakdowns is not None:
        head = report.headline
        row = {"section": "overall", "group": "all", "n": head.n}
        for share in SHARE_COLUMNS:
            row[share] = getattr(head, share)
            row[f"{share}_low"], row[f"{share}_high"] = getattr(head.interval, share)
        row["reliable"] = head.reliable
        # The counts the breakdown rows carry, so the overall row's add up too.
        row["n_prompts"] = head.n_prompts
        for count in ("wins", "ties", "losses"):
            row[count] = getattr(head, count)
        design = head.wilson_design_effects
        if design is not None and report.metadata.options.interval == "wilson":
            for share in SHARE_COLUMNS:
                effect = getattr(design, share)
                row[f"{share}_design_effect"] = effect.design_effect
                row[f"{share}_n_effective"] = effect.n_effective
        rows.append(row)
        for section, table in report.breakdowns.sections():
            rows.extend({"section": section, **item.to_json()} for item in table)
    if report.tournament is not None:
        for item in report.tournament.leaderboard:
            rows.append({"section": "leaderboard", "group": item.model,
                         **item.to_json()})  # fmt: skip
        for pair in report.tournament.pairs:
            rows.append({"section": "pairs",
                         "group": f"{pair.model} vs {pair.opponent}",
                         **pair.to_json()})  # fmt: skip
    rows.extend(agreement_rows(report))
    for warning in report.warnings:
        rows.append({"section": "warning", "group": warning.code, "n": warning.count,
                     "message": warning.message,
                     "detail": "; ".join(warning.detail)})  # fmt: skip
    frame = pd.DataFrame(rows)
    frame.insert(0, "evaluation", report.metadata.evaluation.name)
    frame["aggregation"] = report.metadata.options.aggregation
    frame["threshold"] = report.metadata.options.threshold
    return counts_as_integers(frame)


# Counts, which other sections leave empty: pandas makes such a column float (a
# rank read "1.0"); a nullable integer column writes "1" and an empty cell.
COUNT_COLUMNS = ("n", "n_prompts", "wins", "ties", "losses", "matches", "rank")


def counts_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    for column in COUNT_COLUMNS:
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").dropna()
        if (values == values.round()).all():  # "n" is weighted in some sections
            frame[column] = frame[column].astype("Int64")
    return frame


def report_csv(report: Report) -> bytes:
    return csv_bytes(report_rows(report))


def _ratings_file(write: Callable[[pd.DataFrame], bytes]):
    return lambda evaluation, options: write(selectors.ratings_frame([evaluation.pk]))


def _kept_ratings(evaluation: Evaluation, options: ReportOptions) -> pd.DataFrame:
    """The ratings the report with ``options`` counts: its annotator filters' too."""
    ratings = selectors.ratings_frame([evaluation.pk])
    if not options.filters_annotators:
        return ratings
    report = evaluation_report(evaluation, options)
    excluded = [row.annotator for row in report.annotators if row.excluded]
    return ratings[~ratings["annotator"].isin(excluded)]


def _report_file(write: Callable[[Report], bytes]):
    return lambda evaluation, options: write(evaluation_report(evaluation, options))


WRITERS = {
    "ratings.csv": _ratings_file(ratings_csv),
    "ratings.parquet": _ratings_file(ratings_parquet),
    "pairs.csv": lambda evaluation, options: pairs_csv(
        _kept_ratings(evaluation, options), options
    ),
    "report.json": _report_file(report_json),
    "report.csv": _report_file(report_csv),
}


def evaluation_download(
    evaluation: Evaluation, name: str, options: ReportOptions
) -> Download:
    """The named file of an evaluation's report; KeyError for an unknown name."""
    content = WRITERS[name](evaluation, options)
    return Download(content, FILES[name], f"{evaluation_stem(evaluation)}-{name}")


def file_stem(name: str, fallback: str) -> str:
    """The part of a file name that a user-given name (an evaluation's, a judge's)
    becomes: its slug, letters of every script kept, or ``fallback`` when nothing of
    it is left (a name of punctuation only)."""
    return slugify(name, allow_unicode=True) or fallback


def evaluation_stem(evaluation: Evaluation) -> str:
    """An evaluation's downloads' names begin with this."""
    return file_stem(evaluation.name, f"evaluation-{evaluation.pk}")


def attachment(download: Download) -> HttpResponse:
    """The response that hands a download to the browser or API client; a name
    beyond ASCII goes in the header as RFC 6266's ``filename*``."""
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = content_disposition_header(
        True, download.filename
    )
    return response
