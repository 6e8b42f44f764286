"""Commands refuse a bad --output or --poll up front, naming the argument, instead
of a traceback (after the judge run had started, for --poll)."""

import pytest
from django.core.management import CommandError, call_command

from judges.models import JudgeRun

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["report", "any", "--output", "/nonexistent/dir/r.json"], "no folder"),
        (["report", "any", "--output", "."], "is a folder"),
        (
            ["export_prompts", "--prompt-set", "s", "--output", "/nonexistent/x.jsonl"],
            "no folder",
        ),
    ],
)
def test_an_output_nowhere_is_a_usage_error(arguments, says, tmp_path):
    with pytest.raises(CommandError, match=f"argument --output: .*{says}"):
        call_command(*arguments)


@pytest.mark.parametrize("poll", ["-1", "0", "nan", "soon"])
def test_a_poll_that_is_no_positive_number_stops_before_any_run(poll):
    with pytest.raises(CommandError, match="argument --poll"):
        call_command(
            "judge", "--evaluation", "e", "--judge", "j", "--wait", "--poll", poll
        )
    assert not JudgeRun.objects.exists()
