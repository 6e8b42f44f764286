"""The admin's evaluation page: what its pairs were made for is fixed once it has
pairs (a scale changed after the ratings made every report of it fail)."""

import json
import re
from html.parser import HTMLParser

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


class _Fields(HTMLParser):
    """The values a browser would post back from a page's forms."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in ("submit", "file"):
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data.setdefault(name, []).append(attrs.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.data[self._select].append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


@pytest.mark.parametrize(
    "change",
    [{"source": Evaluation.Source.IMPORTED}, {"status": Evaluation.Status.CLOSED}],
    ids=["imported", "closed"],
)
def test_saving_an_imported_or_closed_evaluation_adds_no_pairs(
    client, admin_user, change
):
    """The admin's save built every pair the models' generations allow: on the
    demo's imported tournament that added 29,657 pairs no rating file named."""
    evaluation, comparisons, _ = build_evaluation(pairs=3, annotators=1, per_pair=1)
    comparisons[0].delete()  # a pair its generations allow, but not one of its own
    Evaluation.objects.filter(pk=evaluation.pk).update(**change)
    client.force_login(admin_user)
    url = f"/admin/annotations/evaluation/{evaluation.pk}/change/"
    fields = _Fields()
    fields.feed(client.get(url).content.decode())
    fields.data["guidelines"] = ["Read both answers to the end."]
    response = client.post(url, fields.data)
    assert response.status_code == 302, response.content.decode()[:2000]
    evaluation.refresh_from_db()
    assert evaluation.guidelines == "Read both answers to the end."
    assert evaluation.comparisons.count() == 2


def test_clearing_a_stop_needs_a_changed_rule_and_clears_its_reason(client, admin_user):
    """Clearing stopped_at alone left the old reason in the report, and the next
    complete pair stopped the evaluation again at once."""
    from django.utils import timezone

    evaluation, _, _ = build_evaluation(pairs=3, annotators=1, per_pair=1)
    Evaluation.objects.filter(pk=evaluation.pk).update(
        stop_rule="width",
        stop_width=0.95,
        stop_min_pairs=3,
        stopped_at=timezone.now(),
        stop_pairs=3,
        stop_reason="Stopped after 3 pairs: narrow enough.",
    )
    client.force_login(admin_user)
    url = f"/admin/annotations/evaluation/{evaluation.pk}/change/"
    fields = _Fields()
    fields.feed(client.get(url).content.decode())
    for name in list(fields.data):
        if name.startswith("stopped_at"):
            fields.data[name] = [""]
    refused = client.post(url, fields.data)
    assert refused.status_code == 200
    assert "still holds on the pairs it stopped at" in refused.content.decode()
    assert Evaluation.objects.get(pk=evaluation.pk).stopped_at is not None

    fields.data["stop_min_pairs"] = ["10"]
    assert client.post(url, fields.data).status_code == 302
    evaluation.refresh_from_db()
    assert (evaluation.stopped_at, evaluation.stop_pairs) == (None, None)
    assert evaluation.stop_reason == ""
    assert evaluation.stop_min_pairs == 10


def test_n_cannot_go_below_the_ratings_a_pair_holds(client, admin_user):
    """Lowering N under pairs of 3 ratings left pairs with more than N."""
    from tests.factories import RatingFactory

    evaluation, comparisons, users = build_evaluation(pairs=2, annotators=3, per_pair=3)
    for user in users[:2]:
        RatingFactory(comparison=comparisons[0], annotator=user)
    client.force_login(admin_user)
    url = f"/admin/annotations/evaluation/{evaluation.pk}/change/"
    fields = _Fields()
    fields.feed(client.get(url).content.decode())
    fields.data["annotators_per_pair"] = ["1"]
    refused = client.post(url, fields.data)
    assert refused.status_code == 200
    assert "already has 2 ratings: N may not go below 2" in refused.content.decode()
    fields.data["annotators_per_pair"] = ["2"]
    assert client.post(url, fields.data).status_code == 302
    assert Evaluation.objects.get(pk=evaluation.pk).annotators_per_pair == 2


@pytest.mark.parametrize("value", ["-3", "0"])
def test_lease_minutes_below_one_are_refused_naming_one(client, admin_user, value):
    """-3 said "at least 0", and 0 then "at least 1" (a new-user pass): the input
    and the message now both say 1, as do the other counts that take 1 and up."""
    evaluation, _, _ = build_evaluation(pairs=1, annotators=1, per_pair=1)
    client.force_login(admin_user)
    url = f"/admin/annotations/evaluation/{evaluation.pk}/change/"
    page = client.get(url).content.decode()
    for name in ("lease_minutes", "annotators_per_pair", "quota",
                 "poolmember_set-0-quota"):  # fmt: skip
        assert re.search(rf'<input[^>]*name="{name}"[^>]*min="1"', page), name
    fields = _Fields()
    fields.feed(page)
    fields.data["lease_minutes"] = [value]
    response = client.post(url, fields.data)
    assert response.status_code == 200
    assert (
        "Ensure this value is greater than or equal to 1." in response.content.decode()
    )
    assert Evaluation.objects.get(pk=evaluation.pk).lease_minutes == 30


def test_an_imported_evaluation_with_more_than_20_ratings_a_pair_can_be_saved(
    client, admin_user
):
    """An import makes N the most ratings a pair holds (crowd votes), which may be
    over the 20 a new evaluation may ask for; the admin's own bound then refused
    every save of the evaluation ("less than or equal to 20")."""
    from annotations.services.imports import ratings_import
    from generations.services.imports import generations_import, prompts_import

    prompts_import(
        prompt_set_name="crowd", file_name="p.jsonl",
        data=json.dumps({"id": "p1", "prompt": "Hi?", "category": "x"}).encode(),
    )  # fmt: skip
    generations_import(
        prompt_set_name="crowd", file_name="g.jsonl",
        data="\n".join(json.dumps({"prompt_id": "p1", "model": m, "text": m})
                       for m in ("a", "b")).encode(),
    )  # fmt: skip
    votes = [
        {"prompt_id": "p1", "model_a": "a", "model_b": "b", "annotator": f"v{i}",
         "choice": "a"}
        for i in range(25)
    ]  # fmt: skip
    ratings_import(
        prompt_set_name="crowd", evaluation_name="votes", scale="three",
        file_name="r.jsonl", data="\n".join(map(json.dumps, votes)).encode(),
    )  # fmt: skip
    evaluation = Evaluation.objects.get(name="votes")
    assert evaluation.annotators_per_pair == 25
    client.force_login(admin_user)
    url = f"/admin/annotations/evaluation/{evaluation.pk}/change/"
    fields = _Fields()
    fields.feed(client.get(url).content.decode())
    fields.data["guidelines"] = ["Crowd votes."]
    response = client.post(url, fields.data)
    assert response.status_code == 302, response.content.decode()[:3000]
    evaluation.refresh_from_db()
    assert (evaluation.guidelines, evaluation.annotators_per_pair) == (
        "Crowd votes.",
        25,
    )
