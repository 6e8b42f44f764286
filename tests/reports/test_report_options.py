"""One options type drives the command's arguments, the API's schema and the form."""

import json

import pytest
import yaml

from reports.forms import ReportOptionsForm
from reports.management.commands.report import Command
from reports.report_builder import build_report
from reports.report_options import OPTIONS, ReportOptions, options_from
from reports.values import EvaluationSummary, Report

from .test_properties import _frame

CLOSED = [option for option in OPTIONS if option.choices]
OPEN = [option for option in OPTIONS if not option.choices]


def test_the_options_are_the_report_options_fields_a_user_may_set():
    assert [option.name for option in OPTIONS] == [
        "aggregation", "threshold", "seed", "resamples", "interval", "weights"
    ]  # fmt: skip
    assert {option.name for option in CLOSED} == {
        "aggregation", "threshold", "interval", "weights"
    }  # fmt: skip


def test_command_arguments_have_the_options_choices_and_types():
    parser = Command().create_parser("manage.py", "report")
    actions = {action.dest: action for action in parser._actions}
    for option in OPTIONS:
        action = actions[option.name]
        assert action.type is option.type
        assert list(action.choices or []) == option.values
        assert action.default is None  # the options type supplies the default
    assert "95% interval" in parser.format_help()


def _schema(client, researcher) -> dict:
    client.force_login(researcher)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_api_parameters_and_openapi_enums_are_the_options(client, researcher):
    schema = _schema(client, researcher)
    for path in ("/api/reports/{id}/", "/api/reports/{id}/{filename}"):
        parameters = {
            parameter["name"]: parameter
            for parameter in schema["paths"][path]["get"]["parameters"]
            if parameter["in"] == "query"
        }
        # and ``job``: a finished background job's report (reports.background)
        assert list(parameters) == sorted([*(option.name for option in OPTIONS), "job"])
        for option in OPTIONS:
            parameter = parameters[option.name]["schema"]
            assert parameter["type"] == ("integer" if option.type is int else "string")
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
    for params, name in (
        ({"aggregation": "plurality"}, "aggregation"),
        ({"threshold": "3"}, "threshold"),
        ({"seed": "x"}, "seed"),
        ({"seed": "-1"}, "seed"),
        ({"resamples": "100001"}, "resamples"),
        ({"interval": "normal"}, "interval"),
        ({"weights": "cubic"}, "weights"),
    ):
        with pytest.raises(ValueError, match=f"^{name}: "):
            options_from(params)


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
