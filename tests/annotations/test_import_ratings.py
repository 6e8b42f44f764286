"""Ratings import: evaluation and comparisons made as needed; bad input refused."""

import json
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotations.models import Comparison, Evaluation, Rating
from annotations.services.imports import ratings_import
from evalsite.imports.reader import ImportFileError
from generations.services.imports import generations_import, prompts_import


def jsonl(*rows) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


@pytest.fixture
def prompt_set(db):
    prompts_import(
        prompt_set_name="set",
        file_name="p.jsonl",
        data=jsonl(
            *(
                {"id": f"p{i}", "prompt": f"Question {i}?", "category": "dialogue"}
                for i in (1, 2)
            )
        ),
    )
    generations_import(
        prompt_set_name="set",
        file_name="g.jsonl",
        data=jsonl(
            *(
                {"prompt_id": f"p{i}", "model": model, "text": f"{model} says {i}"}
                for i in (1, 2)
                for model in ("cand", "base", "third")
            )
        ),
    )
    return "set"


def rating(prompt="p1", a="cand", b="base", annotator="ann-1", choice=2, **extra):
    return {
        "prompt_id": prompt,
        "model_a": a,
        "model_b": b,
        "annotator": annotator,
        "choice": choice,
        **extra,
    }


def import_ratings(data, scale="seven", name="r.jsonl", evaluation="ev"):
    return ratings_import(
        prompt_set_name="set",
        evaluation_name=evaluation,
        scale=scale,
        file_name=name,
        data=data,
    )


def test_head_to_head_import_stores_as_shown_and_candidate_view(prompt_set):
    rows = [
        rating(choice=2),  # candidate on the left: +2
        rating(a="base", b="cand", annotator="ann-2", choice="A is much better"),  # -3
        rating(
            prompt="p2",
            annotator="ann-1",
            choice=0,
            seconds=12.5,
            created_at="2023-07-01T10:00:00Z",
            comment="close",
        ),
    ]
    result = import_ratings(jsonl(*rows))
    assert result.created == 3
    evaluation = Evaluation.objects.get(name="ev")
    assert evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD
    assert (evaluation.candidate.name, evaluation.baseline.name) == ("cand", "base")
    assert evaluation.source == Evaluation.Source.IMPORTED
    assert Comparison.objects.filter(evaluation=evaluation).count() == 2
    by_annotator = {
        (r.annotator.username, r.comparison.prompt.external_id): r
        for r in Rating.objects.select_related("annotator", "comparison__prompt")
    }
    first = by_annotator[("ann-1", "p1")]
    assert (first.choice, first.candidate_on_left, first.score) == (2, True, 2)
    flipped = by_annotator[("ann-2", "p1")]
    assert (flipped.choice, flipped.candidate_on_left, flipped.score) == (3, False, -3)
    third = by_annotator[("ann-1", "p2")]
    assert (third.seconds, third.comment, third.created_at.year) == (
        12.5,
        "close",
        2023,
    )
    assert (
        get_user_model().objects.get(username="ann-2").groups.filter(name="annotator")
    )


def test_ratings_import_twice_duplicates_nothing(prompt_set):
    data = jsonl(rating(), rating(annotator="ann-2", choice=-1))
    import_ratings(data)
    again = import_ratings(data)
    assert (again.created, again.unchanged) == (0, 2)
    assert Rating.objects.count() == 2
    assert Comparison.objects.count() == 1
    assert Evaluation.objects.count() == 1


def test_three_models_make_a_tournament_on_the_three_point_scale(prompt_set):
    rows = [
        rating(choice="a"),
        rating(a="base", b="third", choice="tie"),
        rating(a="third", b="cand", choice="b", annotator="ann-3"),
        rating(a="cand", b="third", choice="a", annotator="ann-4"),
    ]
    import_ratings(jsonl(*rows), scale="three")
    evaluation = Evaluation.objects.get()
    assert evaluation.kind == Evaluation.Kind.TOURNAMENT
    assert evaluation.chat_models.count() == 3
    assert Comparison.objects.count() == 3  # the third-vs-cand pair shared by two lines
    shared = Rating.objects.filter(annotator__username__in=["ann-3", "ann-4"])
    # Both ratings prefer "cand": the pair's candidate is "third" (first seen as A).
    assert sorted(shared.values_list("score", flat=True)) == [-1, -1]


def test_ratings_import_reads_csv(prompt_set):
    data = b"prompt_id,model_a,model_b,annotator,choice\np1,cand,base,x,-3\np2,base,cand,x,B is better\n"
    import_ratings(data, name="r.csv")
    assert sorted(Rating.objects.values_list("score", flat=True)) == [-3, 2]


