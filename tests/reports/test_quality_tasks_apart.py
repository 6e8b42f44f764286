"""Gold and repeat answers (QualityTask rows) and gold pairs never enter a report."""

from django.core.cache import cache
from rest_framework.test import APIClient

from annotations.models import Rating
from annotations.services.gold_pairs import gold_pairs_from_comparisons
from tests.annotations.quality_support import answer_task

from .builders import head_to_head


def _without_timestamps(value):
    if isinstance(value, dict):
        return {
            key: _without_timestamps(item)
            for key, item in value.items()
            if key != "generated_at"
        }
    if isinstance(value, list):
        return [_without_timestamps(item) for item in value]
    return value


def _report(client, evaluation) -> dict:
    cache.clear()  # computed afresh from the database, not the cached value
    response = client.get(f"/api/reports/{evaluation.pk}/")
    assert response.status_code == 200
    return response.json()


def test_gold_and_repeat_answers_leave_the_report_unchanged(
    require_postgres, researcher
):
    """Every comparison becomes a gold pair (expected: baseline); every annotator
    answers each gold pair +3 for the candidate, and repeats every rating of theirs
    with the opposite extreme, sides swapped, in 0.1 s: were any of these counted,
    the win shares, agreement, position bias and seconds would all move."""
    evaluation = head_to_head()
    client = APIClient()
    client.force_authenticate(researcher)
    before = _report(client, evaluation)
    gold = gold_pairs_from_comparisons(
        comparisons=evaluation.comparisons.all(), expected=-1
    )
    assert gold.created == 12
    ratings = list(Rating.objects.filter(comparison__evaluation=evaluation))
    for annotator in {rating.annotator for rating in ratings}:
        for pair in evaluation.gold_pairs.all():
            answer_task(evaluation, annotator, 3, gold=pair, left=False, seconds=0.1)
    for rating in ratings:
        answer_task(
            evaluation,
            rating.annotator,
            -3 if rating.score >= 0 else 3,
            repeat_of=rating,
            left=not rating.candidate_on_left,
            seconds=0.1,
        )
    assert evaluation.quality_tasks.count() == 3 * 12 + 36
    after = _report(client, evaluation)
    # Built twice, not read from a cache: the timestamps differ.
    assert after["metadata"]["generated_at"] != before["metadata"]["generated_at"]
    assert _without_timestamps(after) == _without_timestamps(before)
