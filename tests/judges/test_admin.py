"""Templates are versioned in the admin: a change is a new version, judges move to it,
judgements keep the one they used."""

import pytest

from judges.models import Judge, Judgement, JudgeTemplate
from judges.services import templates
from tests.factories import ChatModelFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def template():
    return templates.template_default()


def _form(template, **changes):
    return {
        "system_prompt": template.system_prompt,
        "user_template": template.user_template,
        "verdict_format": template.verdict_format,
        **changes,
    }


def _judge(name, template):
    chat_model = ChatModelFactory(
        name=f"{name} model", backend="openai", base_url="http://judge:8000"
    )
    return Judge.objects.create(name=name, chat_model=chat_model, template=template)


def test_changing_a_template_saves_a_new_version_and_moves_its_judges(
    client, admin_user, template, evaluation
):
    judge = _judge("gpt", template)
    other = JudgeTemplate.objects.create(
        name="other", user_template=template.user_template
    )
    bystander = _judge("bystander", other)
    used = Judgement.objects.create(
        judge=judge,
        comparison=evaluation.comparisons.first(),
        template=template,
        candidate_on_left=True,
        scale="seven",
    )
    client.force_login(admin_user)
    url = f"/admin/judges/judgetemplate/{template.pk}/change/"
    response = client.post(url, _form(template, system_prompt="Be brief and fair."))
    assert response.status_code == 302

    versions = JudgeTemplate.objects.filter(name="mt-bench-pairwise").order_by(
        "version"
    )
    old, new = versions
    assert (old.pk, old.version, new.version) == (template.pk, 1, 2)
    assert old.system_prompt == template.system_prompt  # the old row is untouched
    assert new.system_prompt == "Be brief and fair."
    assert new.user_template == template.user_template
    judge.refresh_from_db()
    bystander.refresh_from_db()
    used.refresh_from_db()
    assert judge.template == new
    assert bystander.template == other
    assert used.template == old
    assert response["Location"] == "/admin/judges/judgetemplate/"
    assert templates.template_default() == new  # the newest version is the default


def test_saving_an_unchanged_template_keeps_its_version(client, admin_user, template):
    client.force_login(admin_user)
    url = f"/admin/judges/judgetemplate/{template.pk}/change/"
    assert client.post(url, _form(template)).status_code == 302
    assert JudgeTemplate.objects.filter(name=template.name).count() == 1


def test_an_old_version_is_read_only(client, admin_user, template):
    """Only the latest version is edited (into the next): editing v1 once v2 exists
    would fork the template into a v3 that no judge uses."""
    client.force_login(admin_user)
    url = f"/admin/judges/judgetemplate/{template.pk}/change/"
    client.post(url, _form(template, system_prompt="v2"))
    assert client.post(url, _form(template, verdict_format="text")).status_code == 403
    page = client.get(url).content.decode()
    assert 'name="system_prompt"' not in page  # shown, not editable
    assert list(
        JudgeTemplate.objects.filter(name=template.name)
        .order_by("version")
        .values_list("version", "system_prompt", "verdict_format")
    ) == [(1, template.system_prompt, "json"), (2, "v2", "json")]
    latest = JudgeTemplate.objects.get(name=template.name, version=2)
    latest_url = f"/admin/judges/judgetemplate/{latest.pk}/change/"
    client.post(latest_url, _form(latest, verdict_format="text"))
    assert JudgeTemplate.objects.filter(name=template.name).count() == 3


def test_a_template_without_its_placeholders_is_refused(client, admin_user, template):
    client.force_login(admin_user)
    url = f"/admin/judges/judgetemplate/{template.pk}/change/"
    response = client.post(url, _form(template, user_template="Which is better?"))
    assert response.status_code == 200
    assert "Missing placeholders: {dialogue}, {response_a}, {response_b}." in (
        response.content.decode()
    )
    assert JudgeTemplate.objects.filter(name=template.name).count() == 1


def test_a_new_template_is_version_one(client, admin_user, template):
    client.force_login(admin_user)
    response = client.post(
        "/admin/judges/judgetemplate/add/",
        {"name": "terse", **_form(template, verdict_format="text")},
    )
    assert response.status_code == 302
    assert JudgeTemplate.objects.get(name="terse").version == 1


def test_roles_reach_the_judges_app(admin_user, researcher):
    assert admin_user.has_perm("judges.add_judgerun")
    assert admin_user.has_perm("judges.change_judgetemplate")
    assert researcher.has_perm("judges.view_judgerun")
    assert researcher.has_perm("judges.view_judgement")
    assert not researcher.has_perm("judges.add_judgerun")
    assert not researcher.has_perm("judges.change_judgetemplate")


def test_adding_a_template_under_a_taken_name_is_refused(client, admin_user, template):
    client.force_login(admin_user)
    response = client.post(
        "/admin/judges/judgetemplate/add/", {"name": template.name, **_form(template)}
    )
    assert response.status_code == 200
    assert "edit it to make a new version" in response.content.decode()
    assert JudgeTemplate.objects.filter(name=template.name).count() == 1


def test_a_judge_added_with_a_chat_model_and_no_template_gets_the_default(
    client, admin_user
):
    """A fresh install has no template until one is needed: a judge saved without
    one could never run, and the runs page did not say why."""
    client.force_login(admin_user)
    assert "No judge can run yet" in client.get("/judges/runs/").content.decode()
    chat_model = ChatModelFactory(
        name="judge model", backend="openai", base_url="http://judge:8000"
    )
    response = client.post(
        "/admin/judges/judge/add/",
        {"name": "new-judge", "chat_model": chat_model.pk, "description": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    judge = Judge.objects.get(name="new-judge")
    assert judge.template == templates.template_default()
    page = client.get("/judges/runs/").content.decode()
    assert "No judge can run yet" not in page
    assert f'value="{judge.pk}"' in page
    # A judge of imported verdicts (no chat model) keeps no template.
    client.post("/admin/judges/judge/add/", {"name": "imported", "description": ""})
    assert Judge.objects.get(name="imported").template is None


def test_a_judge_run_cannot_be_deleted_in_the_admin(client, admin_user, template):
    """Its judgements outlived it, and starting the judge again gave an empty run or
    mixed template versions in one (a new-user pass)."""
    from judges.models import JudgeRun
    from tests.judges.conftest import build_evaluation

    judge = Judge.objects.create(name="kept", template=template)
    run = JudgeRun.objects.create(evaluation=build_evaluation(), judge=judge)
    client.force_login(admin_user)
    url = f"/admin/judges/judgerun/{run.pk}/delete/"
    assert client.get(url).status_code == 403
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert JudgeRun.objects.filter(pk=run.pk).exists()


def test_a_judge_runs_chat_model_is_read_only_in_the_admin(
    client, admin_user, template
):
    """The record a resume checks the judge's chat model against."""
    from judges.models import JudgeRun
    from tests.judges.conftest import build_evaluation

    judge = _judge("recorded", template)
    run = JudgeRun.objects.create(
        evaluation=build_evaluation(),
        judge=judge,
        chat_model=judge.chat_model,
        chat_model_fingerprint="f" * 64,
    )
    client.force_login(admin_user)
    page = client.get(f"/admin/judges/judgerun/{run.pk}/change/").content.decode()
    assert "recorded model" in page
    assert 'name="chat_model"' not in page
    assert 'name="chat_model_fingerprint"' not in page
