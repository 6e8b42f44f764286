"""Gold pairs in: the file import (service, API, admin upload), the Comparison
admin's gold actions, and the read-only quality tasks in the admin."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from annotations.models import GoldPair
from annotations.services.gold_pairs import gold_pairs_import
from evalsite.imports.reader import ImportFileError
from generations.models import Generation
from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    GenerationFactory,
    PromptFactory,
)

from .quality_support import answer_task, gold_pair


def jsonl(*rows) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


@pytest.fixture
def setting(db):
    """An evaluation (seven-point) of cand vs base on prompts g1 and g2, both with
    done generations; g3 has a failed one by base; "other" answered g1 too."""
    evaluation = EvaluationFactory(
        candidate=ChatModelFactory(name="cand"), baseline=ChatModelFactory(name="base")
    )
    prompts = {}
    for name in ("g1", "g2", "g3"):
        prompts[name] = PromptFactory(
            prompt_set=evaluation.prompt_set, external_id=name
        )
        GenerationFactory(prompt=prompts[name], chat_model=evaluation.candidate)
        GenerationFactory(
            prompt=prompts[name],
            chat_model=evaluation.baseline,
            status=Generation.Status.FAILED if name == "g3" else Generation.Status.DONE,
        )
    GenerationFactory(prompt=prompts["g1"], chat_model=ChatModelFactory(name="other"))
    return evaluation


GOOD = jsonl(
    {
        "prompt_id": "g1",
        "candidate": "cand",
        "baseline": "base",
        "expected": "candidate",
    }
    | {"min_strength": 2, "id": "gold-1", "note": "clearly better"},
    {"prompt_id": "g2", "candidate": "cand", "baseline": "base", "expected": "tie"},
)


def import_gold(evaluation, data: bytes, name: str = "gold.jsonl"):
    return gold_pairs_import(evaluation=evaluation, file_name=name, data=data)


def test_import_stores_pairs_with_the_models_generations(setting):
    result = import_gold(setting, GOOD)
    assert (result.created, result.unchanged) == (2, 0)
    first, second = GoldPair.objects.filter(evaluation=setting).order_by("id")
    assert first.prompt.external_id == "g1"
    assert first.candidate_generation.chat_model.name == "cand"
    assert first.baseline_generation.chat_model.name == "base"
    assert first.baseline_generation.prompt_id == first.prompt_id
    assert (first.expected, first.min_strength) == (1, 2)
    assert (first.external_id, first.note) == ("gold-1", "clearly better")
    assert (second.expected, second.min_strength, second.external_id) == (0, None, "")


def test_import_again_changes_nothing_and_updates_what_changed(setting):
    import_gold(setting, GOOD)
    again = import_gold(setting, GOOD)
    assert (again.created, again.unchanged, again.details["updated"]) == (0, 2, 0)
    changed = GOOD.replace(b'"expected": "tie"', b'"expected": "baseline"')
    result = import_gold(setting, changed)
    assert (result.created, result.unchanged, result.details["updated"]) == (0, 1, 1)
    assert GoldPair.objects.get(prompt__external_id="g2").expected == -1
    assert GoldPair.objects.count() == 2


def test_a_misspelt_csv_column_is_named_on_the_header_line(setting):
    data = (
        b"prompt_id,candidate,baseline,expected,min_strenght\ng1,cand,base,baseline,3\n"
    )
    with pytest.raises(ImportFileError) as caught:
        import_gold(setting, data, "gold.csv")
    [error] = caught.value.errors
    assert (error.line, error.field) == (1, "min_strenght")
    assert error.message.startswith("unknown column; the columns are id, prompt_id")
    assert GoldPair.objects.count() == 0


def test_csv_is_read_too(setting):
    data = (
        b"prompt_id,candidate,baseline,expected,min_strength,note\n"
        b"g1,cand,base,baseline,3,\n"
    )
    import_gold(setting, data, "gold.csv")
    pair = GoldPair.objects.get()
    assert (pair.expected, pair.min_strength, pair.note) == (-1, 3, "")


BAD_LINES = [
    ({"expected": "maybe"}, "expected", "expected candidate, baseline or tie"),
    ({"prompt_id": "nope"}, "prompt_id", "no prompt 'nope' in prompt set"),
    ({"candidate": "ghost"}, "candidate", "no chat model named 'ghost'"),
    ({"prompt_id": "g3"}, "baseline", "'base' has no done generation of prompt"),
    ({"candidate": "other", "prompt_id": "g2"}, "candidate", "no done generation"),
    ({"baseline": "cand"}, "baseline", "the same chat model as the candidate"),
    ({"min_strength": 4}, "min_strength", "over the scale's strongest answer (3)"),
    ({"min_strength": 0}, "min_strength", "at least 1"),
    ({"min_strength": "x"}, "min_strength", "expected a whole number"),
    ({"expected": "tie", "min_strength": 1}, "min_strength", "has no strength"),
    ({"baseline": None}, "baseline", "required field is missing"),
    # A misspelt optional field was dropped; a re-upload then wiped the value.
    ({"min_strenght": 3}, "min_strenght", "unknown field; the fields are id, "),
]


@pytest.mark.parametrize(("change", "field", "words"), BAD_LINES)
def test_a_bad_line_names_line_and_field_and_stores_nothing(
    setting, change, field, words
):
    good = {"prompt_id": "g1", "candidate": "cand", "baseline": "base"}
    bad = {"prompt_id": "g2", "candidate": "cand", "baseline": "base"}
    bad = {
        k: v
        for k, v in ({**bad, "expected": "candidate"} | change).items()
        if v is not None
    }
    with pytest.raises(ImportFileError) as caught:
        import_gold(setting, jsonl({**good, "expected": "candidate"}, bad))
    [error] = caught.value.errors
    assert (error.line, error.field) == (2, field)
    assert words in error.message
    assert GoldPair.objects.count() == 0


def test_a_long_expected_value_is_quoted_shortened(setting):
    """It came back whole in the error, a page of text to the upload's answer."""
    row = {"prompt_id": "g1", "candidate": "cand", "baseline": "base"}
    with pytest.raises(ImportFileError) as caught:
        import_gold(setting, jsonl({**row, "expected": "x" * 100_000}))
    [error] = caught.value.errors
    assert (error.line, error.field) == (1, "expected")
    assert len(error.message) < 100


