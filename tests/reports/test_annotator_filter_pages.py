"""Annotator filters on the report page, the API, the downloads, the command and
the cache: bad values are a 400 (or an argparse error) naming the parameter."""

import html
import io
import json

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reports.evaluation_reports import cache_key, evaluation_report
from reports.report_options import ReportOptions

from .builders import head_to_head, tournament

BAD = [
    ({"min_agreement": "1.5"}, "min_agreement"),
    ({"min_agreement": "x"}, "min_agreement"),
    ({"min_median_seconds": "-2"}, "min_median_seconds"),
    ({"annotator_rules": "drop"}, "annotator_rules"),
    ({"exclude": "ann-a,nobody"}, "exclude: no annotator named 'nobody'"),
]


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


@pytest.mark.parametrize(("params", "named"), BAD)
def test_bad_filter_values_are_a_400_naming_the_parameter(
    researcher_client, h2h, params, named
):
    page = researcher_client.get(reverse("reports:evaluation", args=[h2h.pk]), params)
    # The page comes back with its options form, what was sent and the error.
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    assert named in html.unescape(page.content.decode())
    assert 'id="options-error"' in page.content.decode()
    form = page.context["options_form"]
    for name, value in params.items():
        assert form[name].value() == value
    for url in (
        reverse("reports:download", args=[h2h.pk, "report.json"]),
        reverse("reports:figure", args=[h2h.pk, "headline", "png"]),
    ):
        response = researcher_client.get(url, params)
        assert response.status_code == 400, url
        assert named in response.content.decode()
    for url in (f"/api/reports/{h2h.pk}/", f"/api/reports/{h2h.pk}/pairs.csv"):
        response = researcher_client.get(url, params)
        assert response.status_code == 400, url
        assert named in response.json()["detail"]


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--min-agreement", "2"], "argument --min-agreement: min_agreement: "),
        (["--min-agreement", "high"], "argument --min-agreement: min_agreement: "),
        (["--min-median-seconds", "-1"], "min_median_seconds: "),
        (["--annotator-rules", "drop"], "argument --annotator-rules"),
        (["--exclude", "nobody"], "exclude: no annotator named 'nobody'"),
    ],
)
def test_bad_filter_values_in_the_command(h2h, arguments, named):
    with pytest.raises(CommandError, match=named):
        call_command("report", "h2h", "--resamples", "20", *arguments)


def test_the_command_excludes_repeated_names(h2h, tmp_path):
    target = tmp_path / "report.json"
    call_command("report", "h2h", "--exclude", "ann-a", "--exclude", "ann-c",
                 "--resamples", "20", "--output", str(target))  # fmt: skip
    report = json.loads(target.read_text())
    assert report["headline"]["n_ratings"] == 12
    assert report["metadata"]["options"]["exclude"] == ["ann-a", "ann-c"]
    assert [item["annotator"] for item in report["metadata"]["exclusions"]] == [
        "ann-a", "ann-c"
    ]  # fmt: skip


