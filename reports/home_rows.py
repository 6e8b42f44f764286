"""The home's table of evaluations: each one's stage and its report's headline, in
a fixed number of queries and one cache read; no report is computed for it."""

from __future__ import annotations

from dataclasses import dataclass

from django.template.defaultfilters import pluralize

from annotations.evaluation_stages import Stage, evaluation_stages, evaluations_listed
from annotations.models import Evaluation
from annotations.services.evaluation_setup import pairs_refusal
from annotations.services.evaluations import awaits_generations

from .evaluation_reports import cached_reports
from .templatetags.report_tags import ci, pct
from .values import Report

# Chat models a tournament's row names before "and N more".
SHOWN_MODELS = 4


@dataclass(frozen=True)
class HomeRow:
    """One evaluation as the home shows it. ``headline`` is "" when its report is
    not computed yet (not cached with the page's default options)."""

    evaluation: Evaluation
    stage: Stage
    headline: str

    @property
    def kind(self) -> str:
        return self.evaluation.get_kind_display().split(" (")[0]

    @property
    def scale(self) -> str:
        return self.evaluation.get_scale_display().split(" (")[0]

    @property
    def models(self) -> str:
        """The chat models, the first few of a long list (``all_models`` has them all:
        the LLMFAO tournament's 59 names made its row thousands of pixels tall)."""
        if self.evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD:
            return f"{self.evaluation.candidate} vs {self.evaluation.baseline}"
        names = self._names()
        if len(names) <= SHOWN_MODELS + 1:
            return ", ".join(names)
        shown = ", ".join(names[:SHOWN_MODELS])
        return f"{shown} and {len(names) - SHOWN_MODELS} more chat models"

    @property
    def pairs_to_build(self) -> bool:
        """Prompts were left out for generations still to come, or added to the set
        since the pairs were built, and Build pairs may add them (``pairs_refusal``);
        prompts over a context limit stay out."""
        waiting = (
            awaits_generations(self.evaluation.left_out) or self.stage.newer_prompts
        )
        return waiting and not pairs_refusal(self.evaluation)

    @property
    def all_models(self) -> str:
        return ", ".join(self._names())

    def _names(self) -> list[str]:
        return sorted(m.name for m in self.evaluation.chat_models.all())


def headline_of(report: Report) -> str:
    """Head-to-head: the candidate's win rate and its interval; tournament: the
    leader. As the report page's defaults compute them."""
    if report.tournament is not None:
        board = report.tournament.leaderboard
        if not board:
            return "no outcomes yet"
        leader = min(board, key=lambda row: row.rank)
        score = "" if leader.score is None else f" (score {leader.score:.2f})"
        return f"leader: {leader.model}{score}"
    head = report.headline
    if head is None or not head.n:
        return "no outcomes yet"
    prompts = f"{head.n_prompts} prompt{pluralize(head.n_prompts)}"
    return f"win {pct(head.win)} ({ci(head.interval.win)}), {prompts}"


def _single_headline(stage: Stage) -> str:
    return "; ".join(f"{name} {mean:.2f} ({n})" for name, mean, n in stage.means)


def home_rows() -> list[HomeRow]:
    """Every evaluation, by name, with its stage and headline."""
    evaluations = evaluations_listed()
    stages = evaluation_stages(evaluations)
    reports = cached_reports(evaluations)
    rows = []
    for item in evaluations:
        stage = stages[item.pk]
        if item.kind == Evaluation.Kind.SINGLE:
            text = _single_headline(stage) and f"mean 1-7: {_single_headline(stage)}"
        else:
            text = headline_of(reports[item.pk]) if item.pk in reports else ""
        rows.append(HomeRow(evaluation=item, stage=stage, headline=text))
    return rows