BAD = [
    ("choice off the scale", [rating(choice=4)], "seven", (1, "choice")),
    (
        "label off the scale",
        [rating(choice="A is a bit better")],
        "seven",
        (1, "choice"),
    ),
    ("three-point off", [rating(choice=2)], "three", (1, "choice")),
    ("unknown prompt", [rating(), rating(prompt="p9")], "seven", (2, "prompt_id")),
    ("unknown model", [rating(b="nobody")], "seven", (1, "model_b")),
    (
        "missing field",
        [{k: v for k, v in rating().items() if k != "annotator"}],
        "seven",
        (1, "annotator"),
    ),
    (
        "duplicate rating",
        [rating(), rating(a="base", b="cand")],
        "seven",
        (2, "annotator"),
    ),
    ("same model twice", [rating(b="cand")], "seven", (1, "model_b")),
    ("bad date", [rating(created_at="yesterday")], "seven", (1, "created_at")),
    ("negative seconds", [rating(seconds=-1)], "seven", (1, "seconds")),
]


@pytest.mark.parametrize(
    ("rows", "scale", "where"), [c[1:] for c in BAD], ids=[c[0] for c in BAD]
)
def test_bad_ratings_file_names_line_and_field_and_stores_nothing(
    prompt_set, rows, scale, where
):
    with pytest.raises(ImportFileError) as exc_info:
        import_ratings(jsonl(*rows), scale=scale)
    first = exc_info.value.errors[0]
    assert (first.line, first.field) == where
    assert Rating.objects.count() == 0
    assert Evaluation.objects.count() == 0
    assert Comparison.objects.count() == 0
    assert not get_user_model().objects.filter(username__startswith="ann-").exists()


def test_a_file_for_an_evaluation_on_another_scale_is_told_so_first(prompt_set):
    """Its seven-point choices read as three-point gave an error on every line and
    hid the real mistake (a new-user pass)."""
    import_ratings(jsonl(rating(choice=2)))  # "ev", seven-point
    seven_point = jsonl(rating(choice=3, annotator="ann-2"), rating(choice=-2))
    with pytest.raises(ImportFileError) as exc_info:
        import_ratings(seven_point, scale="three")
    [error] = exc_info.value.errors
    assert (error.line, error.field) == (None, "evaluation")
    assert "exists on another prompt set or scale" in error.message
    assert Rating.objects.count() == 1


def test_rating_whose_generation_is_missing_is_an_error(prompt_set):
    from generations.models import Generation

    Generation.objects.filter(prompt__external_id="p2", chat_model__name="base").update(
        status="failed", text=""
    )
    with pytest.raises(ImportFileError, match="no response by 'base' to prompt 'p2'"):
        import_ratings(jsonl(rating(), rating(prompt="p2")))
    assert Rating.objects.count() == 0


