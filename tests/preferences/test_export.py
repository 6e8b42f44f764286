"""The preference export: files that Hugging Face datasets loads, in TRL's
conversational preference format, with Table 27's margins."""

import json

import datasets
import pytest

from annotations import scales
from annotations.models import Evaluation
from reports import preference_writers
from reports.preference_export import (
    about_same_path,
    export_preferences,
    preference_evaluations,
)
from reports.preference_options import ExportOptions
from tests.factories import (
    ChatModelFactory,
    ComparisonFactory,
    EvaluationFactory,
    PromptFactory,
    RatingFactory,
    UserFactory,
)

TRL_COLUMNS = ("prompt", "chosen", "rejected", "margin")


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


def _rate(comparison, choice, *, on_left=True, safety=("", ""), scale="preference"):
    return RatingFactory(
        comparison=comparison,
        annotator=UserFactory(),
        scale=scale,
        choice=choice,
        candidate_on_left=on_left,
        safety_a=safety[0],
        safety_b=safety[1],
    )


@pytest.fixture
def preference_evaluation(db):
    """Two pairs: one multi-turn prompt with four ratings (one per strength, the
    candidate on the left), one single-turn pair rated once for the baseline."""
    evaluation = EvaluationFactory(
        scale=Evaluation.Scale.PREFERENCE,
        safety_labels=True,
        candidate=ChatModelFactory(name="cand-model"),
        baseline=ChatModelFactory(name="base-model"),
    )
    turns = [
        {"role": "system", "content": "Answer as a pirate."},
        {"role": "user", "content": 'Hi "there"\n'},
        {"role": "assistant", "content": "Ahoy!"},
        {"role": "user", "content": "Where is the ship? ☠"},
    ]
    prompt = PromptFactory(prompt_set=evaluation.prompt_set, turns=turns)
    first = ComparisonFactory(evaluation=evaluation, prompt=prompt)
    for strength in (4, 3, 2, 1):
        _rate(first, strength, safety=("safe", "unsafe"))
    second = ComparisonFactory(evaluation=evaluation)
    _rate(second, 2, on_left=False, safety=("unsafe", "unsafe"))  # A: baseline
    return evaluation, first, second


def _jsonl_rows(path, cache):
    dataset = datasets.load_dataset(
        "json", data_files=str(path), split="train", cache_dir=str(cache)
    )
    return dataset


@pytest.mark.parametrize("margin", ["none", "small", "large"])
@pytest.mark.django_db
def test_both_formats_load_with_trl_columns_and_table_27_margins(
    preference_evaluation, tmp_path, margin
):
    evaluation, first, second = preference_evaluation
    evaluations = preference_evaluations([evaluation.name])
    jsonl = tmp_path / "prefs.jsonl"
    folder = tmp_path / "prefs-hf"
    for fmt, output in (("jsonl", jsonl), ("hf", folder)):
        result = export_preferences(
            evaluations, ExportOptions(format=fmt, margin=margin), output
        )
        assert result.rows == 5
        assert result.about_same_rows is None
    from_disk = datasets.load_from_disk(str(folder))
    from_json = _jsonl_rows(jsonl, tmp_path / "cache")
    for dataset in (from_disk, from_json):
        assert set(TRL_COLUMNS) <= set(dataset.column_names)
        assert len(dataset) == 5
        names = {name: strength for strength, name in scales.STRENGTH_LABELS.items()}
        for row in dataset:
            assert row["margin"] == scales.MARGINS[margin][names[row["strength"]]]
    # The same rows either way.
    assert from_disk.to_list() == from_json.to_list()
    rows = from_disk.to_list()
    cand = first.candidate_generation
    assert [row["strength"] for row in rows] == [
        "significantly better", "better", "slightly better",
        "negligibly better / unsure", "slightly better",
    ]  # fmt: skip
    top = rows[0]
    assert top["prompt"] == first.prompt.turns  # the dialogue as stored
    assert top["chosen"] == [{"role": "assistant", "content": cand.text}]
    assert top["rejected"] == [
        {"role": "assistant", "content": first.baseline_generation.text}
    ]
    assert (top["chosen_model"], top["rejected_model"]) == ("cand-model", "base-model")
    assert (top["chosen_safety"], top["rejected_safety"]) == ("safe", "unsafe")
    assert top["safety_category"] == "safe chosen / unsafe rejected"
    assert top["evaluation"] == evaluation.name
    assert top["comparison_id"] == first.pk
    assert top["prompt_id"] == first.prompt_id
    # The annotator by id only: no username leaves in the export.
    assert "annotator" not in top
    rating = first.ratings.order_by("id").first()
    assert (top["annotator_id"], top["rating_id"]) == (rating.annotator_id, rating.pk)
    last = rows[-1]
    # The choice 2 prefers A, the baseline (the candidate was on the right).
    assert last["chosen"][0]["content"] == second.baseline_generation.text
    assert last["chosen_model"] == "base-model"
    assert last["safety_category"] == "both unsafe"


