"""Figures draw names as plain text: `$`, `_`, `^` and `\\` are never mathtext."""

import pytest

from generations.models import ChatModel, Prompt
from reports import figures
from reports.evaluation_reports import evaluation_report
from reports.report_options import ReportOptions

from .builders import head_to_head, tournament

pytestmark = pytest.mark.django_db

# Each would be a mathtext error (or different text) if parsed: unbalanced braces,
# a bare ^ or _ between dollars, an unknown \command.
CANDIDATE = r"GPT $5^_$ \x"
BASELINE = r"a_b^c ${\frac$"
NAME = r"cost $\nope{$ eval"
CATEGORIES = [r"price in $ and $^\\", r"x_y \alpha ${"]


def test_head_to_head_figures_with_mathtext_characters_in_names():
    evaluation = head_to_head(name=NAME, candidate=CANDIDATE, baseline=BASELINE)
    prompts = Prompt.objects.filter(prompt_set=evaluation.prompt_set)
    for index, prompt in enumerate(prompts.order_by("pk")):
        prompt.categories = [CATEGORIES[index % 2]]
        prompt.save(update_fields=["categories"])
    report = evaluation_report(evaluation, ReportOptions(resamples=50), use_cache=False)
    for name in figures.names_for(report):
        png = figures.render(figures.figure(report, name), "png")
        assert png.startswith(b"\x89PNG")
        svg = figures.render(figures.figure(report, name), "svg")
        assert svg.startswith(b"<?xml")


def test_leaderboard_figure_with_mathtext_characters_in_model_names():
    evaluation = tournament(name=NAME)
    for model, name in zip(
        evaluation.chat_models.order_by("pk"),
        [CANDIDATE, BASELINE, r"m$^$_\\"],
        strict=True,
    ):
        ChatModel.objects.filter(pk=model.pk).update(name=name)
    report = evaluation_report(evaluation, use_cache=False)
    fig = figures.figure(report, "leaderboard")
    assert figures.render(fig, "png").startswith(b"\x89PNG")
    labels = {label.get_text() for label in fig.axes[0].get_yticklabels()}
    assert {CANDIDATE, BASELINE} <= labels


def test_the_compare_figure_with_mathtext_characters_in_names():
    evaluation = head_to_head(name=NAME, candidate=CANDIDATE, baseline=BASELINE)
    report = evaluation_report(evaluation, ReportOptions(resamples=50), use_cache=False)
    fig = figures.compare_figure([report])
    assert figures.render(fig, "svg").startswith(b"<?xml")
