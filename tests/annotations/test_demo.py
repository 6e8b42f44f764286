"""load_demo loads LLMFAO through the real imports, GPT-4's votes as a judge's; the
admin lists what it loaded."""

import csv

import pytest
from django.core.management import call_command

from annotations.models import Assignment, Comparison, Evaluation, Rating
from annotations.services.demo import CROWD_EVALUATION, DATA_DIR, HEAD_TO_HEAD
from generations.models import ChatModel, Generation, Prompt
from judges.models import Judge, Judgement
from judges.services.demo import GPT4_JUDGE, GPT4_VOTES
from reports.evaluation_reports import evaluation_report
from reports.report_options import ReportOptions

# ``demo`` (tests/conftest.py): the demo is loaded once for this module; each test's
# writes are rolled back.
pytestmark = pytest.mark.xdist_group("demo")  # one test process: one load (.ci/run)


def test_demo_loads_every_prompt_response_and_crowd_vote(demo):
    assert Prompt.objects.filter(prompt_set__name="llmfao").count() == 19
    assert Generation.objects.count() == 1133
    assert (
        Rating.objects.filter(comparison__evaluation__name=CROWD_EVALUATION).count()
        == 8931
    )
    crowd = Evaluation.objects.get(name=CROWD_EVALUATION)
    assert crowd.kind == Evaluation.Kind.TOURNAMENT
    assert crowd.scale == Evaluation.Scale.THREE
    assert Comparison.objects.filter(evaluation=crowd).count() == 2139


