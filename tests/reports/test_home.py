"""The home's table of evaluations: stage figures counted by hand, the headline from
the cached report only, and a number of queries that does not grow with the table."""

import re
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from annotations.models import Evaluation, Rating
from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    GenerationFactory,
    PromptFactory,
    RatingFactory,
    UserFactory,
)

from .builders import tournament


def _cell(page: str, evaluation_id: int, figure: str) -> str:
    row = re.search(
        rf'<tr data-evaluation="{evaluation_id}">(.*?)</tr>', page, re.DOTALL
    ).group(1)
    cell = re.search(rf'data-figure="{figure}">(.*?)</td>', row, re.DOTALL).group(1)
    return re.sub(r"<[^>]+>", "", cell).strip()


def _small(name: str = "small") -> Evaluation:
    """3 pairs x N = 3 (9 ratings needed), 5 ratings: three by two annotators now,
    one by a third annotator two days ago, one imported now. Prompts: the 3 paired
    ones and a fourth answered by the candidate only, so generations are 3 x 2 + 1 = 7
    of 4 x 2 = 8. Today: 3 ratings; active in 24 h: 2 annotators."""
    evaluation = EvaluationFactory(name=name, annotators_per_pair=3)
    pairs = [ComparisonFactory(evaluation=evaluation) for _ in range(3)]
    extra = PromptFactory(prompt_set=evaluation.prompt_set)
    GenerationFactory(prompt=extra, chat_model=evaluation.candidate)
    first, second, old = (UserFactory() for _ in range(3))
    now = timezone.now()
    RatingFactory(comparison=pairs[0], annotator=first, created_at=now)
    RatingFactory(comparison=pairs[1], annotator=first, created_at=now)
    RatingFactory(comparison=pairs[0], annotator=second, created_at=now)
    RatingFactory(comparison=pairs[2], annotator=old, created_at=now - timedelta(2))
    # Imported now: a rating, but no work done here today (the demo's 8,931 imported
    # crowd votes showed as Today 8931, Active 124; a new-user pass).
    RatingFactory(comparison=pairs[1], annotator=UserFactory(), created_at=now,
                  source=Rating.Source.IMPORTED)  # fmt: skip
    evaluation.pool.add(first, second)
    return evaluation


def test_home_figures_of_a_small_evaluation_counted_by_hand(client, admin_user):
    evaluation = _small()
    # The same chat models on another prompt set, in another evaluation: counted
    # there only (1 prompt answered by both: 2 of 2).
    other = EvaluationFactory(
        candidate=evaluation.candidate, baseline=evaluation.baseline
    )
    ComparisonFactory(evaluation=other)
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert _cell(page, evaluation.pk, "generations") == "7 / 8"
    assert _cell(page, evaluation.pk, "pairs") == "3"
    assert _cell(page, evaluation.pk, "ratings") == "5 / 9"
    assert _cell(page, evaluation.pk, "today") == "3"
    assert _cell(page, evaluation.pk, "active") == "2"
    assert "pool (2)" in page
    assert f"/evaluations/{evaluation.pk}/progress/" in page
    assert f"/reports/{evaluation.pk}/" in page
    assert f"/admin/annotations/evaluation/{evaluation.pk}/change/" in page
    assert "/evaluations/new/" in page
    assert _cell(page, other.pk, "generations") == "2 / 2"
    assert _cell(page, other.pk, "ratings") == "0 / 3"
    # A pair a flag review excluded (the one rated two days ago) needs nothing
    # more: its 3 ratings needed and its 1 rating leave the counts (it was shown as
    # still needing them; a new-user pass). Today's ratings still count today.
    old_pair = evaluation.comparisons.filter(
        ratings__created_at__lt=timezone.now() - timedelta(1)
    )
    assert old_pair.update(excluded=True) == 1
    page = client.get("/").content.decode()
    assert _cell(page, evaluation.pk, "pairs") == "3"
    assert _cell(page, evaluation.pk, "ratings") == "4 / 6"
    assert _cell(page, evaluation.pk, "today") == "3"


def test_headline_is_the_cached_reports_and_never_computed_by_the_home(
    client, researcher
):
    evaluation = _small()
    client.force_login(researcher)
    page = client.get("/").content.decode()
    assert _cell(page, evaluation.pk, "headline") == "report not computed yet"
    report = client.get(f"/reports/{evaluation.pk}/")  # computes and caches it
    win = re.search(
        r'<div class="stat win">.*?<div class="value">(.*?)</div>',
        report.content.decode(),
        re.DOTALL,
    ).group(1)
    headline = _cell(client.get("/").content.decode(), evaluation.pk, "headline")
    # Every rating here is +1 for the candidate: each pair is a win.
    assert win == "100.0%"
    assert headline.startswith(f"win {win} (")
    assert "3 prompts" in headline
    # A new rating changes the report's key: the home no longer shows the old one.
    RatingFactory(comparison=evaluation.comparisons.last(), annotator=UserFactory())
    page = client.get("/").content.decode()
    assert _cell(page, evaluation.pk, "headline") == "report not computed yet"
    assert "/evaluations/new/" not in page  # researchers create nothing


