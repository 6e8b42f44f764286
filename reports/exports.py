"""Downloads: ratings (CSV, Parquet), pair outcomes (CSV), the report (JSON, CSV)."""

from __future__ import annotations

import io
import json

import pandas as pd

from . import statistics as st
from .assemble import PAIR_COLUMNS, ReportOptions

SHARE_COLUMNS = ["win", "tie", "loss", "win_no_ties"]


def ratings_csv(ratings: pd.DataFrame) -> bytes:
    """Long-form ratings as CSV; a prompt's categories joined with "; "."""
    frame = ratings.assign(categories=ratings["categories"].map("; ".join))
    return frame.to_csv(index=False).encode()


def ratings_parquet(ratings: pd.DataFrame) -> bytes:
    """Long-form ratings as Parquet (categories stay a list column)."""
    buffer = io.BytesIO()
    ratings.to_parquet(buffer, index=False)
    return buffer.getvalue()


def pairs_csv(ratings: pd.DataFrame, options: ReportOptions) -> bytes:
    """One row per pair (or per rating under the rating rule) with its outcome."""
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
    outcomes["aggregation"] = options.aggregation
    outcomes["threshold"] = options.threshold
    return outcomes.to_csv(index=False).encode()


def report_json(report: dict) -> bytes:
    return json.dumps(report, indent=2, allow_nan=False, default=str).encode()


def report_rows(report: dict) -> pd.DataFrame:
    """The report's tables in one long frame: section, group, n, shares, intervals."""
    rows = []
    name = report["metadata"]["evaluation"]["name"]
    if "headline" in report:
        head = report["headline"]
        row = {"section": "overall", "group": "all", "n": head["n"]}
        for share in SHARE_COLUMNS:
            row[share] = head[share]
            row[f"{share}_low"], row[f"{share}_high"] = head["interval"][share]
        rows.append(row)
        for section, table in report["breakdowns"].items():
            for item in table:
                rows.append({"section": section, **item})
    for item in report.get("tournament", {}).get("leaderboard", []):
        rows.append({"section": "leaderboard", "group": item["model"], **item})
    frame = pd.DataFrame(rows)
    frame.insert(0, "evaluation", name)
    frame["aggregation"] = report["metadata"]["options"]["aggregation"]
    frame["threshold"] = report["metadata"]["options"]["threshold"]
    return frame


def report_csv(report: dict) -> bytes:
    return report_rows(report).to_csv(index=False).encode()
