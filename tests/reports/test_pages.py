"""Report pages, downloads, cache and the one-query-per-table seam, on the database."""

import io
import json

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from generations.models import Prompt
from reports import selectors
from reports.evaluation_reports import evaluation_report
from reports.report_options import ReportOptions
from reports.values import PromptCounts
from tests.factories import (
    ComparisonFactory,
    GenerationFactory,
    PromptFactory,
    RatingFactory,
    UserFactory,
)

from .builders import SCORES, head_to_head, tournament


@pytest.fixture
def researcher_client(client, researcher):
    client.force_login(researcher)
    return client


def test_ratings_frame_reads_one_query_per_table(h2h, django_assert_num_queries):
    with django_assert_num_queries(2):
        frame = selectors.ratings_frame([h2h.pk])
    assert len(frame) == 36
    assert list(frame.columns) == selectors.RATINGS_COLUMNS
    first = frame.iloc[0]
    assert first["candidate"] == "Llama 2-Chat 70B"
    assert first["score"] == (first["choice"] if first["candidate_on_left"]
                              else -first["choice"])  # fmt: skip
    # Words: the prompt's (all turns) plus both three-word responses.
    multi = frame[frame["num_turns"] == 2].iloc[0]
    assert multi["word_count"] == multi["prompt_words"] + 6
    assert len(multi["categories"]) == 2


def test_word_count_is_the_prompts_plus_both_responses_split_words(h2h):
    """Stored counts of the responses, equal to ``len(text.split())``; their texts
    are not read (this test replaces one pinning the removed ``str.split`` clone)."""
    texts = [("one\u3000two\u00a0three\n\tfour", "five 🙂 中文 six\x1c"),
             ("", "  spaced   out  "), ("é" * 3 + " x", "a\u2028b\u2029c")]  # fmt: skip
    users = [UserFactory(username=f"wc-{k}") for k in range(2)]
    for index, (candidate, baseline) in enumerate(texts):
        prompt = PromptFactory(prompt_set=h2h.prompt_set, external_id=f"wc-{index}")
        comparison = ComparisonFactory(
            evaluation=h2h,
            prompt=prompt,
            candidate_generation=GenerationFactory(
                prompt=prompt, chat_model=h2h.candidate, text=candidate
            ),
            baseline_generation=GenerationFactory(
                prompt=prompt, chat_model=h2h.baseline, text=baseline
            ),
        )
        for user in users:
            RatingFactory(comparison=comparison, annotator=user)
    with CaptureQueriesContext(connection) as queries:
        frame = selectors.ratings_frame([h2h.pk], full=False)
    assert not any('"text"' in query["sql"] for query in queries.captured_queries)
    for comparison in h2h.comparisons.select_related(
        "prompt", "candidate_generation", "baseline_generation"
    ):
        expected = (
            comparison.prompt.word_count
            + len(comparison.candidate_generation.text.split())
            + len(comparison.baseline_generation.text.split())
        )
        rows = frame[frame["comparison_id"] == comparison.pk]
        assert set(rows["word_count"]) == {expected}


def test_head_to_head_report_has_the_hand_computed_headline(h2h):
    report = evaluation_report(h2h, ReportOptions(resamples=200))
    head = report.headline
    assert (head.wins, head.ties, head.losses) == (6, 4, 2)
    assert head.win == pytest.approx(0.5)
    assert head.n_prompts == 12
    assert head.n_ratings == 36
    low, high = head.interval.win
    assert low <= 0.5 <= high
    per_rating = evaluation_report(h2h, ReportOptions(aggregation="rating"))
    flat = [score for triple in SCORES for score in triple]
    wins = sum(score >= 1 for score in flat)
    assert per_rating.headline.win == pytest.approx(wins / 36)
    strict = evaluation_report(h2h, ReportOptions(threshold=2, aggregation="rating"))
    assert strict.headline.win == pytest.approx(sum(score >= 2 for score in flat) / 36)
    categories = {row.group: row for row in report.breakdowns.category}
    # Three multi-turn prompts carry two categories each: 12 + 3 rows.
    assert sum(row.n for row in categories.values()) == 15
    assert report.prompt_counts == PromptCounts(prompts=12, single_turn=9, multi_turn=3)


