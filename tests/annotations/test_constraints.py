"""The database itself refuses what must never happen."""

import pytest
from django.db import IntegrityError, transaction

from tests.factories import ComparisonFactory, RatingFactory, UserFactory


@pytest.mark.django_db
def test_a_score_off_the_scale_is_refused_by_the_database():
    comparison = ComparisonFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(comparison=comparison, choice=4, score=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(comparison=comparison, scale="three", choice=2, score=2)


@pytest.mark.django_db
def test_a_second_rating_by_one_annotator_on_one_comparison_is_refused():
    comparison, annotator = ComparisonFactory(), UserFactory()
    RatingFactory(comparison=comparison, annotator=annotator)
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(comparison=comparison, annotator=annotator, choice=-1)


@pytest.mark.django_db
def test_a_score_that_does_not_undo_the_side_order_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        RatingFactory(choice=2, candidate_on_left=False, score=2)
