"""python manage.py load_demo: LLMFAO's real data as a demo, GPT-4's votes as a
judge's, and a login per role.

It lives in judges, not annotations, because it loads the judge too and annotations
never imports judges.
"""

from django.core.management.base import BaseCommand

from annotations.services.demo import CROWD_EVALUATION, HEAD_TO_HEAD, demo_load
from judges.services.demo import GPT4_JUDGE, judge_demo_load


class Command(BaseCommand):
    help = (
        "Load the LLMFAO demo (prompts, 70 models' 1,133 responses, 8,931 crowd votes as an "
        "imported tournament with GPT-4's 2,139 votes as a judge's, a fresh "
        "head-to-head evaluation) and demo users."
    )

    def handle(self, *args, **options) -> None:
        result = demo_load()
        judged = judge_demo_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo loaded: {result.prompts} prompts, {result.generations} responses, "
                f"{result.ratings} crowd ratings and "
                f"{judged.created + judged.unchanged} verdicts of judge "
                f"'{GPT4_JUDGE}' in '{CROWD_EVALUATION}', "
                f"{result.comparisons} comparisons to rate in '{HEAD_TO_HEAD}'."
            )
        )
        self.stdout.write("Demo logins (role: username / password):")
        for role, username, password in result.logins:
            self.stdout.write(f"  {role:<10} {username} / {password}")
