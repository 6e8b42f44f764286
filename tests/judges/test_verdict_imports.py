"""import_ratings --judge: a judge's verdicts stored as judgements, never as ratings."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from annotations.models import Assignment, Comparison, Evaluation, Rating
from annotations.services.imports import ratings_import
from evalsite.imports.reader import ImportFileError
from generations.services.imports import generations_import, prompts_import
from judges.models import Judge, Judgement
from judges.services.verdict_imports import verdicts_import


def jsonl(*rows) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


def verdict(prompt="p1", a="cand", b="base", choice=2, **extra) -> dict:
    return {"prompt_id": prompt, "model_a": a, "model_b": b, "choice": choice, **extra}


@pytest.fixture
def evaluation(db) -> Evaluation:
    """Head-to-head "ev" (cand vs base) on prompts p1 to p3 with human ratings: two
    of p1, one of p2, none of p3; "third" answered every prompt too."""
    prompts = (
        {"id": f"p{i}", "prompt": f"Question {i}?", "category": "dialogue"}
        for i in (1, 2, 3)
    )
    prompts_import(prompt_set_name="set", file_name="p.jsonl", data=jsonl(*prompts))
    responses = (
        {"prompt_id": f"p{i}", "model": model, "text": f"{model} says {i}"}
        for i in (1, 2, 3)
        for model in ("cand", "base", "third")
    )
    generations_import(
        prompt_set_name="set", file_name="g.jsonl", data=jsonl(*responses)
    )
    ratings = [
        {**verdict(choice=1), "annotator": "ann-1"},
        {**verdict(a="base", b="cand", choice=-2), "annotator": "ann-2"},
        {**verdict(prompt="p2", choice=0), "annotator": "ann-1"},
        {**verdict(prompt="p3", choice=1), "annotator": "ann-1"},
    ]
    ratings_import(
        prompt_set_name="set",
        evaluation_name="ev",
        scale="seven",
        file_name="r.jsonl",
        data=jsonl(*ratings),
    )
    Rating.objects.filter(comparison__prompt__external_id="p3").delete()
    return Evaluation.objects.get(name="ev")


def import_verdicts(data: bytes, *, judge="J", name="v.jsonl", scale="seven"):
    return verdicts_import(
        judge_name=judge,
        prompt_set_name="set",
        evaluation_name="ev",
        scale=scale,
        file_name=name,
        data=data,
    )


def human_state():
    """What a judge's verdicts must leave as it was."""
    return (
        sorted(Rating.objects.values_list("pk", "comparison_id", "choice", "score")),
        sorted(Assignment.objects.values_list("pk", "state")),
        sorted(Comparison.objects.values_list("pk", "stage")),
        get_user_model().objects.count(),
    )


def judgements() -> dict[tuple[str, bool], tuple]:
    return {
        (j.comparison.prompt.external_id, j.swapped): (
            j.candidate_on_left,
            j.choice,
            j.score,
        )
        for j in Judgement.objects.select_related("comparison__prompt")
    }


def test_command_stores_verdicts_as_judgements_and_leaves_the_humans_alone(
    evaluation, tmp_path, capsys
):
    before = human_state()
    path = tmp_path / "gpt.jsonl"
    path.write_bytes(
        jsonl(
            verdict(choice=2, annotator="ignored"),  # candidate on the left
            verdict(prompt="p2", a="base", b="cand", choice="A is much better"),
            verdict(a="base", b="cand", choice=-1),  # p1 again, sides swapped
        )
    )
    arguments = ["--prompt-set", "set", "--evaluation", "ev", "--scale", "seven"]
    call_command("import_ratings", str(path), *arguments, "--judge", "GPT (elsewhere)")
    assert "3 created, 0 unchanged" in capsys.readouterr().out
    judge = Judge.objects.get()
    assert (judge.name, judge.chat_model, judge.template) == (
        "GPT (elsewhere)",
        None,
        None,
    )
    assert judgements() == {
        ("p1", False): (True, 2, 2),
        ("p1", True): (False, -1, 1),
        ("p2", False): (False, 3, -3),
    }
    for judgement in Judgement.objects.all():
        assert judgement.source == Judgement.Source.IMPORTED
        assert judgement.status == Judgement.Status.DONE
        assert judgement.scale == "seven"
        assert (judgement.template, judgement.run) == (None, None)
        assert judgement.comparison.evaluation == evaluation
    assert human_state() == before
    assert not get_user_model().objects.filter(username="ignored").exists()

    call_command("import_ratings", str(path), *arguments, "--judge", "GPT (elsewhere)")
    assert "0 created, 3 unchanged" in capsys.readouterr().out
    assert Judgement.objects.count() == 3
    assert human_state() == before


