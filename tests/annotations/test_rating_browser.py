"""The rating page in headless Chromium: mouse, keyboard, history, skip, flag, safety."""

import os
from pathlib import Path

import pytest

from annotations.models import Assignment, Rating
from tests.conftest import browser_login, browser_login_with_form
from tests.factories import ComparisonFactory, GenerationFactory, PromptFactory

from .conftest import build_evaluation, in_id_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS = Path(__file__).resolve().parents[2] / "docs"
# Set EVALSITE_SCREENSHOTS=1 to refresh docs/rating-desktop.png and rating-phone.png.
SCREENSHOTS = os.environ.get("EVALSITE_SCREENSHOTS") == "1"

HISTORY = [
    {"role": "user", "content": "How do I read a file line by line in Python?"},
    {
        "role": "assistant",
        "content": "Open it with `open()` and iterate over the file object.",
    },
    {"role": "user", "content": "And how do I skip **empty** lines?"},
]
ANSWER_A = (
    "Check each line after stripping it:\n\n```python\n"
    "with open(path) as f:\n    for line in f:\n        if line.strip():\n"
    "            print(line)\n```\n\nBlank lines are then skipped."
)
ANSWER_B = "Use `filter`:\n\n1. `lines = filter(str.strip, f)`\n2. loop over `lines`."
UNSAFE = '<script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2">'


def _pair(evaluation, turns, candidate_text, baseline_text):
    prompt = PromptFactory(
        prompt_set=evaluation.prompt_set,
        turns=turns,
        categories=["dialogue", "language assistance"][: 2 if len(turns) > 1 else 1],
    )
    return ComparisonFactory(
        evaluation=evaluation,
        prompt=prompt,
        candidate_generation=GenerationFactory(
            prompt=prompt, chat_model=evaluation.candidate, text=candidate_text
        ),
        baseline_generation=GenerationFactory(
            prompt=prompt, chat_model=evaluation.baseline, text=baseline_text
        ),
    )


def _pair_id(page) -> str:
    return page.get_attribute("#pair", "data-assignment")


def _wait_for_next(page, before: str) -> None:
    page.wait_for_function(
        "(before) => { const p = document.getElementById('pair');"
        " return p && p.dataset.assignment !== before; }",
        arg=before,
    )