def test_report_is_cached_and_a_new_rating_invalidates_it(
    h2h, django_assert_max_num_queries
):
    first = evaluation_report(h2h, ReportOptions(resamples=100))
    with django_assert_max_num_queries(1):  # the fingerprint only
        again = evaluation_report(h2h, ReportOptions(resamples=100))
    assert again == first
    comparison = h2h.comparisons.first()
    RatingFactory(comparison=comparison, annotator=UserFactory(username="late"),
                  choice=3)  # fmt: skip
    fresh = evaluation_report(h2h, ReportOptions(resamples=100))
    assert fresh.headline.n_ratings == 37
    assert fresh.metadata.data_sha256 != first.metadata.data_sha256


def test_report_page_for_researchers_only(client, h2h, annotator, researcher):
    url = reverse("reports:evaluation", args=[h2h.pk])
    client.force_login(annotator)
    assert client.get(url).status_code == 403
    client.force_login(researcher)
    response = client.get(url, {"resamples": 100})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Llama 2-Chat 70B vs ChatGPT" in html
    assert "50.0%" in html  # the win share
    assert "majority" in html
    assert reverse("reports:figure", args=[h2h.pk, "quintile", "png"]) in html
    assert "ann-a" in html  # the annotator table


def test_bad_options_are_rejected_with_the_field_named(researcher_client, h2h):
    url = reverse("reports:evaluation", args=[h2h.pk])
    response = researcher_client.get(url, {"threshold": "3"})
    assert response.status_code == 400
    assert b"threshold" in response.content
    response = researcher_client.get(url, {"seed": "x"})
    assert b"seed" in response.content


def test_downloads(researcher_client, h2h):
    def get(name, **params):
        url = reverse("reports:download", args=[h2h.pk, name])
        response = researcher_client.get(url, params)
        assert response.status_code == 200
        assert "attachment" in response["Content-Disposition"]
        return response.content

    ratings = pd.read_csv(io.BytesIO(get("ratings.csv")))
    assert len(ratings) == 36
    assert {"annotator", "choice", "score", "candidate_on_left"} <= set(ratings)
    # The ratings files are every rating as collected, whatever the options (the
    # page says so); the pairs honour them.
    assert get("ratings.csv", exclude="ann-a") == get("ratings.csv")
    page = researcher_client.get(reverse("reports:evaluation", args=[h2h.pk]))
    assert "every rating as collected" in page.content.decode()
    # So their links carry no options, which would read as if they applied.
    filtered = researcher_client.get(
        reverse("reports:evaluation", args=[h2h.pk]), {"exclude": "ann-a"}
    ).content.decode()
    ratings_url = reverse("reports:download", args=[h2h.pk, "ratings.csv"])
    pairs_url = reverse("reports:download", args=[h2h.pk, "pairs.csv"])
    assert f'href="{ratings_url}"' in filtered
    assert f'href="{pairs_url}?exclude=ann-a' in filtered
    parquet = pd.read_parquet(io.BytesIO(get("ratings.parquet")))
    assert len(parquet) == 36
    assert list(parquet["categories"].iloc[9]) == ["factual questions", "dialogue"]
    pairs = pd.read_csv(io.BytesIO(get("pairs.csv")))
    assert len(pairs) == 12
    assert pairs["outcome_label"].value_counts().to_dict() == {
        "win": 6, "tie": 4, "loss": 2
    }  # fmt: skip
    report = json.loads(get("report.json", resamples="100", seed="7"))
    meta = report["metadata"]
    assert meta["options"]["seed"] == 7
    assert meta["options"]["resamples"] == 100
    assert len(meta["data_sha256"]) == 64
    assert {"outcome", "aggregation_rule", "interval"} <= set(meta["definitions"])
    assert {"pandas", "numpy", "scipy", "krippendorff"} <= set(meta["software"])
    assert meta["generated_at"]
    table = pd.read_csv(io.BytesIO(get("report.csv")))
    assert table.iloc[0]["section"] == "overall"
    assert table.iloc[0]["win"] == pytest.approx(0.5)