def test_import_ratings_command(prompt_set, tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    path.write_bytes(jsonl(rating(), rating(annotator="b", choice=-2)))
    call_command(
        "import_ratings",
        str(path),
        "--prompt-set",
        "set",
        "--evaluation",
        "cmd",
        "--scale",
        "seven",
    )
    assert "2 created" in capsys.readouterr().out
    assert Rating.objects.filter(comparison__evaluation__name="cmd").count() == 2


def test_imported_ratings_mark_pairs_started_or_complete(prompt_set):
    rows = [rating(annotator=f"ann-{i}") for i in range(3)] + [rating(prompt="p2")]
    import_ratings(jsonl(*rows))
    stages = dict(Comparison.objects.values_list("prompt__external_id", "stage"))
    assert stages == {"p1": Comparison.Stage.COMPLETE, "p2": Comparison.Stage.STARTED}


def test_admin_uploads_ratings_and_sees_line_errors(prompt_set, client, admin_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(admin_user)
    url = "/admin/annotations/evaluation/upload-ratings/"
    form = {"prompt_set": "set", "evaluation": "adm", "scale": "seven"}
    bad = client.post(
        url, {**form, "file": SimpleUploadedFile("r.jsonl", jsonl(rating(choice=9)))}
    )
    assert "line 1, field &#x27;choice&#x27;" in bad.content.decode()
    assert not Evaluation.objects.exists()
    good = client.post(
        url, {**form, "file": SimpleUploadedFile("r.jsonl", jsonl(rating()))}
    )
    assert good.status_code == 302
    assert Rating.objects.filter(comparison__evaluation__name="adm").count() == 1


@pytest.mark.parametrize("path", ["staged", "portable"])
def test_an_imported_evaluations_n_is_the_most_ratings_a_pair_has(
    prompt_set, monkeypatch, path
):
    """Crowd data comes 1 to 5 votes a pair: an evaluation made by an import takes
    no pair limit, so its N follows the data and no pair ever holds more than N
    (it said "3 annotators per pair" over pairs of 4, "7 / 6 ratings needed")."""
    from annotations.services import imports

    monkeypatch.setattr(
        imports, "STAGED_VENDORS", ("postgresql",) if path == "staged" else ()
    )
    rows = [rating(annotator=f"ann-{i}") for i in range(4)]
    rows += [rating(prompt="p2", annotator=f"ann-{i}") for i in range(2)]
    import_ratings(jsonl(*rows))
    evaluation = Evaluation.objects.get(name="ev")
    assert evaluation.annotators_per_pair == 4
    stages = dict(Comparison.objects.values_list("prompt__external_id", "stage"))
    assert stages == {"p1": Comparison.Stage.COMPLETE, "p2": Comparison.Stage.STARTED}

    # A later file with a fifth vote raises N; one with fewer leaves it.
    import_ratings(jsonl(rating(annotator="ann-9")), name="more.jsonl")
    evaluation.refresh_from_db()
    assert evaluation.annotators_per_pair == 5
    import_ratings(jsonl(rating(prompt="p2", annotator="ann-9")), name="p2.jsonl")
    evaluation.refresh_from_db()
    assert evaluation.annotators_per_pair == 5
    per_pair = Counter(Rating.objects.values_list("comparison_id", flat=True))
    assert max(per_pair.values()) <= evaluation.annotators_per_pair
    assert dict(Comparison.objects.values_list("prompt__external_id", "stage")) == {
        "p1": Comparison.Stage.COMPLETE,
        "p2": Comparison.Stage.STARTED,
    }


def test_an_imported_evaluation_made_with_fewer_ratings_asks_for_that_many(
    prompt_set,
):
    """Two votes a pair make N = 2: the pairs are complete, as the data is."""
    import_ratings(
        jsonl(
            *(
                rating(prompt=p, annotator=f"ann-{i}")
                for p in ("p1", "p2")
                for i in (1, 2)
            )
        )
    )
    assert Evaluation.objects.get(name="ev").annotators_per_pair == 2
    assert set(Comparison.objects.values_list("stage", flat=True)) == {
        Comparison.Stage.COMPLETE
    }


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("r.jsonl", jsonl(rating(), rating(annotator="ann-2", secs=12))),
        (
            "r.csv",
            b"prompt_id,model_a,model_b,annotator,choice,secs\n"
            b"p1,cand,base,ann-1,2,\np1,cand,base,ann-2,1,12\n",
        ),
    ],
)
def test_a_misspelt_field_is_named_not_dropped(prompt_set, name, data):
    """ "secs" for "seconds" was stored as no time at all, without a word."""
    with pytest.raises(ImportFileError) as caught:
        import_ratings(data, name=name)
    error = caught.value.errors[0]
    assert error.field == "secs"
    if name.endswith(".csv"):  # named once, on the header's line
        assert (error.line, len(caught.value.errors)) == (1, 1)
        assert error.message.startswith("unknown column; the columns are prompt_id, ")
    else:
        assert error.line == 2
        assert error.message.startswith("unknown field; the fields are prompt_id, ")
    assert not Rating.objects.exists()


def test_a_report_of_an_imported_evaluation_says_where_its_n_comes_from(prompt_set):
    """Its few-ratings warning said "the evaluation asks for N per pair" of crowd
    votes nobody asked for."""
    from reports.evaluation_reports import evaluation_report
    from reports.report_options import ReportOptions

    rows = [rating(annotator=f"ann-{i}") for i in range(4)]
    rows += [rating(prompt="p2", annotator=f"ann-{i}") for i in range(2)]
    import_ratings(jsonl(*rows))
    evaluation = Evaluation.objects.get(name="ev")
    report = evaluation_report(evaluation, ReportOptions(resamples=10), use_cache=False)
    [warning] = [w for w in report.warnings if w.code == "few_ratings"]
    assert "fewer than 4 ratings (the most a pair of this imported evaluation has" in (
        warning.message
    )


def test_the_upload_page_offers_only_the_scales_a_ratings_file_holds(
    client, admin_user
):
    """A new-admin pass: its Scale list offered the Likert scale, which every
    upload refuses (single-response ratings are rated on the site)."""
    client.force_login(admin_user)
    html = client.get("/admin/annotations/evaluation/upload-ratings/").content
    select = html.decode().split('name="scale"')[1].split("</select>")[0]
    assert '<option value="likert"' not in select
    for scale in ("seven", "three", "preference"):
        assert f'<option value="{scale}"' in select