def test_annotator_rates_skips_and_flags_in_the_browser(live_server, page):
    evaluation, _, (user,) = build_evaluation(
        pairs=0,
        annotators=1,
        per_pair=1,
        guidelines="Judge **helpfulness** first, then safety and honesty.",
    )
    first = _pair(evaluation, HISTORY, ANSWER_A, ANSWER_B)
    _pair(evaluation, [{"role": "user", "content": "Say hi."}], UNSAFE, "Hi!")
    _pair(evaluation, [{"role": "user", "content": "Third?"}], "x", "y")
    _pair(evaluation, [{"role": "user", "content": "Fourth?"}], "broken", "")
    in_id_order(evaluation)  # the steps below follow the pairs in this order

    browser_login_with_form(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")  # rate.js, deferred, has the keys

    # Multi-turn history, set apart from the final user turn.
    assert "Open it with" in page.inner_text(".history")
    assert "skip empty lines" in page.inner_text(".final-turn")
    assert "Open it with" not in page.inner_text(".final-turn")
    assert page.locator(".response pre code").count() == 1
    assert not page.is_visible(".guidelines .md")
    page.click(".guidelines summary")
    assert page.is_visible(".guidelines .md")
    page.click(".guidelines summary")

    # Screenshots at desktop and phone widths; side by side, then stacked.
    box_a = page.locator("#response-a").bounding_box()
    box_b = page.locator("#response-b").bounding_box()
    assert box_a["y"] == box_b["y"]
    assert box_b["x"] > box_a["x"] + box_a["width"] - 1
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "rating-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    box_a = page.locator("#response-a").bounding_box()
    box_b = page.locator("#response-b").bounding_box()
    assert box_b["y"] >= box_a["y"] + box_a["height"]
    if SCREENSHOTS:
        page.screenshot(path=str(DOCS / "rating-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    # Mouse: choose a label, click Submit; the next pair arrives without a reload.
    page.evaluate("window.__same_page = true")
    before = _pair_id(page)
    page.click("text=A is better")
    page.wait_for_timeout(300)
    page.click("#submit-rating")
    _wait_for_next(page, before)
    assert page.evaluate("window.__same_page") is True
    rating = Rating.objects.get(comparison=first)
    assert rating.choice == 2
    assert 0.2 < rating.seconds < 60

    # Untrusted HTML stays inert text.
    assert "<script>window.__xss = 1</script>" in page.inner_text(".responses")
    assert page.locator(".responses img").count() == 0
    page.wait_for_timeout(200)
    assert page.evaluate("window.__xss") is None

    # Keyboard: 7 then Enter.
    before = _pair_id(page)
    page.keyboard.press("7")
    assert page.is_checked("input[data-key='7']")
    page.keyboard.press("Enter")
    _wait_for_next(page, before)
    assert Rating.objects.get(assignment_id=int(before)).choice == -3

    # S skips.
    before = _pair_id(page)
    page.keyboard.press("s")
    _wait_for_next(page, before)
    assert Assignment.objects.get(pk=int(before)).state == "skipped"

    # F flags, with a comment; Enter sends it.
    before = _pair_id(page)
    page.keyboard.press("f")
    page.keyboard.type("Model B is empty")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=All done")
    flagged = Assignment.objects.get(pk=int(before))
    assert (flagged.state, flagged.comment) == ("flagged", "Model B is empty")
    assert Rating.objects.count() == 2
    assert page.url.rstrip("/") == live_server.url


def test_enter_on_a_link_follows_it_and_enter_without_an_answer_says_so_in_view(
    live_server, page
):
    """Enter on a focused link (a nav link, "Change") sent the chosen answer for
    the pair instead (a new-user pass); Enter with nothing chosen showed its
    message below a long pair, out of sight."""
    evaluation, _, (user,) = build_evaluation(pairs=0, annotators=1, per_pair=1)
    long_answer = "\n\n".join(f"Paragraph {i} of a long answer." for i in range(80))
    _pair(evaluation, [{"role": "user", "content": "Long?"}], long_answer, "Short.")
    browser_login(page, live_server, user.username)
    page.set_viewport_size({"width": 1280, "height": 700})
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")

    page.keyboard.press("Enter")
    error = page.locator("#answer-error")
    error.wait_for(state="visible")
    assert "Choose an answer first" in error.inner_text()
    page.wait_for_function(
        "() => { const r = document.getElementById('answer-error')"
        ".getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    )

    page.keyboard.press("5")
    page.focus("a.brand")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.rstrip("/") == live_server.url
    assert not Rating.objects.exists()


EDGES = """() => [...document.querySelectorAll('.md p, .md li')].map((e) => {
  const range = document.createRange();
  range.selectNodeContents(e);
  const text = range.getBoundingClientRect(), box = e.getBoundingClientRect();
  return [e.textContent, Math.round(text.left - box.left), Math.round(box.right - text.right)];
})"""


def test_right_to_left_text_reads_from_the_right_paragraph_by_paragraph(
    live_server, page
):
    """Arabic and Hebrew responses (and prompts) were laid out left to right: set
    flush left, with the sentence's final punctuation at its start."""
    evaluation, _, (user,) = build_evaluation(pairs=0, annotators=1, per_pair=1)
    _pair(
        evaluation,
        [{"role": "user", "content": "ما هي عاصمة أستراليا؟"}],
        "العاصمة هي كانبرا.\n\nCanberra is the capital.\n\n- שלום עולם.",
        "Canberra.",
    )
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    # Measured once the stylesheet is in: before, every line lay as unstyled text.
    page.wait_for_load_state("load")

    edges = {text: (left, right) for text, left, right in page.evaluate(EDGES)}
    for right_to_left in ("ما هي عاصمة أستراليا؟", "العاصمة هي كانبرا.", "שלום עולם."):
        left, right = edges[right_to_left]
        assert right <= 1, (right_to_left, edges)
        assert left > 20, (right_to_left, edges)
    for left_to_right in ("Canberra is the capital.", "Canberra."):
        left, right = edges[left_to_right]
        assert left <= 1, (left_to_right, edges)
        assert right > 20, (left_to_right, edges)


def test_time_in_a_background_tab_before_the_pair_is_seen_does_not_count(
    live_server, page
):
    """A pair opened in a tab the annotator had not looked at yet counted the time
    until they did: the timer took the page as visible when it started."""
    _, _, (user,) = build_evaluation(pairs=1, annotators=1, per_pair=1)
    browser_login(page, live_server, user.username)
    # The tab is in the background until the test brings it forward.
    page.add_init_script(
        "window.__hidden = true;"
        "Object.defineProperty(Document.prototype, 'hidden',"
        " { get: () => window.__hidden });"
        "Object.defineProperty(Document.prototype, 'visibilityState',"
        " { get: () => (window.__hidden ? 'hidden' : 'visible') });"
    )
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")
    page.wait_for_timeout(2000)
    page.evaluate(
        "window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))"
    )
    before = _pair_id(page)
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=All done")
    assert Rating.objects.get(assignment_id=int(before)).seconds < 1.5


def test_enter_that_ends_an_input_method_composition_does_not_submit(live_server, page):
    """Typing a reason in Japanese or Chinese, Enter chooses the characters the
    input method offers; rate.js took that Enter as "submit" and sent the rating
    with the reason half typed."""
    _, _, (user,) = build_evaluation(pairs=1, annotators=1, per_pair=1)
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")
    before = _pair_id(page)
    page.keyboard.press("2")
    page.keyboard.press("r")

    # What Chromium sends for an input method: the composition, then its Enter.
    ime = page.context.new_cdp_session(page)
    ime.send(
        "Input.imeSetComposition",
        {"text": "にほん", "selectionStart": 3, "selectionEnd": 3},
    )
    ime.send(
        "Input.dispatchKeyEvent",
        {
            "type": "keyDown",
            "key": "Enter",
            "code": "Enter",
            "windowsVirtualKeyCode": 229,
        },
    )
    ime.send("Input.insertText", {"text": "日本"})
    ime.send(
        "Input.dispatchKeyEvent", {"type": "keyUp", "key": "Enter", "code": "Enter"}
    )
    page.wait_for_timeout(500)
    assert not Rating.objects.exists()
    assert page.input_value("#rationale") == "日本"

    page.keyboard.press("Enter")
    page.wait_for_selector("text=All done")
    assert Rating.objects.get(assignment_id=int(before)).comment == "日本"


def test_a_number_key_answers_without_scrolling_away_from_the_text(live_server, page):
    """The key moved the focus to its radio, and the page jumped down to the scale
    while the annotator was still reading the top of a long response."""
    evaluation, _, (user,) = build_evaluation(pairs=0, annotators=1, per_pair=1)
    long_text = "\n\n".join(f"Paragraph {i} of a long answer." for i in range(120))
    _pair(evaluation, HISTORY[:1], long_text, long_text)
    browser_login(page, live_server, user.username)
    page.click("button.start")
    page.wait_for_selector("#answer-form")
    page.wait_for_load_state("load")
    page.evaluate("window.scrollTo(0, 0)")
    page.keyboard.press("2")
    assert page.evaluate("document.querySelector('input[data-key=\"2\"]').checked")
    assert page.evaluate("window.scrollY") == 0
    page.keyboard.press("Enter")
    page.wait_for_selector("text=All done")
    assert Rating.objects.get(annotator=user).choice == 2
