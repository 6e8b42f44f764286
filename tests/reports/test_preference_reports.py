"""Reports of an evaluation on the preference scale: outcomes by the side preferred
(the scale has no tie), on the report page and in the JSON."""

from django.urls import reverse

from annotations.models import Evaluation, Rating
from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    PromptFactory,
    RatingFactory,
    UserFactory,
)

from .builders import tournament

# Per prompt, three preference scores from the candidate's point of view (4 = the
# candidate significantly better .. -4 = the baseline). By majority of sides, 4
# prompts are won and 2 lost; none is tied.
SCORES = [(4, 2, -1), (1, -3, -2), (3, 3, 3), (-4, -1, 2), (2, 1, 1), (2, 2, -4)]


def _preference_evaluation() -> Evaluation:
    evaluation = EvaluationFactory(
        name="pref-h2h",
        candidate=ChatModelFactory(name="Llama 2-Chat 70B"),
        baseline=ChatModelFactory(name="ChatGPT"),
        scale=Evaluation.Scale.PREFERENCE,
        safety_labels=True,
    )
    users = [UserFactory(username=f"pref-{k}") for k in range(3)]
    for index, triple in enumerate(SCORES):
        prompt = PromptFactory(
            prompt_set=evaluation.prompt_set, external_id=f"pref-p{index}"
        )
        comparison = ComparisonFactory(evaluation=evaluation, prompt=prompt)
        for position, (user, score) in enumerate(zip(users, triple, strict=True)):
            left = (index + position) % 2 == 0
            RatingFactory(
                comparison=comparison,
                annotator=user,
                scale="preference",
                choice=score if left else -score,
                candidate_on_left=left,
                safety_a="safe",
                safety_b="unsafe" if position == 0 else "safe",
            )
    return evaluation


def test_preference_report_json_counts_sides_without_ties(client, researcher):
    evaluation = _preference_evaluation()
    client.force_login(researcher)
    response = client.get(f"/api/reports/{evaluation.pk}/", {"resamples": 50})
    assert response.status_code == 200, response.content
    head = response.json()["headline"]
    assert (head["wins"], head["ties"], head["losses"]) == (4, 0, 2)
    assert head["n_ratings"] == 18
    assert head["win"] == head["win_no_ties"] == 4 / 6
    rated = client.get(
        f"/api/reports/{evaluation.pk}/", {"resamples": 50, "aggregation": "rating"}
    ).json()["headline"]
    # Every rating counts by its sign: 12 of 18 prefer the candidate.
    assert (rated["wins"], rated["ties"], rated["losses"]) == (12, 0, 6)


def test_preference_report_page_answers(client, researcher):
    evaluation = _preference_evaluation()
    client.force_login(researcher)
    url = reverse("reports:evaluation", args=[evaluation.pk])
    response = client.get(url, {"resamples": 50})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Llama 2-Chat 70B vs ChatGPT" in html
    assert "66.7%" in html  # the win share
    for path in ("pairs.csv", "report.csv"):
        download = client.get(f"/api/reports/{evaluation.pk}/{path}")
        assert download.status_code == 200
    pair = evaluation.comparisons.first()
    for other in (
        reverse("reports:disagreements", args=[evaluation.pk]),
        reverse("reports:pair", args=[evaluation.pk, pair.pk]),
        reverse("reports:prompts", args=[evaluation.pk]),
        reverse("reports:figure", args=[evaluation.pk, "quintile", "png"]),
    ):
        assert client.get(other).status_code == 200, other


def test_a_tie_threshold_is_refused_on_the_preference_scale(client, researcher):
    evaluation = _preference_evaluation()
    client.force_login(researcher)
    response = client.get(f"/api/reports/{evaluation.pk}/", {"threshold": 2})
    assert response.status_code == 400
    assert "threshold" in response.json()["detail"]


def test_a_preference_tournament_reports(client, researcher):
    """The builders' three-point tournament, its votes made preferences (a tie
    vote becomes B negligibly better): the JSON ranks the three models and the page
    answers."""
    arena = tournament()
    for rating in Rating.objects.filter(comparison__evaluation=arena):
        rating.choice = 2 * rating.choice if rating.choice else -1
        rating.score = rating.choice
        rating.scale = "preference"
        rating.save(update_fields=["choice", "score", "scale"])
    Evaluation.objects.filter(pk=arena.pk).update(scale="preference")
    client.force_login(researcher)
    response = client.get(f"/api/reports/{arena.pk}/", {"resamples": 20})
    assert response.status_code == 200, response.content
    board = response.json()["tournament"]
    assert {row["model"] for row in board["leaderboard"]} == {
        "model-x",
        "model-y",
        "model-z",
    }
    page = client.get(reverse("reports:evaluation", args=[arena.pk]), {"resamples": 20})
    assert page.status_code == 200
