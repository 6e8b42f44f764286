"""A tournament's report: the ties option, Wilson refused, per-pair results, the
pair matrix, and metadata that states exactly what ran (for every report kind)."""

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from annotations.models import Rating
from reports import statistics as st
from reports.evaluation_reports import evaluation_report
from reports.report_options import ReportOptions, options_from
from reports.statistics import tournament as tournament_statistics

from .builders import head_to_head, tournament

pytestmark = pytest.mark.django_db


def test_wilson_intervals_are_refused_for_a_tournament_naming_interval(
    client, researcher
):
    arena = tournament()
    client.force_login(researcher)
    api = client.get(f"/api/reports/{arena.pk}/", {"interval": "wilson"})
    assert api.status_code == 400
    assert "interval" in api.json()["detail"]
    page = client.get(
        reverse("reports:evaluation", args=[arena.pk]), {"interval": "wilson"}
    )
    assert page.status_code == 400
    assert "interval" in page.content.decode()
    with pytest.raises(CommandError, match="interval"):
        call_command("report", arena.name, "--interval", "wilson")
    with pytest.raises(ValueError, match="interval"):
        evaluation_report(arena, ReportOptions(interval="wilson"), use_cache=False)
    assert (
        options_from({"interval": "wilson"}, kind="head_to_head").interval == "wilson"
    )


def test_ties_option_fits_davidson_and_says_so(client, researcher):
    arena = tournament()
    client.force_login(researcher)
    bad = client.get(f"/api/reports/{arena.pk}/", {"ties": "third"})
    assert bad.status_code == 400
    assert "ties" in bad.json()["detail"]
    body = client.get(
        f"/api/reports/{arena.pk}/", {"ties": "davidson", "resamples": 30}
    ).json()
    fitted = body["tournament"]["fitted"]
    assert fitted["ties"] == "davidson"
    assert fitted["tie_parameter"] > 0
    assert "Davidson" in body["metadata"]["definitions"]["tournament_model"]
    assert f"nu = {fitted['tie_parameter']:.3f}" in body["tournament"]["method"]
    half = client.get(f"/api/reports/{arena.pk}/", {"resamples": 30}).json()
    assert half["tournament"]["fitted"]["tie_parameter"] is None
    assert "half a win" in half["metadata"]["definitions"]["tournament_model"]


def spy(monkeypatch, module, name, calls):
    real = getattr(module, name)

    def recorded(*args, **kwargs):
        calls.append((name, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, recorded)


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("tournament", ReportOptions(aggregation="rating", resamples=37, seed=4)),
        ("tournament", ReportOptions(aggregation="majority", resamples=0, seed=2)),
        ("tournament", ReportOptions(ties="davidson", resamples=25, seed=8)),
        ("head_to_head", ReportOptions(resamples=41, seed=6)),
        ("head_to_head", ReportOptions(aggregation="rating", resamples=19, seed=1)),
    ],
)
def test_metadata_states_the_method_resamples_and_seed_that_ran(
    monkeypatch, kind, options
):
    calls = []
    spy(monkeypatch, st, "bootstrap_shares", calls)
    spy(monkeypatch, st, "breakdowns", calls)
    spy(monkeypatch, st, "tournament_fit", calls)
    drawn = []
    real_weights = tournament_statistics.prompt_weight_chunks

    def weights(n_prompts, resamples, seed):
        drawn.append((n_prompts, resamples, seed))
        return real_weights(n_prompts, resamples, seed)

    monkeypatch.setattr(tournament_statistics, "prompt_weight_chunks", weights)
    evaluation = tournament() if kind == "tournament" else head_to_head()
    report = evaluation_report(evaluation, options, use_cache=False)
    definitions = report.metadata.definitions
    assert calls  # the statistics ran, and each with what the metadata states
    for _, arguments in calls:
        assert arguments["resamples"] == definitions.resamples
        assert arguments["seed"] == definitions.seed
    if kind == "tournament":
        fitted = report.tournament.fitted
        assert [name for name, _ in calls] == ["tournament_fit"]
        assert calls[0][1]["tie_model"] == fitted.ties == options.ties
        n_prompts = report.prompt_counts.prompts
        if options.resamples:
            assert drawn == [(n_prompts, options.resamples, options.seed)]
            assert f"{options.resamples} resamples, seed {options.seed}" in (
                definitions.interval
            )
            assert (
                f"bootstrap over prompts (all of a prompt's votes drawn together; {n_prompts} prompts)"
                in (definitions.interval)
            )
        else:
            assert drawn == []
            assert definitions.interval == "no intervals (0 resamples)"
        assert (fitted.resamples, fitted.seed) == (
            definitions.resamples,
            definitions.seed,
        )
        assert definitions.tournament_model in report.tournament.method
    else:
        assert {name for name, _ in calls} == {"bootstrap_shares", "breakdowns"}
        assert drawn == []
        assert definitions.interval == (
            f"95% percentile bootstrap over prompts ({options.resamples} resamples, "
            f"seed {options.seed})"
        )
        assert definitions.tournament_model is None


