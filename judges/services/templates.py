"""Judging templates and judges: the defaults, a new version per change, creation.

A template is identified by its name; each change of its content is saved as a new
row with the next version number, so a judgement keeps pointing at the exact text it
was made with, and the judges that used the changed version move to the new one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from generations.models import ChatModel

from .. import prompting, verdicts
from ..models import Judge, JudgeTemplate

CONTENT = ("system_prompt", "user_template", "verdict_format")

_DEFAULTS = {
    verdicts.JSON: {
        "name": prompting.DEFAULT_NAME,
        "system_prompt": prompting.DEFAULT_SYSTEM_PROMPT,
        "user_template": prompting.DEFAULT_USER_TEMPLATE,
    },
    verdicts.TEXT: {
        "name": prompting.DEFAULT_TEXT_NAME,
        "system_prompt": prompting.DEFAULT_TEXT_SYSTEM_PROMPT,
        "user_template": prompting.DEFAULT_USER_TEMPLATE,
    },
}


def template_check(*, user_template: str, verdict_format: str) -> None:
    """Raise ValidationError (naming the field) for a template that cannot judge."""
    missing = prompting.missing_placeholders(user_template)
    if missing:
        names = ", ".join(f"{{{name}}}" for name in missing)
        raise ValidationError({"user_template": f"Missing placeholders: {names}."})
    if verdict_format not in verdicts.FORMATS:
        raise ValidationError({"verdict_format": f"Unknown format {verdict_format!r}."})


@transaction.atomic
def template_default(*, verdict_format: str = verdicts.JSON) -> JudgeTemplate:
    """The newest version of the default template of ``verdict_format``
    (``mt-bench-pairwise`` for JSON, ``mt-bench-pairwise-text`` for text), created as
    version 1 when it does not exist."""
    fields = _DEFAULTS[verdict_format]
    latest = JudgeTemplate.objects.filter(name=fields["name"]).order_by("-version")
    if template := latest.first():
        return template
    template, _ = JudgeTemplate.objects.get_or_create(
        name=fields["name"],
        version=1,
        defaults={**fields, "verdict_format": verdict_format},
    )
    return template


@transaction.atomic
def template_revise(
    *,
    template: JudgeTemplate,
    system_prompt: str,
    user_template: str,
    verdict_format: str,
) -> JudgeTemplate:
    """Save changed content as the next version of ``template``'s name.

    Returns ``template`` itself when nothing changed. Judges that used ``template``
    use the new version from then on; judgements keep the version they were made with.
    Runs inside the caller's transaction (the admin's save).
    """
    template_check(user_template=user_template, verdict_format=verdict_format)
    current = JudgeTemplate.objects.select_for_update().get(pk=template.pk)
    content = (system_prompt, user_template, verdict_format)
    if content == tuple(getattr(current, field) for field in CONTENT):
        return current
    top = JudgeTemplate.objects.filter(name=current.name).aggregate(Max("version"))
    revised = JudgeTemplate(
        name=current.name,
        version=top["version__max"] + 1,
        **dict(zip(CONTENT, content, strict=True)),
    )
    revised.full_clean()
    revised.save()
    Judge.objects.filter(template=current).update(template=revised)
    return revised


@transaction.atomic(durable=True)
def judge_create(
    *,
    name: str,
    chat_model: ChatModel,
    template: JudgeTemplate | None = None,
    verdict_format: str = verdicts.JSON,
    description: str = "",
) -> Judge:
    """A judge: ``chat_model`` with ``template`` (default: the default template of
    ``verdict_format``)."""
    if chat_model.backend == ChatModel.Backend.IMPORTED:
        raise ValidationError(
            {"chat_model": f"{chat_model.name} has no inference backend (imported)."}
        )
    if template is None:
        template = template_default(verdict_format=verdict_format)
    judge = Judge(
        name=name, chat_model=chat_model, template=template, description=description
    )
    judge.full_clean()
    judge.save()
    return judge