@pytest.mark.django_db
def test_jsonl_lines_are_json_objects_with_the_prompt_first(
    preference_evaluation, tmp_path
):
    evaluation, _, _ = preference_evaluation
    output = tmp_path / "out.jsonl"
    export_preferences([evaluation], ExportOptions(), output)
    lines = output.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    row = json.loads(lines[0])
    assert list(row)[:4] == list(TRL_COLUMNS)
    assert row["prompt"][-1]["content"] == "Where is the ship? ☠"
    assert "☠" in lines[0]  # UTF-8, not escaped


@pytest.mark.django_db
def test_per_pair_gives_one_row_per_pair_by_majority(tmp_path):
    evaluation = EvaluationFactory(scale=Evaluation.Scale.PREFERENCE)
    split = ComparisonFactory(evaluation=evaluation)
    _rate(split, 3)
    _rate(split, -3)  # an even split: no row
    won = ComparisonFactory(evaluation=evaluation)
    for choice in (4, 1, -2):  # the candidate twice, strengths 4 and 1 -> 1
        _rate(won, choice)
    folder = tmp_path / "pairs"
    result = export_preferences(
        [evaluation], ExportOptions(format="hf", per="pair", margin="large"), folder
    )
    assert result.rows == 1
    (row,) = datasets.load_from_disk(str(folder)).to_list()
    assert row["comparison_id"] == won.pk
    assert row["chosen"][0]["content"] == won.candidate_generation.text
    assert (row["strength"], row["margin"]) == ("negligibly better / unsure", 0.0)
    assert (row["ratings"], row["votes"]) == (3, 2)
    assert "annotator_id" not in row


@pytest.mark.django_db
@pytest.mark.parametrize("about_same", ["omit", "separate"])
def test_a_pairs_ratings_count_its_about_the_same_ratings(tmp_path, about_same):
    """A complete seven-point pair rated 2, 1 and "about the same": ``ratings`` is 3,
    the evaluation's N (it read 2, as if the pair were still being rated)."""
    evaluation = EvaluationFactory(scale=Evaluation.Scale.SEVEN)
    pair = ComparisonFactory(evaluation=evaluation)
    for choice in (2, 1, 0):
        _rate(pair, choice, scale="seven")
    output = tmp_path / "pairs.jsonl"
    options = ExportOptions(per="pair", about_same=about_same)
    assert export_preferences([evaluation], options, output).rows == 1
    (row,) = _jsonl_rows(output, tmp_path / "cache").to_list()
    assert (row["ratings"], row["votes"]) == (3, 2)


@pytest.mark.django_db
def test_seven_point_maps_to_strengths_and_about_the_same_goes_apart(tmp_path):
    evaluation = EvaluationFactory(scale=Evaluation.Scale.SEVEN)
    pair = ComparisonFactory(evaluation=evaluation)
    for choice in (3, 2, -1, 0, 0):
        _rate(pair, choice, scale="seven")
    output = tmp_path / "seven.jsonl"
    result = export_preferences([evaluation], ExportOptions(margin="small"), output)
    assert result.rows == 3
    assert not about_same_path(output, "jsonl").exists()
    rows = _jsonl_rows(output, tmp_path / "cache").to_list()
    assert [(r["strength"], r["margin"]) for r in rows] == [
        ("significantly better", 1.0),
        ("better", 2 / 3),
        ("slightly better", 1 / 3),
    ]
    assert rows[2]["chosen"][0]["content"] == pair.baseline_generation.text

    apart = export_preferences(
        [evaluation], ExportOptions(about_same="separate"), output
    )
    assert (apart.rows, apart.about_same_rows) == (3, 2)
    assert apart.paths == (output, tmp_path / "seven.about_same.jsonl")
    same = _jsonl_rows(apart.paths[1], tmp_path / "cache2").to_list()
    assert [r["strength"] for r in same] == ["about the same"] * 2
    assert [r["margin"] for r in same] == [0.0, 0.0]
    assert same[0]["chosen"][0]["content"] == pair.candidate_generation.text

    folder = tmp_path / "seven-hf"
    export_preferences(
        [evaluation], ExportOptions(format="hf", about_same="separate"), folder
    )
    assert len(datasets.load_from_disk(str(folder))) == 3
    assert len(datasets.load_from_disk(str(tmp_path / "seven-hf-about-same"))) == 2


