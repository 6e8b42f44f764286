"""The report's agreement section: intervals wired to the right units, shown and
exported; no database."""

import krippendorff
import numpy as np
import pandas as pd
import pytest
from django.template.loader import render_to_string

from reports import statistics as st
from reports.downloads import report_rows
from reports.report_builder import build_report
from reports.report_metadata import definitions
from reports.report_options import ReportOptions
from tests.reports.test_properties import EVALUATION, _frame

SEVEN = [-3, -2, -1, 0, 1, 2, 3]
RESAMPLES = 20


@pytest.fixture(scope="module")
def ratings():
    return _frame(11, n_prompts=60)


@pytest.fixture(scope="module")
def report(ratings):
    return build_report(ratings, EVALUATION, ReportOptions(resamples=RESAMPLES, seed=3))


def _scores(frame):
    return frame.rename(columns={"comparison_id": "unit", "annotator": "rater",
                                 "score": "value"})  # fmt: skip


def _percentiles(values):
    values = np.array(values, dtype=float)
    return tuple(np.percentile(values[~np.isnan(values)], [2.5, 97.5]))


def test_report_intervals_equal_a_hand_written_prompt_bootstrap(ratings, report):
    prompts = np.sort(ratings["prompt_id"].unique())
    draws = np.random.default_rng(3).integers(
        0, len(prompts), (RESAMPLES, len(prompts))
    )
    pair = report.agreement.cohen_kappa[0]
    ac2, alpha, kappa = [], [], []
    for drawn in draws:
        sample = pd.concat(
            [
                _scores(ratings[ratings["prompt_id"] == prompts[p]]).assign(
                    unit=lambda f, i=i: f["unit"] + 100_000 * i
                )
                for i, p in enumerate(drawn)
            ]
        )
        ac2.append(st.gwet_ac(sample, SEVEN, weights="quadratic")["coefficient"])
        in_category = sample[sample["categories"].map(lambda c: "recommendations" in c)]
        counts = st.count_matrix(in_category, SEVEN)
        alpha.append(
            krippendorff.alpha(
                value_counts=counts, value_domain=SEVEN, level_of_measurement="nominal"
            )
        )
        table = st.cohen_kappa_pairs(sample, SEVEN, min_shared=1)
        match = table[
            (table["rater_a"] == pair.rater_a) & (table["rater_b"] == pair.rater_b)
        ]
        kappa.append(match["kappa"].iloc[0] if len(match) else np.nan)
    agreement = report.agreement
    assert agreement.ac2.interval == pytest.approx(_percentiles(ac2))
    category = {row.category: row for row in agreement.by_category}["recommendations"]
    assert category.alpha_nominal_interval == pytest.approx(_percentiles(alpha))
    assert pair.kappa_interval == pytest.approx(_percentiles(kappa))


def test_krippendorff_nominal_and_the_kappa_summary(ratings, report):
    agreement = report.agreement
    counts = st.count_matrix(_scores(ratings), SEVEN)
    nominal = krippendorff.alpha(value_counts=counts, value_domain=SEVEN,
                                 level_of_measurement="nominal")  # fmt: skip
    assert agreement.krippendorff_alpha_nominal.coefficient == pytest.approx(nominal)
    assert agreement.krippendorff_alpha_nominal.level == "nominal"
    kappas = [row.kappa for row in agreement.cohen_kappa]
    summary = agreement.cohen_kappa_summary
    assert summary.n_pairs == len(kappas) == 6
    assert (summary.q1, summary.median, summary.q3) == pytest.approx(
        tuple(np.percentile(kappas, [25, 50, 75]))
    )
    definition = report.metadata.definitions.agreement_interval
    assert definition.startswith(
        f"95% percentile bootstrap over prompts ({RESAMPLES} resamples, seed 3;"
    )


def test_agreement_resamples_are_capped_and_the_cap_stated():
    many = definitions(ReportOptions(resamples=5000, seed=2), SEVEN)
    assert "(2000 resamples, seed 2; at most 2000)" in many.agreement_interval
    assert "5000 resamples" in many.interval  # the shares keep every resample


def test_without_resamples_the_figures_stay_and_the_intervals_go(ratings):
    plain = build_report(ratings, EVALUATION, ReportOptions(resamples=0))
    agreement = plain.agreement
    assert agreement.ac2.coefficient is not None
    assert agreement.ac2.interval == (None, None)
    assert agreement.cohen_kappa[0].kappa_interval == (None, None)
    assert plain.to_json()["agreement"]["percent"]["with_ties"]["interval"] == [
        None,
        None,
    ]


def test_the_section_shows_intervals_and_the_kappa_summary_above_the_pairs(report):
    html = render_to_string("reports/_agreement.html", {"report": report})
    assert "Krippendorff's alpha (nominal)" in html
    low, high = report.agreement.ac2.interval
    assert f"{low:.3f} to {high:.3f}" in html
    summary = html.index('id="kappa-summary"')
    assert f"median kappa {report.agreement.cohen_kappa_summary.median:.3f}" in html
    assert summary < html.index("<details><summary>All 6 pairs")
    assert f"({RESAMPLES} resamples, seed 3; at most 2000)" in html


def test_the_report_table_exports_every_agreement_interval(report):
    table = report_rows(report)
    rows = table[table["section"].str.startswith(("agreement", "cohen"))]
    overall = rows[rows["section"] == "agreement"].set_index("statistic")
    assert overall.loc["gwet_ac2_quadratic", "value_low"] == pytest.approx(
        report.agreement.ac2.interval[0]
    )
    assert overall.loc["krippendorff_alpha_nominal", "value_high"] == pytest.approx(
        report.agreement.krippendorff_alpha_nominal.interval[1]
    )
    assert len(rows[rows["section"] == "cohen_kappa"]) == 6
    by_category = rows[rows["section"] == "agreement_by_category"]
    assert len(by_category) == 7 * len(report.agreement.by_category)
    assert by_category[["value_low", "value_high"]].notna().all().all()
