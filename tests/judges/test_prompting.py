"""The messages a judge is sent and the order drawn per pair (pure: no database)."""

from judges import prompting


def _messages(**overrides):
    fields = {
        "system_prompt": "Be fair.",
        "user_template": "{dialogue}\n--\n{response_a}\n--\n{response_b}\n--\n{scale}",
        "verdict_format": "text",
        "scale": "three",
        "turns": [
            {"role": "user", "content": "Plan a trip."},
            {"role": "assistant", "content": "Day one: Rome."},
            {"role": "user", "content": "And day two?"},
        ],
        "response_a": "Florence.",
        "response_b": "Venice.",
    }
    return prompting.judge_messages(**{**fields, **overrides})


def test_messages_hold_every_turn_labelled_and_both_responses_in_order():
    system, user = _messages()
    assert system == {"role": "system", "content": "Be fair."}
    assert user["role"] == "user"
    dialogue, a, b, scale = user["content"].split("\n--\n")
    assert dialogue == (
        "### User:\nPlan a trip.\n\n### Assistant:\nDay one: Rome.\n\n"
        "### User:\nAnd day two?"
    )
    assert (a, b) == ("Florence.", "Venice.")
    assert scale.splitlines()[1:] == [
        "[[A]]: A is better",
        "[[C]]: Tie",
        "[[B]]: B is better",
    ]


def test_no_system_message_without_a_system_prompt():
    messages = _messages(system_prompt="")
    assert [m["role"] for m in messages] == ["user"]


def test_placeholders_are_replaced_once_and_other_braces_kept():
    messages = _messages(
        user_template='Reply as {"verdict": ...}. A: {response_a} B: {response_b} '
        "{dialogue}",
        response_a="I print {response_b} and {scale} literally",
        turns=[{"role": "user", "content": "{dialogue}"}],
    )
    content = messages[-1]["content"]
    assert content == (
        'Reply as {"verdict": ...}. A: I print {response_b} and {scale} literally '
        "B: Venice. ### User:\n{dialogue}"
    )


def test_required_placeholders():
    assert prompting.missing_placeholders(prompting.DEFAULT_USER_TEMPLATE) == []
    assert prompting.missing_placeholders("{response_a} {response_b}") == ["dialogue"]
    assert prompting.missing_placeholders("{response_a}{dialogue} {responseb}") == [
        "response_b"
    ]


def test_default_template_is_mt_bench_style():
    assert "impartial judge" in prompting.DEFAULT_SYSTEM_PROMPT
    assert "position biases" in prompting.DEFAULT_SYSTEM_PROMPT
    assert "length of the" in prompting.DEFAULT_SYSTEM_PROMPT
    assert "{scale}" in prompting.DEFAULT_USER_TEMPLATE


def test_candidate_side_is_drawn_per_pair_deterministically_about_half_each_way():
    draws = [prompting.candidate_first(pk) for pk in range(1, 1001)]
    assert draws == [prompting.candidate_first(pk) for pk in range(1, 1001)]
    assert 450 <= sum(draws) <= 550
    assert len({prompting.candidate_first(pk) for pk in range(1, 9)}) == 2