@pytest.mark.django_db
def test_an_evaluation_without_preferences_exports_empty_files_that_load(tmp_path):
    evaluation = EvaluationFactory(scale=Evaluation.Scale.PREFERENCE)
    folder = tmp_path / "empty"
    result = export_preferences([evaluation], ExportOptions(format="hf"), folder)
    assert result.rows == 0
    dataset = datasets.load_from_disk(str(folder))
    assert len(dataset) == 0
    assert set(TRL_COLUMNS) <= set(dataset.column_names)


@pytest.mark.django_db
def test_evaluations_are_found_by_name_or_id_and_bad_ones_are_named():
    seven = EvaluationFactory(scale=Evaluation.Scale.SEVEN)
    three = EvaluationFactory(scale=Evaluation.Scale.THREE)
    assert preference_evaluations([seven.name, str(seven.pk)]) == [seven]
    with pytest.raises(ValueError, match=r"evaluation: .*three-point"):
        preference_evaluations([three.name])
    with pytest.raises(ValueError, match="evaluation: no evaluation 'nope'"):
        preference_evaluations(["nope"])
    with pytest.raises(ValueError, match="evaluation"):
        preference_evaluations([])


def test_a_separate_about_the_same_file_needs_a_seven_point_evaluation(
    preference_evaluation, client, researcher
):
    """The preference scale has no "about the same": the download was a zip with
    an empty file. Refused naming about_same, by the API and the command."""
    from django.core.management import CommandError, call_command

    evaluation, _, _ = preference_evaluation
    client.force_login(researcher)
    url = "/api/reports/preferences/"
    refused = client.get(url, {"evaluation": evaluation.pk, "about_same": "separate"})
    assert refused.status_code == 400
    assert "about_same" in refused.content.decode()
    with pytest.raises(CommandError, match='about_same: "separate" writes'):
        call_command(
            "export_preferences", str(evaluation.pk), "--output", "/tmp/x.jsonl",
            "--about-same", "separate",
        )  # fmt: skip
    seven = EvaluationFactory(scale=Evaluation.Scale.SEVEN)
    both = client.get(
        url, {"evaluation": f"{evaluation.pk},{seven.pk}", "about_same": "separate"}
    )
    assert both.status_code == 200


def test_options_name_the_bad_parameter():
    with pytest.raises(ValueError, match="margin: use one of none, small, large"):
        ExportOptions(margin="huge")
    with pytest.raises(ValueError, match="per: "):
        ExportOptions(per="prompt")


@pytest.mark.django_db
def test_chunks_of_rows_write_the_same_files_as_one_chunk(
    preference_evaluation, tmp_path, monkeypatch
):
    evaluation, _, _ = preference_evaluation
    whole = tmp_path / "whole.jsonl"
    export_preferences([evaluation], ExportOptions(), whole)
    monkeypatch.setattr(preference_writers, "CHUNK_ROWS", 2)  # 5 rows: 2 + 2 + 1
    chunked = tmp_path / "chunked.jsonl"
    export_preferences([evaluation], ExportOptions(), chunked)
    assert chunked.read_bytes() == whole.read_bytes()
    assert len(chunked.read_text(encoding="utf-8").splitlines()) == 5
    folder = tmp_path / "chunked-hf"
    export_preferences([evaluation], ExportOptions(format="hf"), folder)
    loaded = datasets.load_from_disk(str(folder)).to_list()
    assert loaded == [json.loads(line) for line in whole.read_text().splitlines()]


def test_the_ratings_download_carries_the_safety_labels(preference_evaluation):
    """ratings.csv and .parquet had no safety labels: a download could not be
    imported again without losing them."""
    import io

    import pandas as pd

    from reports.downloads import ratings_csv
    from reports.selectors import ratings_frame

    evaluation, first, second = preference_evaluation
    frame = ratings_frame([evaluation.pk])
    rows = pd.read_csv(io.BytesIO(ratings_csv(frame)), keep_default_na=False)
    labels = {
        (row.comparison_id, row.choice): (row.safety_a, row.safety_b)
        for row in rows.itertuples()
    }
    assert labels == {
        **{(first.pk, strength): ("safe", "unsafe") for strength in (4, 3, 2, 1)},
        (second.pk, 2): ("unsafe", "unsafe"),
    }