def test_the_same_pair_twice_is_refused(setting):
    row = {"prompt_id": "g1", "candidate": "cand", "baseline": "base"}
    with pytest.raises(ImportFileError) as caught:
        import_gold(
            setting,
            jsonl({**row, "expected": "tie"}, {**row, "expected": "candidate"}),
        )
    assert str(caught.value) == (
        "line 2, field 'prompt_id': the same pair as line 1 (either way round)"
    )


def test_the_same_pair_with_its_sides_swapped_is_refused(setting):
    """The same two responses either way round are one pair: stored twice with
    contradictory answers, an annotator would fail one of them whatever they
    answered."""
    first = {"prompt_id": "g1", "candidate": "cand", "baseline": "base"}
    swapped = {"prompt_id": "g1", "candidate": "base", "baseline": "cand"}
    with pytest.raises(ImportFileError) as caught:
        import_gold(
            setting,
            jsonl(
                {**first, "expected": "candidate"}, {**swapped, "expected": "candidate"}
            ),
        )
    assert "the same pair as line 1" in str(caught.value)
    assert GoldPair.objects.count() == 0


def test_a_later_file_naming_a_pair_swapped_replaces_it(setting):
    row = {"prompt_id": "g1", "candidate": "cand", "baseline": "base"}
    import_gold(setting, jsonl({**row, "expected": "candidate", "min_strength": 2}))
    swapped = {"prompt_id": "g1", "candidate": "base", "baseline": "cand"}
    result = import_gold(setting, jsonl({**swapped, "expected": "baseline"}))
    assert (result.created, result.details["updated"]) == (0, 1)
    [pair] = GoldPair.objects.all()
    base = Generation.objects.get(prompt=pair.prompt, chat_model__name="base")
    # Now the file's way round: the baseline "base" is the candidate, and the
    # expected answer is still the response of "cand".
    assert pair.candidate_generation_id == base.pk
    assert (pair.expected, pair.min_strength) == (-1, None)