def test_leaderboard_page_shows_pair_results_and_the_pair_matrix(client, researcher):
    arena = tournament()
    client.force_login(researcher)
    html = client.get(
        reverse("reports:evaluation", args=[arena.pk]), {"resamples": 30}
    ).content.decode()
    assert 'id="pair-results"' in html
    assert "bootstrap over prompts" in html
    report = evaluation_report(arena, ReportOptions(aggregation="rating", resamples=30))
    pairs = {(p.model, p.opponent): p for p in report.tournament.pairs}
    assert set(pairs) == {("model-x", "model-y"), ("model-x", "model-z"),
                          ("model-y", "model-z")}  # fmt: skip
    # x met y on two prompts: votes 1, 1, -1 (x candidate) and -1, -1, 0 (y's).
    assert (pairs["model-x", "model-y"].n, pairs["model-x", "model-y"].wins) == (6, 4)
    png = client.get(reverse("reports:figure", args=[arena.pk, "pairs", "png"]))
    assert png.content.startswith(b"\x89PNG")
    table = client.get(f"/api/reports/{arena.pk}/report.csv", {"resamples": 30})
    assert b"model-x vs model-y" in table.content


def test_the_disagreements_link_carries_the_annotator_filters(client, researcher):
    """The disagreements page leaves out the annotators the report leaves out, so
    its link on a tournament's page carries the report's options, as on a
    head-to-head's (it carried only the threshold, and the page counted t-0)."""
    arena = tournament()
    client.force_login(researcher)
    query = {"exclude": "t-0", "resamples": 30}
    html = client.get(reverse("reports:evaluation", args=[arena.pk]), query)
    url = reverse("reports:disagreements", args=[arena.pk])
    assert f'href="{url}?exclude=t-0&amp;resamples=30"' in html.content.decode()
    page = client.get(url, {"exclude": "t-0"}).content.decode()
    assert "t-0" in page  # named as left out


def test_a_leaderboard_without_resamples_shows_one_dash_per_interval(
    client, researcher
):
    arena = tournament()
    client.force_login(researcher)
    html = client.get(
        reverse("reports:evaluation", args=[arena.pk]), {"resamples": 0}
    ).content.decode()
    assert "\u2014\u2013\u2014" not in html  # it read as three dashes
    assert '<td class="num">—</td>' in html


@pytest.mark.parametrize("ties", ["half", "davidson"])
def test_a_tournament_without_ratings_still_has_a_page(client, researcher, ties):
    arena = tournament()
    Rating.objects.filter(comparison__evaluation=arena).delete()
    client.force_login(researcher)
    page = client.get(reverse("reports:evaluation", args=[arena.pk]), {"ties": ties})
    assert page.status_code == 200
    report = evaluation_report(arena, ReportOptions(aggregation="rating", ties=ties))
    assert report.tournament.leaderboard == ()
    assert report.tournament.pairs == ()
    assert report.tournament.fitted.resamples == 0
    assert report.metadata.definitions.interval == "no intervals (0 resamples)"
    for name in ("leaderboard", "pairs"):
        png = client.get(reverse("reports:figure", args=[arena.pk, name, "png"]))
        assert png.content.startswith(b"\x89PNG")
