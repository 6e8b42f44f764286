"""The disagreements page (the pairs whose ratings split) and the page of one pair."""

from __future__ import annotations

import itertools

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from annotations.models import Evaluation
from evalsite.rendering import render_markdown, render_stored
from evalsite.responses import bad_request

from . import selectors
from . import statistics as st
from .evaluation_reports import PAIRWISE_ONLY, report_options_for
from .forms import DisagreementFilterForm
from .judge_humans import kept_ratings
from .report_options import OPTIONS, ReportOptions, scale_problems
from .views import view_report

PAGE_SIZE = 50
THRESHOLD = next(option for option in OPTIONS if option.name == "threshold")
OUTCOME_LABELS = {st.WIN: "win", st.TIE: "tie", st.LOSS: "loss"}


@view_report
def disagreements(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(Evaluation, pk=pk)
    if item.kind == Evaluation.Kind.SINGLE:  # no pair outcomes to split
        return bad_request(PAIRWISE_ONLY)
    ratings = selectors.ratings_frame([item.pk], full=False)
    categories = sorted(set(itertools.chain.from_iterable(ratings["categories"])))
    # The report's options: its threshold as the scale allows (refused first, with
    # the scale's reason), and its annotator filters, so the page splits the
    # ratings the report counts.
    try:
        options = report_options_for(item, request.GET)
        everyone = set(ratings["annotator"])
        if options.filters_annotators:  # the summary (a query) only when it filters
            summary = selectors.evaluation_summary(item.pk)
            ratings = kept_ratings(ratings, summary, options)
    except ValueError as error:  # UnknownAnnotator is one
        return bad_request(str(error))
    form = DisagreementFilterForm(request.GET, categories=categories, scale=item.scale)
    if not form.is_valid():
        return bad_request(form.error_text())
    chosen = form.cleaned_data
    pairs = st.split_pairs(
        ratings,
        threshold=options.threshold,
        category=chosen["category"] or None,
        num_turns=chosen["turns"],
        min_spread=chosen["min_spread"] or 0,
    )
    page = Paginator(range(len(pairs)), PAGE_SIZE).get_page(_page_number(request))
    rows = pairs.iloc[list(page.object_list)].to_dict("records")
    prompts = selectors.prompts_by_id([row["prompt_id"] for row in rows])
    for row in rows:
        row["prompt"] = prompts.get(row["prompt_id"])
    query = request.GET.copy()
    query.pop("page", None)
    # The report's other options ride along when the filters are submitted again.
    carried = [
        (name, value)
        for name, values in request.GET.lists()
        if name not in form.fields and name != "page"
        for value in values
    ]
    context = {
        "evaluation": item,
        "form": form,
        "rows": rows,
        "page": page,
        "n_split": len(pairs),
        "n_pairs": int(ratings["comparison_id"].nunique()),
        "query": query.urlencode(),
        "carried": carried,
        "left_out": sorted(everyone - set(ratings["annotator"])),
        "threshold": options.threshold,
    }
    return render(request, "reports/disagreements.html", context)


def _page_number(request: HttpRequest) -> int | str | None:
    """The page asked for; 0 and below are the first (Paginator shows the last)."""
    raw = request.GET.get("page")
    try:
        return max(int(raw), 1)
    except (TypeError, ValueError):
        return raw  # Paginator shows the first page for anything not a number


@view_report
def pair(request: HttpRequest, pk: int, comparison_id: int) -> HttpResponse:
    try:
        threshold = THRESHOLD.parse(request.GET.get("threshold") or "1")
        THRESHOLD.check(threshold)
    except ValueError as error:
        return bad_request(str(error))
    try:
        context = selectors.pair_detail(pk, comparison_id)
    except selectors.Comparison.DoesNotExist:
        raise Http404("no such pair in this evaluation") from None
    comparison, ratings = context["comparison"], context["ratings"]
    scale = comparison.evaluation.scale
    if problems := scale_problems(ReportOptions(threshold=threshold), scale):
        return bad_request("; ".join(problems))  # as its report refuses it
    context["turns"] = [
        {"role": turn.get("role", ""), "html": render_markdown(turn.get("content", ""))}
        for turn in comparison.prompt.turns
    ]
    context["responses"] = [
        (label, generation, render_stored(generation.text, generation.html,
                                          generation.html_version))
        for label, generation in (("Candidate", comparison.candidate_generation),
                                  ("Baseline", comparison.baseline_generation))
        if generation is not None  # a single-response pair has no baseline
    ]  # fmt: skip
    outcomes = st.outcome_of([rating.score for rating in ratings], threshold)
    context["rows"] = [
        (rating, OUTCOME_LABELS[outcome])
        for rating, outcome in zip(ratings, outcomes, strict=True)
    ]
    scores = [rating.score for rating in ratings]
    context["spread"] = max(scores) - min(scores) if scores else None
    context["threshold"] = threshold
    # Back to the disagreements with the options they were opened with.
    context["query"] = request.GET.urlencode()
    return render(request, "reports/pair.html", context)