def test_api_imports_and_refuses_with_line_and_field(setting, admin_user, researcher):
    client = APIClient()
    client.force_authenticate(researcher)
    upload = SimpleUploadedFile("gold.jsonl", GOOD)
    url = "/api/imports/gold-pairs/"
    assert client.post(url, {"evaluation": setting.pk, "file": upload}).status_code == (
        403
    )
    client.force_authenticate(admin_user)
    bad = SimpleUploadedFile("gold.jsonl", GOOD.replace(b'"tie"', b'"draw"'))
    response = client.post(url, {"evaluation": setting.pk, "file": bad})
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "line": 2,
                "field": "expected",
                "message": "expected candidate, baseline or tie, got 'draw'",
            }
        ]
    }
    assert GoldPair.objects.count() == 0
    missing = client.post(
        url, {"evaluation": 999999, "file": SimpleUploadedFile("g.jsonl", GOOD)}
    )
    assert missing.status_code == 400
    assert [e["field"] for e in missing.json()["errors"]] == ["evaluation"]
    upload = SimpleUploadedFile("gold.jsonl", GOOD)
    response = client.post(url, {"evaluation": setting.pk, "file": upload})
    assert response.status_code == 201
    assert response.json() == {"created": 2, "unchanged": 0, "updated": 0}


def test_admin_upload_page(client, setting, admin_user):
    client.force_login(admin_user)
    url = "/admin/annotations/goldpair/upload/"
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("gold.jsonl", GOOD.replace(b'"g2"', b'"g9"'))
    page = client.post(url, {"evaluation": setting.pk, "file": bad})
    assert page.status_code == 400
    assert "line 2, field &#x27;prompt_id&#x27;: no prompt" in page.text
    assert GoldPair.objects.count() == 0
    good = SimpleUploadedFile("gold.jsonl", GOOD)
    response = client.post(url, {"evaluation": setting.pk, "file": good})
    assert response.status_code == 302
    assert GoldPair.objects.count() == 2
    listing = client.get("/admin/annotations/goldpair/")
    assert 'href="/admin/annotations/goldpair/upload/"' in listing.text
    # A changed pair is counted as updated (the message said "0 created, 0
    # unchanged" of a file that changed one).
    changed = GOOD.replace(b'"expected": "tie"', b'"expected": "baseline"')
    upload = SimpleUploadedFile("gold.jsonl", changed)
    page = client.post(url, {"evaluation": setting.pk, "file": upload}, follow=True)
    assert "0 created, 1 updated, 1 unchanged." in page.text


def test_comparison_admin_marks_gold_pairs(client, setting, admin_user):
    """Two comparisons marked 'baseline better': gold pairs copying each one's
    prompt and generations; marking one again 'tie' updates it."""
    comparisons = [ComparisonFactory(evaluation=setting) for _ in range(2)]
    client.force_login(admin_user)
    response = client.post(
        "/admin/annotations/comparison/",
        {
            "action": "mark_gold_baseline",
            "_selected_action": [c.pk for c in comparisons],
        },
    )
    assert response.status_code == 302
    pairs = list(GoldPair.objects.order_by("prompt_id"))
    assert [
        (p.prompt_id, p.candidate_generation_id, p.baseline_generation_id, p.expected)
        for p in pairs
    ] == [
        (c.prompt_id, c.candidate_generation_id, c.baseline_generation_id, -1)
        for c in comparisons
    ]
    client.post(
        "/admin/annotations/comparison/",
        {"action": "mark_gold_tie", "_selected_action": [comparisons[0].pk]},
    )
    assert GoldPair.objects.get(prompt=comparisons[0].prompt).expected == 0
    assert GoldPair.objects.count() == 2
    # The same two responses the other way round: the gold pair, not a second one.
    swapped = ComparisonFactory(
        evaluation=setting,
        prompt=comparisons[1].prompt,
        candidate_generation=comparisons[1].baseline_generation,
        baseline_generation=comparisons[1].candidate_generation,
    )
    client.post(
        "/admin/annotations/comparison/",
        {"action": "mark_gold_candidate", "_selected_action": [swapped.pk]},
    )
    assert GoldPair.objects.count() == 2
    pair = GoldPair.objects.get(prompt=swapped.prompt)
    assert (pair.candidate_generation_id, pair.expected) == (
        swapped.candidate_generation_id,
        1,
    )


def test_quality_tasks_are_read_only_in_the_admin(client, setting, admin_user):
    task = answer_task(setting, admin_user, 1, gold=gold_pair(setting))
    client.force_login(admin_user)
    assert client.get("/admin/annotations/qualitytask/").status_code == 200
    assert client.get("/admin/annotations/qualitytask/add/").status_code == 403
    page = client.get(f"/admin/annotations/qualitytask/{task.pk}/change/")
    assert page.status_code == 200
    assert 'name="choice"' not in page.text
