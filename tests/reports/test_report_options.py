"""One options type drives the command's arguments, the API's schema and the form."""

import json

import pytest
import yaml

from reports.forms import ReportOptionsForm
from reports.management.commands.report import Command
from reports.report_builder import build_report
from reports.report_options import (
    OPTIONS,
    TOURNAMENT_MAX_RESAMPLES,
    ReportOptions,
    offered_options,
    options_from,
)
from reports.values import EvaluationSummary, Report

from .test_properties import _frame

CLOSED = [option for option in OPTIONS if option.choices]
OPEN = [option for option in OPTIONS if not option.choices and not option.many]
SCHEMA_TYPES = {int: "integer", float: "number", str: "string"}


def test_the_options_are_the_report_options_fields_a_user_may_set():
    assert [option.name for option in OPTIONS] == [
        "aggregation", "threshold", "seed", "resamples", "interval", "weights",
        "exclude", "min_agreement", "min_median_seconds", "annotator_rules",
        "ties",
    ]  # fmt: skip
    assert {option.name for option in CLOSED} == {
        "aggregation", "threshold", "interval", "weights", "annotator_rules", "ties"
    }  # fmt: skip
    assert [option.name for option in OPTIONS if option.many] == ["exclude"]


def test_command_arguments_have_the_options_choices_and_types():
    """Rewritten for the annotator filters: an argument's type is its option's
    ``argument`` (parsed and checked, so a bad value is an argparse error), and
    ``--exclude`` is repeated."""
    parser = Command().create_parser("manage.py", "report")
    actions = {action.dest: action for action in parser._actions}
    for option in OPTIONS:
        action = actions[option.name]
        if not option.many:
            assert action.type == option.argument
        assert list(action.choices or []) == option.values
        assert action.default is None  # the options type supplies the default
    assert "95% interval" in parser.format_help()
    parsed = parser.parse_args(
        ["h2h", "--exclude", "ann-a", "--exclude", "ann-b", "--min-agreement", "0.5",
         "--min-median-seconds", "2.5", "--threshold", "2"]
    )  # fmt: skip
    assert parsed.exclude == ["ann-a", "ann-b"]
    assert (parsed.min_agreement, parsed.min_median_seconds) == (0.5, 2.5)
    assert parsed.threshold == 2


def _schema(client, researcher) -> dict:
    client.force_login(researcher)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_api_parameters_and_openapi_enums_are_the_options(client, researcher):
    schema = _schema(client, researcher)
    # and ``job``: a finished background job's report (reports.background); the
    # report (not a file, which is the file its name says) takes DRF's ``format``.
    for path, others in (
        ("/api/reports/{id}/", ["job", "format"]),
        ("/api/reports/{id}/{filename}", ["job"]),
    ):
        parameters = {
            parameter["name"]: parameter
            for parameter in schema["paths"][path]["get"]["parameters"]
            if parameter["in"] == "query"
        }
        names = [*(option.name for option in OPTIONS), *others]
        assert list(parameters) == sorted(names)
        for option in OPTIONS:
            parameter = parameters[option.name]["schema"]
            assert parameter["type"] == SCHEMA_TYPES[option.type]
            if option.choices:
                assert sorted(parameter["enum"]) == sorted(option.values)
            else:
                assert "enum" not in parameter


def test_form_fields_offer_the_options_choices():
    form = ReportOptionsForm(ReportOptions(aggregation="mean", threshold=2))
    assert list(form.fields) == [option.name for option in OPTIONS]
    for option in CLOSED:
        assert list(form.fields[option.name].choices) == list(option.choices)
    for option in OPEN:
        field = form.fields[option.name]
        assert (field.min_value, field.max_value) == (option.minimum, option.maximum)
    assert form.fields["exclude"].__class__.__name__ == "CharField"
    assert form.fields["min_agreement"].__class__.__name__ == "FloatField"
    html = form.as_div()
    assert '<option value="mean" selected>mean</option>' in html
    assert '<option value="2" selected>2 (better wins)</option>' in html
    assert 'id="id_aggregation"' in html