@pytest.mark.parametrize(("fmt", "magic"), [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_figures(researcher_client, h2h, fmt, magic):
    for name in ("headline", "category", "turns", "quintile"):
        url = reverse("reports:figure", args=[h2h.pk, name, fmt])
        response = researcher_client.get(url, {"resamples": 50})
        assert response.status_code == 200
        assert response.content.startswith(magic)
    missing = reverse("reports:figure", args=[h2h.pk, "leaderboard", fmt])
    assert researcher_client.get(missing).status_code == 404


def test_side_by_side_page(researcher_client, h2h):
    other = head_to_head(
        name="h2h-no-system-prompt", baseline="ChatGPT (no system prompt)",
        scores=[tuple(-s for s in triple) for triple in SCORES],
        annotators=("ann-a", "ann-b", "ann-d"),
    )  # fmt: skip
    url = reverse("reports:compare")
    query = {"evaluation": [h2h.pk, other.pk], "resamples": 50}
    response = researcher_client.get(url, query)
    html = response.content.decode()
    assert "h2h-no-system-prompt" in html
    assert "50.0%" in html  # h2h wins half
    assert "16.7%" in html  # the mirrored evaluation wins 2 of 12
    figure = researcher_client.get(
        reverse("reports:compare-figure", args=["png"]), query
    )
    assert figure.content.startswith(b"\x89PNG")


def test_side_by_side_marks_an_evaluation_of_few_prompts_unreliable(
    researcher_client, h2h
):
    small = head_to_head(
        name="h2h-three-prompts", baseline="ChatGPT (three prompts)",
        scores=SCORES[:3], annotators=("ann-a", "ann-b", "ann-d"),
    )  # fmt: skip
    query = {"evaluation": [h2h.pk, small.pk], "resamples": 50}
    html = researcher_client.get(reverse("reports:compare"), query).content.decode()
    assert f'data-unreliable="{small.pk}"' in html
    assert f'data-unreliable="{h2h.pk}"' not in html  # 12 prompts


@pytest.mark.parametrize("figure", [False, True])
def test_side_by_side_names_every_value_that_is_no_head_to_head_evaluation(
    researcher_client, h2h, figure
):
    board = tournament()
    url = (
        reverse("reports:compare-figure", args=["png"])
        if figure
        else reverse("reports:compare")
    )
    values = [str(h2h.pk), "abc", "9" * 30, str(board.pk), "\u00b2"]
    response = researcher_client.get(url, {"evaluation": values})
    assert response.status_code == 400
    message = response.content.decode()
    assert message.startswith("evaluation: ")
    for value in values[1:]:
        assert repr(value) in message
    assert repr(str(h2h.pk)) not in message


def test_prompt_explorer_shows_every_response_and_the_ratings(researcher_client, h2h):
    comparison = h2h.comparisons.select_related("candidate_generation").first()
    generation = comparison.candidate_generation
    generation.text = "**Bold** <script>alert(1)</script>"
    generation.save(update_fields=["text"])
    url = reverse("reports:prompt", args=[comparison.prompt_id])
    html = researcher_client.get(url).content.decode()
    assert "Llama 2-Chat 70B" in html
    assert "ChatGPT" in html
    assert "<strong>Bold</strong>" in html
    assert "<script>alert" not in html
    assert html.count("ann-") >= 3
    # The first pair's scores are 3, 2, -1: the candidate preferred twice.
    assert "preferred 2, about the same 0, other preferred 1" in html
    assert "preferred 1, about the same 0, other preferred 2" in html
    listing = researcher_client.get(reverse("reports:prompts", args=[h2h.pk]))
    assert url in listing.content.decode()


def test_tournament_leaderboard_page(researcher_client, db):
    arena = tournament()
    response = researcher_client.get(
        reverse("reports:evaluation", args=[arena.pk]), {"resamples": 50}
    )
    html = response.content.decode()
    assert "Bradley" in html
    report = evaluation_report(arena)  # tournaments default to every vote
    assert report.metadata.options.aggregation == "rating"
    board = report.tournament.leaderboard
    assert board[0].model == "model-x"
    assert board[0].rank == 1
    assert report.tournament.n_outcomes == 15  # every vote counts
    pairs = evaluation_report(arena, ReportOptions(aggregation="majority"))
    assert pairs.tournament.n_outcomes == 5
    png = researcher_client.get(
        reverse("reports:figure", args=[arena.pk, "leaderboard", "png"])
    )
    assert png.content.startswith(b"\x89PNG")


def test_index_lists_evaluations_with_links(researcher_client, h2h):
    html = researcher_client.get(reverse("reports:index")).content.decode()
    assert h2h.get_absolute_url() in html


def test_an_evaluation_without_ratings_still_has_a_page(researcher_client, db):
    empty = head_to_head(name="no-ratings-yet", scores=[])
    response = researcher_client.get(reverse("reports:evaluation", args=[empty.pk]))
    assert response.status_code == 200
    assert "No ratings yet" in response.content.decode()
    report = evaluation_report(empty)
    assert report.headline.n == 0
    assert report.headline.win is None
    png = researcher_client.get(
        reverse("reports:figure", args=[empty.pk, "category", "png"])
    )
    assert png.content.startswith(b"\x89PNG")
    csv = researcher_client.get(
        reverse("reports:download", args=[empty.pk, "pairs.csv"])
    )
    assert csv.status_code == 200


def test_the_prompt_explorer_lists_prompt_ids_as_people_read_them(
    researcher_client, db
):
    """A new-user pass: LLMFAO's numeric ids came as 1, 10, 11, ..., 19, 2, 20."""
    evaluation = head_to_head(name="ids", scores=[(1, 1, 1)] * 12)
    names = ["10", "2", "1", "p10", "p9", "11", "3", "x", "p1", "20", "9", "0"]
    for comparison, name in zip(
        evaluation.comparisons.order_by("id"), names, strict=True
    ):
        Prompt.objects.filter(pk=comparison.prompt_id).update(external_id=name)
    response = researcher_client.get(reverse("reports:prompts", args=[evaluation.pk]))
    listed = [comparison.prompt.external_id for comparison in response.context["page"]]
    assert listed == ["0", "1", "2", "3", "9", "10", "11", "20", "p1", "p9", "p10", "x"]


def _select_values(html: str, name: str) -> list[str]:
    select = html.split(f'<select name="{name}"')[1].split("</select>")[0]
    return [part.split('"')[0] for part in select.split('<option value="')[1:]]


def test_the_options_form_offers_only_what_the_evaluation_takes(researcher_client, h2h):
    """A new-researcher pass: a three-point tournament's form offered threshold 2,
    Wilson intervals and 100,000 resamples, each refused with a 400 when chosen;
    a head-to-head's offered the tournaments' ties, which it ignores."""
    arena = tournament()  # three-point scale
    url = reverse("reports:evaluation", args=[arena.pk])
    html = researcher_client.get(url, {"resamples": 50}).content.decode()
    assert _select_values(html, "threshold") == ["1"]
    assert _select_values(html, "interval") == ["bootstrap"]
    assert 'name="resamples" value="50" min="0" max="10000"' in html
    assert _select_values(html, "ties") == ["half", "davidson"]
    refused = researcher_client.get(url, {"threshold": "2"})
    assert refused.status_code == 400
    assert _select_values(refused.content.decode(), "threshold") == ["1"]
    h2h_url = reverse("reports:evaluation", args=[h2h.pk])
    html = researcher_client.get(h2h_url, {"resamples": 50}).content.decode()
    assert _select_values(html, "threshold") == ["1", "2"]
    assert _select_values(html, "interval") == ["bootstrap", "wilson"]
    assert 'max="100000"' in html
    assert 'name="ties"' not in html


def test_a_count_of_one_pair_reads_pair_not_pairs(researcher_client):
    """A new-researcher pass: the agreement table of an evaluation whose one pair
    has two ratings read "1 pairs" in every row."""
    comparison = ComparisonFactory()
    RatingFactory(comparison=comparison, choice=1)
    RatingFactory(comparison=comparison, choice=2)
    page = researcher_client.get(f"/reports/{comparison.evaluation_id}/")
    text = page.content.decode()
    assert page.status_code == 200
    assert ">1 pair</td>" in text
    assert "1 pairs" not in text


def test_report_csv_overall_row_has_the_counts_of_the_json(researcher_client, h2h):
    """The overall row of report.csv carries the headline's prompts, wins, ties and
    losses, as the breakdown rows and report.json do (it left them empty)."""
    url = reverse("reports:download", args=[h2h.pk, "report.csv"])
    table = pd.read_csv(io.BytesIO(researcher_client.get(url).content))
    overall = table[table["section"] == "overall"].iloc[0]
    url = reverse("reports:download", args=[h2h.pk, "report.json"])
    headline = json.loads(researcher_client.get(url).content)["headline"]
    for count in ("n", "n_prompts", "wins", "ties", "losses"):
        assert overall[count] == headline[count]
    assert overall["wins"] + overall["ties"] + overall["losses"] == overall["n"]


@pytest.mark.parametrize("name", ["ratings.csv", "pairs.csv", "report.csv"])
def test_a_csv_says_it_is_utf8_so_clients_decode_names(researcher_client, h2h, name):
    """Without a charset a text/* body is ISO-8859-1 to HTTP clients (requests'
    ``.text``), and a non-ASCII category or comment came out garbled."""
    Prompt.objects.filter(comparisons__evaluation=h2h).update(categories=["Überblick"])
    response = researcher_client.get(reverse("reports:download", args=[h2h.pk, name]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode(response.charset)
    assert "Überblick" in text
    api = researcher_client.get(f"/api/reports/{h2h.pk}/{name}")
    assert api["Content-Type"] == "text/csv; charset=utf-8"
