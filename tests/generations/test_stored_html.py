"""Long responses are rendered when written (import, worker) and served as stored."""

import json

import pytest
from django.core.cache import cache

from annotations import selectors
from evalsite import rendering
from generations.models import Generation
from generations.services import jobs
from generations.services.imports import generations_import
from tests.factories import (
    AssignmentFactory,
    GenerationFactory,
    PromptFactory,
    PromptSetFactory,
)

from .conftest import stub_chat_model

pytestmark = pytest.mark.django_db

# Markdown, raw HTML and entities, long enough to be stored; no whitespace, so the
# stub server counts it as one token and it passes any context limit.
LONG = "**bold**<svg/onload=alert(1)>&x_1`code`" * 150


def _import(rows: list[dict]) -> None:
    data = "\n".join(json.dumps(row) for row in rows).encode()
    generations_import(prompt_set_name="set", file_name="g.jsonl", data=data)


def test_import_stores_the_html_of_long_texts_only():
    prompt_set = PromptSetFactory(name="set")
    PromptFactory(prompt_set=prompt_set, external_id="p1")
    PromptFactory(prompt_set=prompt_set, external_id="p2")
    assert len(LONG) >= rendering.STORE_FROM_CHARS

    _import(
        [
            {"prompt_id": "p1", "model": "m", "text": LONG},
            {"prompt_id": "p2", "model": "m", "text": "short *one*"},
        ]
    )

    long = Generation.objects.get(prompt__external_id="p1")
    assert long.html == rendering._render(LONG)
    assert "<strong>bold</strong>" in long.html
    assert "<svg" not in long.html
    assert long.html_version == rendering.RENDERER_VERSION
    short = Generation.objects.get(prompt__external_id="p2")
    assert (short.html, short.html_version) == ("", 0)


def test_the_worker_stores_the_html_of_a_long_response(
    stub_server, eager_celery, django_capture_on_commit_callbacks
):
    prompt_set = PromptSetFactory(name="long")
    PromptFactory(
        prompt_set=prompt_set,
        external_id="long",
        turns=[{"role": "user", "content": LONG}],
    )
    chat_model = stub_chat_model(stub_server)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.job_create_and_launch(prompt_sets=[prompt_set], chat_models=[chat_model])

    generation = Generation.objects.get(chat_model=chat_model)
    assert generation.status == Generation.Status.DONE
    assert generation.text == f"Answer to {LONG}"
    assert generation.html == rendering._render(generation.text)
    assert generation.html_version == rendering.RENDERER_VERSION


def _assignment(html: str, html_version: int):
    assignment = AssignmentFactory(
        comparison__candidate_generation__text=LONG + " candidate",
        comparison__baseline_generation__text=LONG + " baseline",
    )
    comparison = assignment.comparison
    for generation in (
        comparison.candidate_generation,
        comparison.baseline_generation,
    ):
        generation.html = f"{html} {generation.pk}"
        generation.html_version = html_version
        generation.save(update_fields=["html", "html_version"])
        cache.delete(rendering.cache_key(generation.text))
    return assignment


def _no_rendering_of_responses(monkeypatch):
    real = rendering._render

    def render(text):
        if text.startswith(LONG):
            raise AssertionError("a stored response was rendered again")
        return real(text)

    monkeypatch.setattr(rendering, "_render", render)


def test_the_pair_view_serves_stored_html_without_rendering(monkeypatch):
    assignment = _assignment("<p>stored</p>", rendering.RENDERER_VERSION)
    _no_rendering_of_responses(monkeypatch)

    view = selectors.pair_view(assignment, with_counts=False)

    comparison = assignment.comparison
    assert view.response_a_html == comparison.candidate_generation.html
    assert view.response_b_html == comparison.baseline_generation.html


@pytest.mark.parametrize("version", [0, rendering.RENDERER_VERSION - 1])
def test_html_of_another_renderer_version_is_rendered_again(version):
    assignment = _assignment("<p>stale</p>", version)

    view = selectors.pair_view(assignment, with_counts=False)

    comparison = assignment.comparison
    assert view.response_a_html == rendering._render(
        comparison.candidate_generation.text
    )
    assert view.response_b_html == rendering._render(
        comparison.baseline_generation.text
    )
    assert "stale" not in view.response_a_html


def test_a_text_edited_in_the_admin_gets_its_html_again(admin_user, rf):
    from django.contrib import admin

    generation = GenerationFactory(text="short", html="", html_version=0)
    model_admin = admin.site._registry[Generation]
    request = rf.post("/")
    request.user = admin_user
    form_class = model_admin.get_form(request, generation, change=True)
    initial = form_class(instance=generation).initial
    data = {
        name: json.dumps(value) if name in ("request", "metadata") else value
        for name, value in initial.items()
        if value is not None
    }
    data["jobs"] = []
    data["text"] = LONG
    form = form_class(data=data, instance=generation)
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=True)

    generation.refresh_from_db()
    assert generation.text == LONG
    assert generation.html == rendering._render(LONG)
    assert generation.html_version == rendering.RENDERER_VERSION


def test_the_prompt_explorer_serves_stored_html(client, researcher, monkeypatch):
    from django.urls import reverse

    assignment = _assignment("<p>stored marker</p>", rendering.RENDERER_VERSION)
    _no_rendering_of_responses(monkeypatch)
    client.force_login(researcher)

    url = reverse("reports:prompt", args=[assignment.comparison.prompt_id])
    html = client.get(url).content.decode()

    generation = assignment.comparison.candidate_generation
    assert f"<p>stored marker</p> {generation.pk}" in html