def test_csv_verdicts_need_no_annotator_column(evaluation):
    data = b"prompt_id,model_a,model_b,choice,comment,created_at\n"
    data += b"p3,base,cand,B is better,cand explains more,2023-08-01T12:00:00Z\n"
    result = import_verdicts(data, name="v.csv")
    assert (result.created, result.details["comparisons"]) == (1, 1)
    judgement = Judgement.objects.get()
    assert (judgement.choice, judgement.score, judgement.candidate_on_left) == (
        -2,
        2,
        False,
    )
    assert judgement.reply == "cand explains more"
    assert judgement.finished_at.isoformat() == "2023-08-01T12:00:00+00:00"


def test_a_second_file_may_add_the_swapped_order(evaluation):
    import_verdicts(jsonl(verdict(choice=1)))
    result = import_verdicts(jsonl(verdict(choice=1), verdict(a="base", b="cand")))
    assert (result.created, result.unchanged) == (1, 1)
    assert judgements() == {("p1", False): (True, 1, 1), ("p1", True): (False, 2, -2)}


def test_judges_are_apart_from_each_other(evaluation):
    import_verdicts(jsonl(verdict(choice=1)), judge="one")
    import_verdicts(jsonl(verdict(choice=-3)), judge="two")
    assert dict(Judgement.objects.values_list("judge__name", "choice")) == {
        "one": 1,
        "two": -3,
    }


def test_tournament_verdicts_take_the_side_of_each_pairs_candidate(db):
    prompts_import(
        prompt_set_name="set",
        file_name="p.jsonl",
        data=jsonl({"id": "p1", "prompt": "Q?", "category": "dialogue"}),
    )
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=jsonl(
            *({"prompt_id": "p1", "model": m, "text": m} for m in ("x", "y", "z"))
        ),
    )
    ratings = [
        {**verdict(a="x", b="y", choice="a"), "annotator": "h"},
        {**verdict(a="z", b="y", choice="tie"), "annotator": "h"},
    ]
    ratings_import(
        prompt_set_name="set",
        evaluation_name="ev",
        scale="three",
        file_name="r.jsonl",
        data=jsonl(*ratings),
    )
    # The pairs' candidates are x (x vs y) and z (z vs y): the first model_a.
    import_verdicts(
        jsonl(verdict(a="y", b="x", choice="a"), verdict(a="z", b="y", choice="b")),
        scale="three",
    )
    scores = {
        j.comparison.candidate_generation.chat_model.name: (
            j.candidate_on_left,
            j.score,
        )
        for j in Judgement.objects.select_related(
            "comparison__candidate_generation__chat_model"
        )
    }
    assert scores == {"x": (False, -1), "z": (True, -1)}


SWAP_ERRORS = [
    ("same sides twice", [verdict(), verdict(choice=1)], (2, "model_a")),
    (
        "a third verdict",
        [verdict(), verdict(a="base", b="cand"), verdict(prompt="p2"), verdict()],
        (4, "model_a"),
    ),
]


@pytest.mark.parametrize(
    ("rows", "where"), [c[1:] for c in SWAP_ERRORS], ids=[c[0] for c in SWAP_ERRORS]
)
def test_a_pair_has_one_verdict_per_order(evaluation, rows, where):
    with pytest.raises(ImportFileError) as raised:
        import_verdicts(jsonl(*rows))
    assert [(e.line, e.field) for e in raised.value.errors] == [where]
    assert not Judgement.objects.exists()
    assert not Judge.objects.exists()


def test_another_verdict_on_a_stored_order_is_refused_naming_the_line(evaluation):
    import_verdicts(jsonl(verdict(choice=2)))
    with pytest.raises(ImportFileError) as raised:
        import_verdicts(jsonl(verdict(prompt="p2"), verdict(choice=-2)))
    assert [(e.line, e.field) for e in raised.value.errors] == [(2, "choice")]
    assert "already has another verdict" in raised.value.errors[0].message
    assert list(Judgement.objects.values_list("choice", flat=True)) == [2]


