"""Annotator pages: home, rating page, answers, progress; blindness and doors."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone

from annotations.models import Assignment, Rating
from annotations.services import assignments as services
from tests.conftest import make_user

from .conftest import SECRET_BASELINE, SECRET_CANDIDATE, build_evaluation


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_blind(text: str, evaluation) -> None:
    for secret in (SECRET_CANDIDATE, SECRET_BASELINE):
        assert secret not in text
    ids = {evaluation.candidate_id, evaluation.baseline_id}
    for attribute in ("chat_model", "candidate", "baseline", "model_id"):
        assert attribute not in text.lower().replace("model a", "").replace(
            "model b", ""
        )
    for model_id in ids:
        assert f"chat_model={model_id}" not in text
        assert f"/chat-models/{model_id}" not in text


@pytest.fixture
def one_pair(db):
    evaluation, comparisons, users = build_evaluation(
        pairs=3, annotators=3, guidelines="Prefer **honest** answers."
    )
    return evaluation, comparisons, users


def test_home_lists_the_annotators_evaluations_with_done_and_left(one_pair):
    evaluation, _, users = one_pair
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    services.rating_submit(assignment_id=lease.pk, annotator=users[0], choice=1)
    page = logged_in(users[0]).get("/").content.decode()
    row = re.search(
        r"<tr>\s*<td>(.*?)</td>\s*<td class=\"num\">(\d+)</td>\s*"
        r"<td class=\"num\">(\d+)</td>",
        page,
    )
    assert row.groups() == (f"Evaluation {evaluation.pk}", "1", "2")
    assert evaluation.name not in page
    assert "Continue rating" in page
    assert_blind(page, evaluation)


def test_home_works_for_researchers_and_admins(one_pair, researcher, admin_user):
    evaluation, _, _ = one_pair
    for user in (researcher, admin_user):
        page = logged_in(user).get("/").content.decode()
        assert f"/evaluations/{evaluation.pk}/progress/" in page
        assert "/reports/" in page


def test_start_rate_and_continue_without_javascript(one_pair):
    evaluation, _comparisons, users = one_pair
    client = logged_in(users[0])
    response = client.post(f"/evaluations/{evaluation.pk}/next/")
    lease = Assignment.objects.get(annotator=users[0])
    assert response["Location"] == f"/assignments/{lease.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert (
        "Considering both model responses, which is better (helpful while also "
        "being safe and honest), Model A or Model B?" in page
    )
    for label in ("A is much better", "About the same", "B is much better"):
        assert label in page
    assert "<strong>honest</strong>" in page  # guidelines as Markdown
    assert_blind(page, evaluation)
    answered = client.post(
        f"/assignments/{lease.pk}/answer/", {"action": "rate", "choice": "-1"}
    )
    rating = Rating.objects.get(annotator=users[0])
    assert rating.choice == -1
    assert rating.seconds is not None
    assert answered["Location"].startswith("/assignments/")
    assert answered["Location"] != f"/assignments/{lease.pk}/"


def test_an_empty_response_is_shown_as_one(one_pair):
    """A model that answered nothing is its own result (kept and rated), but the
    page said nothing at all where its response goes (a new-user pass)."""
    from generations.models import Generation

    evaluation, comparisons, users = one_pair
    for comparison in comparisons:
        Generation.objects.filter(pk=comparison.candidate_generation_id).update(
            text="", html=""
        )
    client = logged_in(users[0])
    response = client.post(f"/evaluations/{evaluation.pk}/next/")
    page = client.get(response["Location"]).content.decode()
    assert page.count('class="muted empty-response"') == 1  # the other has text
    assert "(The model answered nothing: an empty response.)" in page


def test_fetch_answer_returns_the_next_pair_as_a_fragment(one_pair):
    evaluation, _, users = one_pair
    client = logged_in(users[0])
    client.post(f"/evaluations/{evaluation.pk}/next/")
    lease = Assignment.objects.get(annotator=users[0])
    response = client.post(
        f"/assignments/{lease.pk}/answer/",
        {"action": "rate", "choice": "3", "seconds": "8.25"},
        headers={"X-Requested-With": "fetch"},
    )
    body = response.json()
    following = Assignment.objects.get(annotator=users[0], state="leased")
    assert body["url"] == f"/assignments/{following.pk}/"
    assert 'id="pair"' in body["html"]
    assert Rating.objects.get().seconds == 8.25
    assert_blind(body["html"], evaluation)
    bad = client.post(
        f"/assignments/{following.pk}/answer/",
        {"action": "rate", "choice": "9"},
        headers={"X-Requested-With": "fetch"},
    )
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("choice:")


def test_multi_turn_history_is_shown_apart_from_the_final_turn(multi_turn_comparison):
    evaluation, _comparison, user = multi_turn_comparison
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    page = logged_in(user).get(f"/assignments/{lease.pk}/").content.decode()
    history = page[page.index('class="history"') : page.index('class="final-turn"')]
    assert "<strong>prime</strong>" in history
    assert "Seven is prime." in history
    final = page[page.index('class="final-turn"') :]
    assert "And an even one?" in final[: final.index("</section>")]


def test_untrusted_html_in_responses_is_inert(db):
    evaluation, (comparison,), users = build_evaluation(pairs=1, annotators=1)
    generation = comparison.candidate_generation
    generation.text = "<script>alert(1)</script> <img src=x onerror=alert(2)>"
    generation.save(update_fields=["text"])
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    page = logged_in(users[0]).get(f"/assignments/{lease.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    assert "<script>alert" not in page


def test_another_annotators_assignment_answers_404(one_pair):
    evaluation, _, users = one_pair
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    other = logged_in(users[1])
    assert other.get(f"/assignments/{lease.pk}/").status_code == 404
    assert (
        other.post(f"/assignments/{lease.pk}/answer/", {"choice": "1"}).status_code
        == 404
    )
    assert not Rating.objects.exists()


def test_annotators_are_refused_reports_admin_and_progress(one_pair):
    evaluation, _, users = one_pair
    client = logged_in(users[0])
    assert client.get("/reports/").status_code == 403
    assert client.get(f"/evaluations/{evaluation.pk}/progress/").status_code == 403
    admin = client.get("/admin/")
    assert admin.status_code == 302
    assert "/admin/login/" in admin["Location"]
    assert client.get("/admin/annotations/evaluation/").status_code == 302


def test_outsider_is_told_they_are_not_in_the_pool(one_pair):
    evaluation, _, _ = one_pair
    outsider = make_user("outsider", "annotator")
    response = logged_in(outsider).post(
        f"/evaluations/{evaluation.pk}/next/", follow=True
    )
    assert "not in this evaluation" in response.content.decode()
    assert not Assignment.objects.exists()


def test_progress_page_for_admins(one_pair, admin_user):
    evaluation, _, users = one_pair
    lease = services.assignment_next(evaluation=evaluation, annotator=users[0])
    services.assignment_flag(
        assignment_id=lease.pk, annotator=users[0], comment="garbled <b>text</b>"
    )
    lease = services.assignment_next(evaluation=evaluation, annotator=users[1])
    services.rating_submit(assignment_id=lease.pk, annotator=users[1], choice=2)
    page = logged_in(admin_user).get(f"/evaluations/{evaluation.pk}/progress/")
    text = page.content.decode()
    assert re.search(r'id="partly">1<', text)
    # A leased pair without a rating is in progress, not "partly rated".
    assert "In progress (leased or partly rated)" in text
    assert "Leases expired or released" in text  # an undone skip releases a lease
    # Excluded pairs are closed to rating and left out of reports: the page counts
    # them apart, not as in progress or untouched, nor in the ratings needed (a
    # new-user pass: it counted one as untouched and its ratings as needed).
    assert re.search(r'id="excluded">0<', text)
    assert re.search(r'id="ratings">1 / 9<', text)
    from annotations.services.flag_reviews import flag_review_record

    flag_review_record(
        comparison_id=lease.comparison_id, action="exclude", reviewer=admin_user
    )
    after = logged_in(admin_user).get(f"/evaluations/{evaluation.pk}/progress/")
    after_text = after.content.decode()
    assert re.search(r'id="excluded">1<', after_text)
    assert re.search(r'id="partly">0<', after_text)
    assert re.search(r'id="untouched">2<', after_text)
    assert re.search(r'id="ratings">0 / 6<', after_text)
    assert re.search(r'id="untouched">2<', text)
    assert re.search(r'id="flag-count">1<', text)
    assert "garbled &lt;b&gt;text&lt;/b&gt;" in text
    assert users[1].username in text


def test_static_files_name_no_chat_model():
    for name in ("annotations/rate.js", "annotations/rate.css"):
        with open(finders.find(name), encoding="utf-8") as file:
            text = file.read()
        assert SECRET_CANDIDATE not in text
        assert "candidate" not in text.lower()
        assert "baseline" not in text.lower()


def test_two_tabs_submitting_the_same_pair_store_one_rating(one_pair):
    evaluation, _, users = one_pair
    client = logged_in(users[0])
    client.post(f"/evaluations/{evaluation.pk}/next/")
    lease = Assignment.objects.get(annotator=users[0])
    url = f"/assignments/{lease.pk}/answer/"
    first = client.post(url, {"choice": "2"}, headers={"X-Requested-With": "fetch"})
    second = client.post(url, {"choice": "-2"}, headers={"X-Requested-With": "fetch"})
    assert first.status_code == second.status_code == 200
    assert "your first answer stands" in second.json()["html"]
    assert list(Rating.objects.values_list("choice", flat=True)) == [2]


def test_late_submit_after_the_pair_went_elsewhere_is_explained(db):
    evaluation, _, users = build_evaluation(pairs=1, annotators=2, per_pair=1)
    long_ago = timezone.now() - timedelta(hours=1)
    lease = services.assignment_next(
        evaluation=evaluation, annotator=users[0], now=long_ago
    )
    services.assignment_next(evaluation=evaluation, annotator=users[1])
    response = logged_in(users[0]).post(
        f"/assignments/{lease.pk}/answer/", {"choice": "1"}, follow=True
    )
    assert "went to another annotator" in response.content.decode()
    assert not Rating.objects.exists()


@pytest.mark.parametrize("fragment", [False, True])
def test_submit_without_a_choice_says_none_was_picked(db, fragment):
    """Submit pressed with no answer picked (the page without JavaScript, or a
    form built by hand) said "choice: None is off the scale (3 to -3)"."""
    evaluation, _, (user,) = build_evaluation(pairs=1, annotators=1, per_pair=1)
    lease = services.assignment_next(evaluation=evaluation, annotator=user)
    headers = {"X-Requested-With": "fetch"} if fragment else {}
    response = logged_in(user).post(
        f"/assignments/{lease.pk}/answer/",
        {"action": "rate", "seconds": "3"},
        follow=not fragment,
        headers=headers,
    )
    text = response.json()["error"] if fragment else response.content.decode()
    assert "choice: none given; pick one from 3 to -3" in text
    assert "None" not in text
    assert not Rating.objects.exists()