def test_parsing_defaults_by_kind_and_names_the_bad_option():
    assert options_from({}) == ReportOptions()
    assert options_from({}, kind="tournament").aggregation == "rating"
    parsed = options_from({"aggregation": "mean", "threshold": "2", "seed": "",
                           "resamples": "50", "weights": "linear"})  # fmt: skip
    assert parsed == ReportOptions(
        aggregation="mean", threshold=2, resamples=50, weights="linear"
    )
    filters = options_from({"exclude": " ann-b,ann-a,, ann-b ", "min_agreement": "0.4",
                            "min_median_seconds": "3", "annotator_rules": "mark"})  # fmt: skip
    assert filters.exclude == ("ann-a", "ann-b")  # one spelling of a set of names
    assert (filters.min_agreement, filters.min_median_seconds) == (0.4, 3.0)
    assert filters.annotator_rules == "mark"
    assert options_from({"exclude": ["ann-b", "ann-a"]}) == ReportOptions(
        exclude=["ann-a", "ann-b"]
    )
    assert options_from({"min_agreement": ""}).min_agreement is None
    for params, name in (
        ({"aggregation": "plurality"}, "aggregation"),
        ({"threshold": "3"}, "threshold"),
        ({"seed": "x"}, "seed"),
        ({"seed": "-1"}, "seed"),
        ({"resamples": "100001"}, "resamples"),
        ({"interval": "normal"}, "interval"),
        ({"weights": "cubic"}, "weights"),
        ({"min_agreement": "1.5"}, "min_agreement"),
        ({"min_agreement": "-0.1"}, "min_agreement"),
        ({"min_agreement": "nan"}, "min_agreement"),
        ({"min_agreement": "high"}, "min_agreement"),
        ({"min_median_seconds": "-1"}, "min_median_seconds"),
        ({"min_median_seconds": "inf"}, "min_median_seconds"),
        ({"annotator_rules": "drop"}, "annotator_rules"),
    ):
        with pytest.raises(ValueError, match=f"^{name}: "):
            options_from(params)
    # Every bad option at once (the page's form showed one per submit; a new-user
    # pass), in the options' order.
    with pytest.raises(ValueError, match=r"^resamples: ") as caught:
        options_from({"min_agreement": "7", "resamples": "-5", "threshold": "2"})
    assert [part.split(":")[0] for part in str(caught.value).split("; ")] == [
        "resamples",
        "min_agreement",
    ]


def test_report_json_leaves_out_the_sections_of_the_other_kind():
    summary = EvaluationSummary(
        id=1, name="e", kind="tournament", scale="three", prompt_set="p",
        candidate=None, baseline=None, annotators_per_pair=3, source="native",
        left_out={},
    )  # fmt: skip
    frame = _frame(1, n_prompts=6).assign(score=lambda f: f["score"].clip(-1, 1))
    report = build_report(frame, summary, ReportOptions(aggregation="rating",
                                                        resamples=20))  # fmt: skip
    assert isinstance(report, Report)
    data = json.loads(json.dumps(report.to_json(), allow_nan=False))
    assert "tournament" in data
    assert not {"headline", "breakdowns", "quintile_edges"} & set(data)
    assert data["metadata"]["options"]["weights"] == "quadratic"
    assert data["metadata"]["definitions"]["scale_points"] == [-1, 0, 1]


def test_a_tournament_names_every_option_it_cannot_take_at_once():
    """A new-user pass: ?threshold=2&interval=wilson on a three-point tournament named
    only the interval; and 100,000 resamples of LLMFAO's tournament ran a worker out of
    memory, so a tournament takes at most 10,000."""
    params = {"threshold": "2", "interval": "wilson", "resamples": "10001"}
    with pytest.raises(ValueError, match="interval: ") as refused:
        options_from(params, kind="tournament", scale="three")
    assert str(refused.value) == (
        "interval: a tournament's intervals are a bootstrap over prompts; use "
        "bootstrap; resamples: a tournament refits its model on every resample; at "
        "most 10000; threshold: the three-point scale has one step each way; use 1"
    )
    assert options_from({"resamples": "10000"}, kind="tournament").resamples == 10_000
    # Other reports keep their maximum.
    assert options_from({"resamples": "100000"}, kind="head_to_head").resamples == (
        100_000
    )


def test_the_offered_options_leave_out_what_the_evaluation_refuses():
    offered = {
        option.name: option
        for option in offered_options(kind="tournament", scale="three")
    }
    assert offered["threshold"].values == [1]
    assert offered["interval"].values == ["bootstrap"]
    assert offered["resamples"].maximum == TOURNAMENT_MAX_RESAMPLES
    for name, option in offered.items():
        for value in option.values:  # every value offered is taken
            options_from({name: str(value)}, kind="tournament", scale="three")
    head_to_head = [option.name for option in offered_options(kind="head_to_head")]
    assert "ties" not in head_to_head
    assert offered_options() == OPTIONS
    form = ReportOptionsForm(ReportOptions(), kind="tournament", scale="preference")
    assert [value for value, _ in form.fields["threshold"].choices] == [1]