def test_a_verdict_already_stored_may_not_be_repeated_in_the_file(evaluation):
    import_verdicts(jsonl(verdict(choice=2)))
    with pytest.raises(ImportFileError) as raised:
        import_verdicts(jsonl(verdict(choice=2), verdict(choice=2)))
    assert [(e.line, e.field) for e in raised.value.errors] == [(2, "model_a")]


BAD = [
    ("choice off the scale", [verdict(), verdict(choice=4)], (2, "choice")),
    ("unknown prompt", [verdict(prompt="p9")], (1, "prompt_id")),
    ("unknown model", [verdict(b="nobody")], (1, "model_b")),
    ("pair not in the evaluation", [verdict(b="third")], (1, "model_a")),
    ("same model twice", [verdict(b="cand")], (1, "model_b")),
    ("safety labels", [verdict(safety_a="safe", safety_b="safe")], (1, "safety_a")),
    (
        "missing choice",
        [{"prompt_id": "p1", "model_a": "cand", "model_b": "base"}],
        (1, "choice"),
    ),
    ("bad date", [verdict(created_at="yesterday")], (1, "created_at")),
]


@pytest.mark.parametrize(
    ("rows", "where"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_verdicts_name_line_and_field_and_store_nothing(evaluation, rows, where):
    before = human_state()
    with pytest.raises(ImportFileError) as raised:
        import_verdicts(jsonl(*rows))
    first = raised.value.errors[0]
    assert (first.line, first.field) == where
    assert not Judgement.objects.exists()
    assert not Judge.objects.exists()
    assert human_state() == before


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ({"evaluation_name": "missing"}, "evaluation"),
        ({"scale": "three"}, "evaluation"),
        ({"prompt_set_name": "nope"}, "prompt_set"),
        ({"judge_name": " "}, "judge"),
        ({"judge_name": "x" * 201}, "judge"),
    ],
)
def test_the_target_must_exist(evaluation, target, field):
    arguments = {
        "judge_name": "J",
        "prompt_set_name": "set",
        "evaluation_name": "ev",
        "scale": "seven",
        "file_name": "v.jsonl",
        "data": jsonl(verdict(choice=1)),  # on the seven- and three-point scales
    }
    with pytest.raises(ImportFileError) as raised:
        verdicts_import(**(arguments | target))
    assert [e.field for e in raised.value.errors] == [field]
    assert not Judge.objects.exists()


def test_command_names_the_line_and_field_of_a_bad_verdict(
    evaluation, tmp_path, capsys
):
    path = tmp_path / "v.jsonl"
    path.write_bytes(jsonl(verdict(), verdict(choice=1)))
    with pytest.raises(CommandError, match="nothing imported"):
        call_command(
            "import_ratings",
            str(path),
            *("--prompt-set", "set", "--evaluation", "ev", "--scale", "seven"),
            *("--judge", "J"),
        )
    assert "line 2, field 'model_a'" in capsys.readouterr().err
    assert not Judgement.objects.exists()


def test_a_stored_order_the_judge_has_not_answered_is_not_replaced(evaluation):
    judge = Judge.objects.create(name="J")
    pair = Comparison.objects.get(prompt__external_id="p1")
    Judgement.objects.create(
        judge=judge, comparison=pair, candidate_on_left=True, scale="seven"
    )
    with pytest.raises(ImportFileError, match=r"another verdict .*\(pending\)"):
        import_verdicts(jsonl(verdict()))
    # The other order is free: it becomes the swapped one.
    import_verdicts(jsonl(verdict(a="base", b="cand", choice=3)))
    assert judgements()[("p1", True)] == (False, 3, -3)


def test_command_refuses_a_candidate_for_verdicts(evaluation, tmp_path):
    path = tmp_path / "v.jsonl"
    path.write_bytes(jsonl(verdict()))
    with pytest.raises(CommandError, match="--candidate"):
        call_command(
            "import_ratings",
            str(path),
            *("--prompt-set", "set", "--evaluation", "ev", "--scale", "seven"),
            *("--judge", "J", "--candidate", "cand"),
        )
    assert not Judgement.objects.exists()