def test_the_page_says_who_was_left_out_and_why(researcher_client, h2h):
    url = reverse("reports:evaluation", args=[h2h.pk])
    response = researcher_client.get(
        url, {"exclude": "ann-b", "min_median_seconds": "12", "resamples": "20"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    section = html.split('id="exclusions"')[1].split("</section>")[0]
    assert "<strong>ann-b</strong>: excluded by name" in section
    # Every annotator's median is 10 + 5.5 seconds: none is below 12.
    assert "median" not in section
    assert html.count("left out</strong>") == 1
    assert 'value="ann-b"' in html  # the form shows the names
    marked = researcher_client.get(
        url, {"min_median_seconds": "100", "annotator_rules": "mark", "resamples": 20}
    ).content.decode()
    assert 'id="exclusions"' not in marked
    assert 'id="rules-marked"' in marked
    assert marked.count("seconds &lt; 100.0") == 3


def test_the_api_and_downloads_leave_out_the_excluded(researcher_client, h2h):
    body = researcher_client.get(
        f"/api/reports/{h2h.pk}/", {"exclude": "ann-a", "resamples": 20}
    ).json()
    assert body["headline"]["n_ratings"] == 24
    assert body["metadata"]["exclusions"] == [
        {"annotator": "ann-a", "rule": "exclude", "threshold": None, "value": None}
    ]
    flags = {row["annotator"]: row["excluded"] for row in body["annotators"]}
    assert flags == {"ann-a": True, "ann-b": False, "ann-c": False}
    # Under the rating rule pairs.csv has one row per rating counted.
    pairs = researcher_client.get(
        reverse("reports:download", args=[h2h.pk, "pairs.csv"]),
        {"exclude": "ann-a", "aggregation": "rating"},
    )
    assert len(pd.read_csv(io.BytesIO(pairs.content))) == 24


def test_the_cache_keys_the_filters(h2h):
    keys = {
        cache_key(h2h.pk, options)
        for options in (
            ReportOptions(),
            ReportOptions(exclude=("ann-a",)),
            ReportOptions(exclude=("ann-a", "ann-b")),
            ReportOptions(min_agreement=0.5),
            ReportOptions(min_agreement=0.5, annotator_rules="mark"),
            ReportOptions(min_median_seconds=0.5),
        )
    }
    assert len(keys) == 6
    assert cache_key(h2h.pk, ReportOptions(exclude=("ann-b", "ann-a"))) == cache_key(
        h2h.pk, ReportOptions(exclude=("ann-a", "ann-b"))
    )
    everyone = evaluation_report(h2h, ReportOptions(resamples=20))
    without = evaluation_report(h2h, ReportOptions(resamples=20, exclude=("ann-a",)))
    assert (everyone.headline.n_ratings, without.headline.n_ratings) == (36, 24)
    again = evaluation_report(h2h, ReportOptions(resamples=20))
    assert again.headline.n_ratings == 36


def test_a_tournament_leaves_out_the_excluded(researcher_client, db):
    arena = tournament()
    url = reverse("reports:evaluation", args=[arena.pk])
    response = researcher_client.get(url, {"exclude": "t-0", "resamples": 20})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.tournament.n_outcomes == 10  # 15 votes less t-0's 5
    assert "<strong>t-0</strong>: excluded by name" in response.content.decode()


def test_a_repeated_exclude_leaves_out_every_name(researcher_client, h2h):
    body = researcher_client.get(
        f"/api/reports/{h2h.pk}/?exclude=ann-a&exclude=ann-b&resamples=20"
    ).json()
    assert body["metadata"]["options"]["exclude"] == ["ann-a", "ann-b"]


def test_an_input_echoed_in_a_400_is_plain_text_or_escaped(researcher_client, h2h):
    url = reverse("reports:download", args=[h2h.pk, "report.json"])
    response = researcher_client.get(url, {"exclude": "<h1>log in</h1>"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "<h1>log in</h1>" in response.content.decode()  # as text, not markup
    # The report page answers with its form and the error, escaped.
    url = reverse("reports:evaluation", args=[h2h.pk])
    page = researcher_client.get(url, {"exclude": "<h1>log in</h1>"}).content.decode()
    assert "<h1>log in</h1>" not in page
    assert "&lt;h1&gt;log in&lt;/h1&gt;" in page


def test_threshold_2_on_the_three_point_scale_is_a_400(researcher_client, db):
    from annotations.models import Evaluation

    item = tournament()
    Evaluation.objects.filter(pk=item.pk).update(scale="three")
    for url in (
        reverse("reports:evaluation", args=[item.pk]),
        f"/api/reports/{item.pk}/",
    ):
        response = researcher_client.get(url, {"threshold": 2})
        assert response.status_code == 400, url
        assert "threshold" in response.content.decode(), url


def test_side_by_side_names_the_evaluation_without_the_excluded(researcher_client, h2h):
    """A new-researcher pass: side by side, an annotator of one evaluation only
    was refused as having no ratings "in this evaluation", not saying which."""
    other = head_to_head(name="other", annotators=("o-a", "o-b", "o-c"))
    response = researcher_client.get(
        reverse("reports:compare"),
        {"evaluation": [h2h.pk, other.pk], "exclude": "ann-a", "resamples": 20},
    )
    assert response.status_code == 400
    assert response.content.decode() == (
        "exclude: no annotator named 'ann-a' has ratings in this evaluation: other"
    )