def test_demo_votes_keep_side_order_and_winner(demo):
    with (DATA_DIR / "crowd-comparisons.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    left_wins = sum(1 for row in rows if row["winner"] == "left")
    ties = sum(1 for row in rows if row["winner"] == "tie")
    ratings = Rating.objects.filter(comparison__evaluation__name=CROWD_EVALUATION)
    assert ratings.filter(choice=1).count() == left_wins
    assert ratings.filter(choice=0).count() == ties
    # In the crowd file model_x is always shown on the left: the candidate's view equals it.
    assert ratings.filter(candidate_on_left=True).count() == 8931
    first = rows[0]
    rating = ratings.get(
        comparison__external_id=first["id"],
        annotator__username=f"crowd-{first['worker']}",
    )
    assert rating.comparison.candidate_generation.chat_model.name == first["left"]


def test_demo_head_to_head_is_fresh_and_has_a_pool(demo):
    evaluation = Evaluation.objects.get(name=HEAD_TO_HEAD)
    assert evaluation.candidate.name == "LLaMA-2-Chat (70B)"
    assert evaluation.baseline.name == "GPT 3.5 Turbo"
    assert evaluation.comparisons.count() == 19
    assert not Rating.objects.filter(comparison__evaluation=evaluation).exists()
    assert evaluation.pool.filter(username="annotator").exists()


def test_load_demo_twice_changes_nothing(demo):
    def counts():
        return (
            Rating.objects.count(),
            Comparison.objects.count(),
            ChatModel.objects.count(),
            Judge.objects.count(),
            Judgement.objects.count(),
        )

    before = counts()
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts() == before


def test_demo_imports_gpt4_votes_as_a_judges_verdicts(demo):
    with GPT4_VOTES.open(newline="") as f:
        rows = list(csv.DictReader(f))
    judge = Judge.objects.get(name=GPT4_JUDGE)
    assert judge.chat_model is None
    verdicts = Judgement.objects.filter(judge=judge)
    assert verdicts.count() == len(rows)
    assert verdicts.filter(comparison__evaluation__name=CROWD_EVALUATION).count() == (
        len(rows)
    )
    assert set(verdicts.values_list("source", "status", "swapped", "scale")) == {
        ("imported", "done", False, "three")
    }
    by_winner = {"left": 1, "tie": 0, "right": -1}
    for winner, choice in by_winner.items():
        expected = sum(1 for row in rows if row["winner"] == winner)
        assert verdicts.filter(choice=choice).count() == expected, winner
    # As for the crowd, the left model (model_x) is each pair's candidate.
    assert verdicts.filter(candidate_on_left=True).count() == len(rows)
    last = rows[-1]
    verdict = verdicts.select_related("comparison__prompt").get(
        comparison__external_id=last["id"]
    )
    assert verdict.comparison.prompt.external_id == last["prompt"]
    assert verdict.choice == by_winner[last["winner"]]
    # Verdicts are no ratings: the crowd's pairs keep their annotators and stages.
    assert (
        Rating.objects.filter(comparison__evaluation__name=CROWD_EVALUATION).count()
        == 8931
    )
    assert not Assignment.objects.filter(
        comparison__evaluation__name=CROWD_EVALUATION
    ).exists()


HUMAN_FIGURES = (
    "tournament",
    "agreement",
    "annotators",
    "position_bias",
    "prompt_counts",
)


def _human_figures(evaluation) -> dict:
    """The crowd report's figures from the annotators' ratings, computed afresh
    (the cache bypassed)."""
    options = ReportOptions(aggregation="rating", resamples=20)
    report = evaluation_report(evaluation, options, use_cache=False).to_json()
    return {name: report[name] for name in HUMAN_FIGURES}


def test_judge_verdicts_leave_the_crowd_report_unchanged(demo):
    crowd = Evaluation.objects.get(name=CROWD_EVALUATION)
    stages = sorted(crowd.comparisons.values_list("pk", "stage"))
    with_judge = _human_figures(crowd)
    assert Judgement.objects.filter(comparison__evaluation=crowd).delete()[0] > 0
    assert _human_figures(crowd) == with_judge
    assert with_judge["tournament"]["n_outcomes"] == 8931
    assert sorted(crowd.comparisons.values_list("pk", "stage")) == stages


def test_admin_lists_the_demo_data(demo, client):
    assert client.login(username="admin", password="admin-demo-pw")
    ratings = client.get("/admin/annotations/rating/")
    assert ratings.status_code == 200
    assert "8931 ratings" in ratings.content.decode()
    generations = client.get("/admin/generations/generation/?q=&all=")
    assert "1133 generations" in generations.content.decode()
    prompts = client.get("/admin/generations/prompt/")
    assert "19 prompts" in prompts.content.decode()
    for url in (
        "/admin/generations/chatmodel/",
        "/admin/annotations/evaluation/",
        "/admin/annotations/comparison/",
        "/admin/generations/promptset/",
        "/admin/annotations/assignment/",
        "/admin/generations/generationjob/",
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("username", "password"),
    [("researcher", "researcher-demo-pw"), ("annotator", "annotator-demo-pw")],
)
def test_demo_logins_work_and_non_admins_cannot_enter_the_admin(
    demo, client, username, password
):
    assert client.login(username=username, password=password)
    assert client.get("/").status_code == 200
    assert client.get("/admin/annotations/rating/").status_code == 302


def test_demo_annotator_never_sees_the_head_to_head_name_or_models(demo, client):
    evaluation = Evaluation.objects.get(name=HEAD_TO_HEAD)
    assert client.login(username="annotator", password="annotator-demo-pw")
    pages = [client.get("/").content.decode()]
    start = client.post(f"/evaluations/{evaluation.pk}/next/", follow=True)
    pages.append(start.content.decode())
    api = client.post(f"/api/evaluations/{evaluation.pk}/next/")
    pages.append(api.content.decode())
    for page in pages:
        for secret in (HEAD_TO_HEAD, "LLaMA", "GPT 3.5", "gpt35", "llama2"):
            assert secret.lower() not in page.lower(), secret
    assert "Evaluation" in pages[0]
    assert "Model A" in pages[1]
    assert api.status_code == 200
    assert api.json()["response_a"]


def test_the_judges_csv_holds_gpt4s_own_leaderboard(demo, client, researcher):
    """docs/judge-reports.md: the judge's own Bradley-Terry leaderboard, left out of
    the report page's section, is in the judge's page, the API and the CSV."""
    import io

    crowd = Evaluation.objects.get(name=CROWD_EVALUATION)
    client.force_login(researcher)
    options = {"resamples": 5}
    response = client.get(f"/reports/{crowd.pk}/judges/judges.csv", options)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    scores = {
        row["group"]: float(row["value"])
        for row in rows
        if (row["judge"], row["section"], row["statistic"])
        == (GPT4_JUDGE, "leaderboard", "score")
    }
    api = client.get(f"/api/reports/{crowd.pk}/judges/", options).json()
    (board,) = [item["tournament"]["leaderboard"] for item in api["judges"]]
    assert len(scores) == len(board) == 59
    for row in board:
        assert scores[row["model"]] == pytest.approx(row["score"])