def test_tournament_headline_is_the_leader_of_the_cached_report(client, researcher):
    arena = tournament()
    client.force_login(researcher)
    assert _cell(client.get("/").content.decode(), arena.pk, "headline") == (
        "report not computed yet"
    )
    report = client.get(f"/api/reports/{arena.pk}/").json()  # computes and caches
    leader = min(report["tournament"]["leaderboard"], key=lambda row: row["rank"])
    headline = _cell(client.get("/").content.decode(), arena.pk, "headline")
    assert headline == f"leader: {leader['model']} (score {leader['score']:.2f})"


def test_a_tournament_of_many_models_names_a_few_and_counts_the_rest(
    client, researcher
):
    arena = tournament()
    arena.chat_models.add(*(ChatModelFactory(name=f"extra-{k:02d}") for k in range(56)))
    client.force_login(researcher)
    page = client.get("/").content.decode()
    row = page.split(f'data-evaluation="{arena.pk}"')[1].split("</tr>")[0]
    assert "extra-00, extra-01, extra-02, extra-03 and 55 more chat models" in row
    assert "extra-55" in row  # in the title, all of them
    assert row.count("extra-55") == 1


def test_single_response_headline_is_the_mean_per_chat_model(client, researcher):
    """Model m: scores 6 and 3, mean 4.50 over 2 ratings."""
    model = ChatModelFactory(name="m")
    evaluation = EvaluationFactory(
        kind="single", scale="likert", candidate=None, baseline=None
    )
    evaluation.chat_models.add(model)
    prompt = PromptFactory(prompt_set=evaluation.prompt_set)
    pair = ComparisonFactory(
        evaluation=evaluation,
        prompt=prompt,
        candidate_generation=GenerationFactory(prompt=prompt, chat_model=model),
        baseline_generation=None,
    )
    for score in (6, 3):
        RatingFactory(comparison=pair, scale="likert", choice=score)
    client.force_login(researcher)
    page = client.get("/").content.decode()
    assert _cell(page, evaluation.pk, "headline") == "mean 1-7: m 4.50 (2)"
    assert _cell(page, evaluation.pk, "generations") == "1 / 1"


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    return len(queries)


# Session and user (2), permissions (2), the annotator's pools (1), evaluations and
# their chat models (2), stage figures (6), report versions (1).
HOME_QUERIES = 14


def test_home_queries_do_not_grow_with_the_evaluations(
    client, admin_user, django_assert_max_num_queries
):
    client.force_login(admin_user)
    for index in range(2):
        _small(f"few-{index}")
    few = _home_queries(client)
    for index in range(18):
        _small(f"many-{index}")
    assert Evaluation.objects.count() == 20
    with django_assert_max_num_queries(HOME_QUERIES):
        page = client.get("/").content.decode()
    assert page.count("<tr data-evaluation=") == 20
    assert _home_queries(client) == few


def test_annotators_see_their_own_list_and_never_the_table(client, annotator):
    evaluation = _small()
    client.force_login(annotator)
    page = client.get("/").content.decode()
    assert "You are not in any evaluation's annotator pool yet." in page
    assert 'id="evaluations"' not in page
    evaluation.pool.add(annotator)
    page = client.get("/").content.decode()
    assert f"Evaluation {evaluation.pk}" in page
    assert evaluation.name not in page
    assert "not in any evaluation" not in page
    assert 'id="evaluations"' not in page


def test_the_home_is_never_kept_by_the_browser(client, annotator):
    """Back after rating showed the counts from before the ratings."""
    client.force_login(annotator)
    assert "no-store" in client.get("/")["Cache-Control"]


def test_a_headline_of_one_prompt_says_prompt(client, researcher):
    """A new-researcher pass: an imported evaluation of one pair read "win 100.0%
    (100.0-100.0), 1 prompts"."""
    evaluation = EvaluationFactory(name="one-pair")
    RatingFactory(comparison=ComparisonFactory(evaluation=evaluation), choice=1)
    client.force_login(researcher)
    assert client.get(f"/reports/{evaluation.pk}/").status_code == 200  # cached now
    headline = _cell(client.get("/").content.decode(), evaluation.pk, "headline")
    assert headline.endswith(", 1 prompt")
