"""The admin's evaluation page: what its pairs were made for is fixed once it has
pairs (a scale changed after the ratings made every report of it fail)."""

import pytest

from annotations.models import Evaluation

from .conftest import build_evaluation

pytestmark = pytest.mark.django_db

FIXED = ("kind", "scale", "prompt_set", "candidate", "baseline", "chat_models")


def test_an_evaluation_with_pairs_keeps_what_they_were_made_for(client, admin_user):
    evaluation, _, _ = build_evaluation(pairs=2, annotators=1, per_pair=1)
    client.force_login(admin_user)
    url = f"/admin/annotations/evaluation/{evaluation.pk}/change/"
    html = client.get(url).content.decode()
    for name in FIXED:
        assert f'name="{name}"' not in html, name
    assert 'name="guidelines"' in html  # the rest stays editable
    # Posting a new scale anyway changes nothing.
    client.post(url, {"scale": "three", "name": evaluation.name})
    assert Evaluation.objects.get(pk=evaluation.pk).scale == evaluation.scale


def test_an_evaluation_without_pairs_can_still_be_changed(client, admin_user):
    evaluation, _, _ = build_evaluation(pairs=2, annotators=1, per_pair=1)
    evaluation.comparisons.all().delete()
    client.force_login(admin_user)
    html = client.get(
        f"/admin/annotations/evaluation/{evaluation.pk}/change/"
    ).content.decode()
    for name in FIXED:
        assert f'name="{name}"' in html, name
