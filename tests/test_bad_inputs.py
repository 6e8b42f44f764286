"""Bad inputs on every path: a 4xx naming the line and the field; nothing stored.

A table of uploads (prompts, generations, ratings; JSONL and CSV) sent to the import
API and, for a sample, to the admin upload pages; then the rating API, the rating
page and the evaluation API. Every case checks the status code, where the message
points (line and field) and that no row was stored.
"""

import csv
import html
import io
import json
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from annotations.models import Assignment, Comparison, Evaluation, Rating
from annotations.services.assignments import assignment_next
from evalsite.imports import limits
from generations.models import ChatModel, Generation, Prompt, PromptSet
from generations.services.imports import generations_import, prompts_import
from tests.annotations.conftest import build_evaluation

from .factories import UserFactory

NUL = "\u0000"
LONG_NAME = "n" * (limits.MAX_NAME_CHARS + 1)
LONG_TEXT = "t" * (limits.MAX_TEXT_CHARS + 1)
TOO_BIG = 2**31


def nested(depth: int) -> dict:
    value: dict = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


# A metadata value too deep for Python's json module (its recursion limit).
ABYSS = "[" * 100_000 + "]" * 100_000

FIRST = {
    "prompts": {"id": "n1", "prompt": "Hi?", "category": "dialogue"},
    "generations": {"prompt_id": "p1", "model": "newcomer", "text": "Hello."},
    "ratings": {
        "prompt_id": "p1",
        "model_a": "cand",
        "model_b": "base",
        "annotator": "new-ann",
        "choice": 2,
    },
}
SECOND = {
    "prompts": {"id": "n2", "prompt": "Why?", "category": "dialogue"},
    "generations": {"prompt_id": "p2", "model": "newcomer", "text": "Bye."},
    "ratings": {**FIRST["ratings"], "prompt_id": "p2"},
}
CSV_COLUMNS = {
    "prompts": ["id", "prompt", "category", "metadata", "note"],
    "generations": ["prompt_id", "model", "text", "prompt_tokens", "metadata"],
    "ratings": [
        *("prompt_id", "model_a", "model_b", "annotator", "choice"),
        *("seconds", "comment", "created_at"),
    ],
}
FORMS = {
    "prompts": {"prompt_set": "fresh"},
    "generations": {"prompt_set": "set"},
    "ratings": {"prompt_set": "set", "evaluation": "imported", "scale": "seven"},
}
ADMIN_PAGES = {
    "prompts": "/admin/generations/promptset/upload-prompts/",
    "generations": "/admin/generations/promptset/upload-generations/",
    "ratings": "/admin/annotations/evaluation/upload-ratings/",
}


@dataclass(frozen=True)
class Upload:
    kind: str
    body: bytes
    line: int
    field: str | None
    file_name: str = "upload.jsonl"


def second(kind: str, drop: tuple[str, ...] = (), **changes) -> dict:
    row = {k: v for k, v in SECOND[kind].items() if k not in drop}
    return {**row, **changes}


def jsonl(kind: str, field: str | None, drop=(), **changes) -> Upload:
    """A JSONL file whose line 1 is good and line 2 has ``changes``."""
    lines = [json.dumps(FIRST[kind]), json.dumps(second(kind, drop, **changes))]
    return Upload(kind, "\n".join(lines).encode(), 2, field)


def raw_line(kind: str, line: str, field: str | None = None) -> Upload:
    return Upload(kind, (json.dumps(FIRST[kind]) + "\n" + line).encode(), 2, field)


def raw_field(kind: str, field: str, raw: str) -> Upload:
    """Line 2 is a full row with ``field`` written as the raw JSON text ``raw``."""
    line = json.dumps(second(kind))[:-1] + f', "{field}": {raw}}}'
    return raw_line(kind, line, field)


def csv_file(kind: str, field: str | None, **changes) -> Upload:
    """A CSV file: header on line 1, a good row on line 2, ``changes`` on line 3."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS[kind], lineterminator="\n")
    writer.writeheader()
    writer.writerow(FIRST[kind])
    writer.writerow(second(kind, **changes))
    return Upload(kind, out.getvalue().encode(), 3, field, "upload.csv")


def encoded(kind: str, body: bytes, line: int) -> Upload:
    return Upload(kind, body, line, None)


def good_line(kind: str) -> bytes:
    return json.dumps(FIRST[kind]).encode() + b"\n"


def _per_kind(kind: str, name_fields: list[str], text_fields: list[str]) -> list:
    """The classes every upload kind shares."""
    cases = []
    for name in name_fields:
        cases += [
            (f"{kind}-nul-{name}", jsonl(kind, name, **{name: f"a{NUL}b"})),
            (f"{kind}-long-{name}", jsonl(kind, name, **{name: LONG_NAME})),
        ]
    for name in text_fields:
        cases += [
            (f"{kind}-nul-{name}", jsonl(kind, name, **{name: f"a{NUL}b"})),
            (f"{kind}-long-{name}", jsonl(kind, name, **{name: LONG_TEXT})),
        ]
    cases += [
        (f"{kind}-nul-extra", jsonl(kind, "note", note=f"x{NUL}")),
        (f"{kind}-nul-in-a-key", jsonl(kind, "extra", extra={f"k{NUL}": 1})),
        (f"{kind}-nul-nested", jsonl(kind, "extra.a[1]", extra={"a": [1, NUL]})),
        (f"{kind}-deep", jsonl(kind, "extra", extra=nested(limits.MAX_DEPTH + 1))),
        (
            f"{kind}-deeper-than-python",
            raw_line(
                kind,
                json.dumps(second(kind))[:-1] + f', "extra": {{"x": {ABYSS}}}}}',
                "extra",
            ),
        ),
        (
            f"{kind}-nan",
            raw_line(kind, json.dumps(second(kind, extra=float("nan"))), "extra"),
        ),
        (f"{kind}-infinity", jsonl(kind, "extra", extra=float("inf"))),
        (f"{kind}-huge-float", raw_line(kind, '{"extra": 1e400}', "extra")),
        # JSON's \ud800 escape alone reads as a surrogate that no UTF-8 text holds.
        (
            f"{kind}-lone-surrogate-{name_fields[0]}",
            raw_field(kind, name_fields[0], '"a\\ud800b"'),
        ),
        (f"{kind}-lone-surrogate-extra", raw_field(kind, "note", '"\\udc00"')),
        (
            f"{kind}-lone-surrogate-in-a-key",
            raw_field(kind, "extra", '{"k\\ud800": 1}'),
        ),
        (
            f"{kind}-lone-surrogate-naming-a-field",
            raw_line(kind, '{"x\\ud800": 1}', "x\\ud800"),
        ),
        (
            f"{kind}-raw-nul-byte-jsonl",
            encoded(kind, good_line(kind) + b'{"id": "a\x00b"}', 2),
        ),
        (f"{kind}-latin1", encoded(kind, good_line(kind) + b'{"id": "caf\xe9"}', 2)),
        (
            f"{kind}-utf16",
            encoded(kind, json.dumps(FIRST[kind]).encode("utf-16"), 1),
        ),
        (f"{kind}-utf16-be", encoded(kind, "\n".join("ab").encode("utf-16-be"), 1)),
    ]
    return cases


def _csv_cases(kind: str, fields: list[str]) -> list:
    cases = []
    for name in fields:
        cases.append(
            (f"{kind}-csv-raw-nul-{name}", csv_file(kind, name, **{name: NUL}))
        )
    return cases


PROMPT_CASES = [
    *_per_kind("prompts", ["id", "category"], ["prompt"]),
    *_csv_cases("prompts", ["id", "prompt", "category", "note"]),
    (
        "prompts-csv-metadata-nul",
        csv_file("prompts", "metadata.a", metadata='{"a": "\\u0000"}'),
    ),
    (
        "prompts-csv-metadata-deep",
        csv_file("prompts", "metadata", metadata=json.dumps(nested(21))),
    ),
    ("prompts-csv-long-id", csv_file("prompts", "id", id=LONG_NAME)),
    ("prompts-csv-long-prompt", csv_file("prompts", "prompt", prompt=LONG_TEXT)),
    (
        "prompts-nul-metadata",
        jsonl("prompts", "metadata.source", metadata={"source": NUL}),
    ),
    (
        "prompts-deep-metadata",
        jsonl("prompts", "metadata", metadata=nested(limits.MAX_DEPTH + 1)),
    ),
    (
        "prompts-nul-turn",
        jsonl(
            "prompts",
            "turns[0].content",
            drop=("prompt",),
            turns=[{"role": "user", "content": NUL}],
        ),
    ),
    (
        "prompts-long-third-turn",
        jsonl(
            "prompts",
            "turns[2].content",
            drop=("prompt",),
            categories=["dialogue", "writing"],
            turns=[
                {"role": "user", "content": "One?"},
                {"role": "assistant", "content": "One."},
                {"role": "user", "content": LONG_TEXT},
            ],
        ),
    ),
    (
        "prompts-long-system-turn",
        jsonl(
            "prompts",
            "turns[0].content",
            drop=("prompt",),
            turns=[
                {"role": "system", "content": LONG_TEXT},
                {"role": "user", "content": "One?"},
            ],
        ),
    ),
    (
        "prompts-more-user-turns-than-the-column",
        jsonl(
            "prompts",
            "turns",
            drop=("prompt",),
            categories=["dialogue", "writing"],
            turns=[
                {"role": "user" if i % 2 == 0 else "assistant", "content": "x"}
                for i in range(2 * 32_768 - 1)
            ],
        ),
    ),
    (
        "prompts-more-turns-than-the-maximum",
        jsonl(
            "prompts",
            "turns",
            drop=("prompt",),
            categories=["dialogue", "writing"],
            turns=[
                {"role": "user" if i % 2 == 0 else "assistant", "content": "x"}
                for i in range(limits.MAX_TURNS + 1)
            ],
        ),
    ),
    (
        "prompts-collection-method-a-list",
        jsonl("prompts", "collection_method", collection_method=["chatgpt"]),
    ),
    (
        "prompts-long-category-in-list",
        jsonl("prompts", "categories", drop=("category",), categories=[LONG_NAME]),
    ),
]

GENERATION_CASES = [
    *_per_kind("generations", ["prompt_id", "model"], ["text"]),
    *_csv_cases("generations", ["prompt_id", "model", "text"]),
    (
        "generations-prompt-tokens-2^31",
        jsonl("generations", "prompt_tokens", prompt_tokens=TOO_BIG),
    ),
    (
        "generations-completion-tokens-2^31",
        jsonl("generations", "completion_tokens", completion_tokens=TOO_BIG),
    ),
    (
        "generations-tokens-10^30",
        jsonl("generations", "completion_tokens", completion_tokens=10**30),
    ),
    (
        "generations-tokens-5000-digits",
        raw_line(
            "generations",
            json.dumps(second("generations"))[:-1]
            + ', "prompt_tokens": "'
            + "9" * 5000
            + '"}',
            "prompt_tokens",
        ),
    ),
    (
        "generations-tokens-negative",
        jsonl("generations", "prompt_tokens", prompt_tokens=-1),
    ),
    (
        "generations-tokens-fraction",
        jsonl("generations", "prompt_tokens", prompt_tokens=1.5),
    ),
    (
        "generations-csv-tokens-2^31",
        csv_file("generations", "prompt_tokens", prompt_tokens=str(TOO_BIG)),
    ),
    (
        "generations-csv-metadata-nul",
        csv_file("generations", "metadata.x[0]", metadata='{"x": ["\\u0000"]}'),
    ),
    (
        "generations-csv-metadata-nan",
        csv_file("generations", "metadata.x", metadata='{"x": NaN}'),
    ),
    (
        "generations-csv-metadata-deeper-than-python",
        csv_file("generations", "metadata", metadata='{"x": ' + ABYSS + "}"),
    ),
    (
        "generations-nul-metadata",
        jsonl("generations", "metadata.k", metadata={"k": f"v{NUL}"}),
    ),
    (
        "generations-deep-metadata",
        jsonl("generations", "metadata", metadata=nested(limits.MAX_DEPTH + 1)),
    ),
    (
        "generations-metadata-infinity",
        jsonl("generations", "metadata.t", metadata={"t": float("-inf")}),
    ),
]

RATING_CASES = [
    *_per_kind("ratings", ["prompt_id", "model_a", "model_b", "pair_id"], []),
    *_csv_cases("ratings", ["annotator", "comment", "model_a"]),
    ("ratings-nul-annotator", jsonl("ratings", "annotator", annotator=f"a{NUL}")),
    ("ratings-long-annotator", jsonl("ratings", "annotator", annotator="a" * 151)),
    (
        "ratings-annotator-not-a-username",
        jsonl("ratings", "annotator", annotator="a b"),
    ),
    ("ratings-nul-comment", jsonl("ratings", "comment", comment=f"fine{NUL}")),
    (
        "ratings-long-comment",
        jsonl("ratings", "comment", comment="c" * (limits.MAX_COMMENT_CHARS + 1)),
    ),
    ("ratings-nul-created-at", jsonl("ratings", "created_at", created_at=NUL)),
    ("ratings-february-30", jsonl("ratings", "created_at", created_at="2023-02-30")),
    (
        "ratings-february-30-with-time",
        jsonl("ratings", "created_at", created_at="2023-02-30T10:00:00Z"),
    ),
    ("ratings-month-13", jsonl("ratings", "created_at", created_at="2023-13-01")),
    (
        "ratings-hour-25",
        jsonl("ratings", "created_at", created_at="2023-01-01T25:00:00"),
    ),
    ("ratings-year-1999", jsonl("ratings", "created_at", created_at="1999-12-31")),
    ("ratings-year-3000", jsonl("ratings", "created_at", created_at="3000-01-01")),
    (
        "ratings-year-9999-west",
        jsonl("ratings", "created_at", created_at="9999-12-31T23:59:59-12:00"),
    ),
    ("ratings-created-at-number", jsonl("ratings", "created_at", created_at=20230101)),
    ("ratings-seconds-negative", jsonl("ratings", "seconds", seconds=-1)),
    ("ratings-seconds-nan", jsonl("ratings", "seconds", seconds=float("nan"))),
    ("ratings-seconds-infinity", jsonl("ratings", "seconds", seconds=float("inf"))),
    ("ratings-seconds-1e400", raw_line("ratings", '{"seconds": 1e400}', "seconds")),
    (
        "ratings-seconds-10^400",
        raw_field("ratings", "seconds", "1" + "0" * 400),
    ),
    (
        "ratings-seconds-over-a-day",
        jsonl("ratings", "seconds", seconds=limits.MAX_SECONDS + 1),
    ),
    ("ratings-csv-seconds-nan", csv_file("ratings", "seconds", seconds="nan")),
    ("ratings-csv-seconds-inf", csv_file("ratings", "seconds", seconds="inf")),
    ("ratings-csv-seconds-negative", csv_file("ratings", "seconds", seconds="-2")),
    (
        "ratings-csv-february-30",
        csv_file("ratings", "created_at", created_at="2023-02-30"),
    ),
    ("ratings-choice-2^31", jsonl("ratings", "choice", choice=TOO_BIG)),
    ("ratings-choice-nan", jsonl("ratings", "choice", choice=float("nan"))),
    ("ratings-long-candidate", jsonl("ratings", "candidate", candidate=LONG_NAME)),
]

UPLOADS = [
    pytest.param(upload, id=name)
    for name, upload in PROMPT_CASES + GENERATION_CASES + RATING_CASES
]
# A sample through the admin upload pages: the same service, errors on the form.
ADMIN_SAMPLE = [
    pytest.param(upload, id=name)
    for name, upload in PROMPT_CASES + GENERATION_CASES + RATING_CASES
    if name
    in {
        "prompts-nul-id",
        "prompts-long-prompt",
        "prompts-csv-raw-nul-note",
        "generations-prompt-tokens-2^31",
        "generations-deep-metadata",
        "generations-utf16",
        "ratings-february-30",
        "ratings-seconds-nan",
        "ratings-csv-raw-nul-comment",
        "ratings-long-annotator",
    }
]


@pytest.fixture(scope="module")
def stored(django_db_setup, django_db_blocker):
    """A prompt set with two prompts answered by two models, and an annotator who
    holds a lease in an open evaluation; committed once for the module."""
    with django_db_blocker.unblock():
        prompts_import(
            prompt_set_name="set",
            file_name="p.jsonl",
            data="\n".join(
                json.dumps({"id": f"p{i}", "prompt": f"Q{i}?", "category": "dialogue"})
                for i in (1, 2)
            ).encode(),
        )
        generations_import(
            prompt_set_name="set",
            file_name="g.jsonl",
            data="\n".join(
                json.dumps({"prompt_id": f"p{i}", "model": m, "text": f"{m} {i}"})
                for i in (1, 2)
                for m in ("cand", "base")
            ).encode(),
        )
        evaluation, _, (annotator,) = build_evaluation(
            pairs=1, annotators=1, per_pair=1
        )
        lease = assignment_next(evaluation=evaluation, annotator=annotator)
        admin = UserFactory(
            username="bad-input-admin", is_superuser=True, is_staff=True
        )
    yield {"annotator": annotator, "lease": lease, "admin": admin}
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


def counts() -> dict[str, int]:
    models = [Prompt, PromptSet, Generation, ChatModel, Evaluation, Comparison]
    models += [Rating, Assignment, get_user_model()]
    counted = {model.__name__: model.objects.count() for model in models}
    counted["leased"] = Assignment.objects.filter(state="leased").count()
    return counted


@pytest.fixture
def admin_client(client, stored, db):
    client.force_login(stored["admin"])
    return client


@pytest.fixture
def annotator_client(client, stored, db):
    client.force_login(stored["annotator"])
    return client


def _post_file(client, url: str, upload: Upload, extra: dict | None = None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = {**FORMS[upload.kind], **(extra or {})}
    form["file"] = SimpleUploadedFile(upload.file_name, upload.body)
    return client.post(url, form)


def test_the_corpus_is_large():
    assert len(UPLOADS) >= 100


@pytest.mark.parametrize("upload", UPLOADS)
def test_import_api_refuses_naming_line_and_field(admin_client, upload):
    before = counts()
    response = _post_file(admin_client, f"/api/imports/{upload.kind}/", upload)
    assert response.status_code == 400, response.content[:500]
    errors = response.json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(upload.line, upload.field)]
    assert errors[0]["message"]
    assert counts() == before


@pytest.mark.parametrize("upload", ADMIN_SAMPLE)
def test_admin_upload_page_refuses_naming_line_and_field(admin_client, upload):
    before = counts()
    response = _post_file(admin_client, ADMIN_PAGES[upload.kind], upload)
    assert response.status_code == 400  # as the API's; it was 200, the form again
    page = html.unescape(response.content.decode())
    where = f"line {upload.line}" + (
        f", field '{upload.field}'" if upload.field else ""
    )
    assert f"{where}: " in page
    assert counts() == before


FORM_FIELDS = [
    pytest.param("prompts", {"prompt_set": f"s{NUL}"}, "prompt_set", id="nul-set"),
    pytest.param("prompts", {"prompt_set": LONG_NAME}, "prompt_set", id="long-set"),
    pytest.param(
        "ratings", {"evaluation": f"e{NUL}"}, "evaluation", id="nul-evaluation"
    ),
    pytest.param("ratings", {"evaluation": LONG_NAME}, "evaluation", id="long-eval"),
    pytest.param("ratings", {"candidate": LONG_NAME}, "candidate", id="long-cand"),
    pytest.param("ratings", {"scale": "eleven"}, "scale", id="unknown-scale"),
]


@pytest.mark.parametrize(("kind", "fields", "field"), FORM_FIELDS)
def test_import_api_refuses_bad_form_fields(admin_client, kind, fields, field):
    before = counts()
    upload = Upload(kind, good_line(kind), 1, None)
    response = _post_file(admin_client, f"/api/imports/{kind}/", upload, fields)
    assert response.status_code == 400
    # The import error's shape, the form's fields named (a new-user pass got DRF's
    # field map where the schema promises "errors").
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (None, field)
    assert error["message"]
    assert counts() == before


RATING_API = [
    pytest.param({"choice": 1, "comment": f"a{NUL}b"}, "comment", id="nul-comment"),
    pytest.param(
        {"choice": 1, "comment": "c" * (limits.MAX_COMMENT_CHARS + 1)},
        "comment",
        id="long-comment",
    ),
    pytest.param({"choice": 1, "seconds": -1}, "seconds", id="negative-seconds"),
    pytest.param({"choice": 1, "seconds": "nan"}, "seconds", id="nan-seconds"),
    pytest.param({"choice": 1, "seconds": "Infinity"}, "seconds", id="inf-seconds"),
    pytest.param({"choice": 1, "seconds": 1e9}, "seconds", id="year-of-seconds"),
    # float(True) is 1.0: stored as one second (a third API pass).
    pytest.param({"choice": 1, "seconds": True}, "seconds", id="true-seconds"),
    pytest.param({"choice": TOO_BIG}, "choice", id="choice-2^31"),
    pytest.param({"choice": 4}, "choice", id="choice-off-scale"),
    pytest.param({"choice": f"1{NUL}"}, "choice", id="nul-choice"),
    pytest.param({"seconds": 3}, "choice", id="no-choice"),
]


@pytest.mark.parametrize(("body", "field"), RATING_API)
def test_rating_api_refuses_naming_the_field(annotator_client, stored, body, field):
    before = counts()
    response = annotator_client.post(
        f"/api/assignments/{stored['lease'].pk}/rating/",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    answer = response.json()
    # One shape, the schema's Error: detail and code (a new-user pass got DRF's
    # field map from some bodies and {detail, code} from others).
    assert answer["code"] == "invalid"
    assert answer["detail"].startswith(f"{field}:")
    assert set(answer.get("fields", {field: []})) == {field}
    assert counts() == before


def _signed_in_path(client, stored, url: str) -> str:
    """Sign in as the one who may post to ``url`` ("rating": the annotator's
    leased pair; "chat-models": the admin's) and return its path."""
    if url == "rating":
        client.force_login(stored["annotator"])
        return f"/api/assignments/{stored['lease'].pk}/rating/"
    client.force_login(stored["admin"])
    return "/api/chat-models/"


@pytest.mark.parametrize("url", ["rating", "chat-models"])
def test_a_body_nested_too_deeply_for_the_decoder_is_a_400(client, stored, db, url):
    """Five thousand nested lists: Python's JSON decoder gives up (RecursionError),
    which DRF's parser let through as a 500."""
    before = counts()
    deep = '{"choice": ' + "[" * 5000 + "]" * 5000 + "}"
    path = _signed_in_path(client, stored, url)
    response = client.post(path, deep, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == "JSON parse error - nested too deeply"
    assert counts() == before


@pytest.mark.parametrize("url", ["rating", "chat-models"])
def test_an_unknown_field_named_by_a_lone_surrogate_is_a_400(client, stored, db, url):
    """``{"\\ud800": 1}`` is valid JSON but its name no UTF-8: the 400 naming it
    failed to render, a 500. A long unknown name was echoed whole."""
    before = counts()
    path = _signed_in_path(client, stored, url)
    body = '{"choice": 1, "\\ud800": 1, "' + "k" * 5000 + '": 2}'
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400, response.content
    fields = response.json().get("fields", response.json())
    assert "\ud800" in fields  # echoed as sent, in a JSON escape
    assert "k" * 40 in fields
    assert counts() == before


@pytest.mark.parametrize(
    "body",
    [
        '{"choice": 1, "safety_a": "\\ud800", "safety_b": "safe"}',
        '{"action": "\\ud800"}',
    ],
    ids=["safety", "action"],
)
def test_a_lone_surrogate_echoed_by_a_message_is_a_400(client, stored, db, body):
    """DRF's "\\ud800" is not a valid choice." could not be written as UTF-8: a
    500 on the rating and item answer endpoints, the chat models' too."""
    before = counts()
    client.force_login(stored["annotator"])
    pair = client.get(f"/api/assignments/{stored['lease'].pk}/").json()
    url = (
        pair["answer_url"]
        if "action" in body
        else f"/api/assignments/{pair['assignment']}/rating/"
    )
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert "\ud800" in response.json()["detail"]
    client.force_login(stored["admin"])
    response = client.post(
        "/api/chat-models/",
        '{"name": "m", "base_url": "http://127.0.0.1:9/v1", "model_id": "m", '
        '"system_prompt_preset": "\\ud800"}',
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert counts() == before


RATING_PAGE = [
    pytest.param("rate", {"choice": "1", "comment": f"a{NUL}"}, "comment", id="rate"),
    pytest.param("skip", {"comment": NUL}, "comment", id="skip"),
    pytest.param("flag", {"comment": f"broken{NUL}"}, "comment", id="flag"),
    pytest.param("rate", {"choice": "1", "seconds": "nan"}, "seconds", id="nan"),
    pytest.param("rate", {"choice": "1", "seconds": "inf"}, "seconds", id="inf"),
    pytest.param("rate", {"choice": "1", "seconds": "-5"}, "seconds", id="negative"),
    pytest.param("rate", {"choice": str(TOO_BIG)}, "choice", id="choice-2^31"),
    pytest.param("rate", {"choice": f"1{NUL}"}, "choice", id="nul-choice"),
]


@pytest.mark.parametrize(("action", "form", "field"), RATING_PAGE)
def test_rating_page_refuses_naming_the_field(
    annotator_client, stored, action, form, field
):
    before = counts()
    response = annotator_client.post(
        f"/assignments/{stored['lease'].pk}/answer/",
        {"action": action, **form},
        HTTP_X_REQUESTED_WITH="fetch",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"].startswith(f"{field}:")
    assert counts() == before


def test_rating_page_without_javascript_refuses_a_nul_comment(annotator_client, stored):
    before = counts()
    response = annotator_client.post(
        f"/assignments/{stored['lease'].pk}/answer/",
        {"action": "flag", "comment": NUL},
    )
    assert response.status_code == 400
    assert response.content.decode().startswith("comment:")
    assert counts() == before


EVALUATIONS = [
    pytest.param({"annotators_per_pair": 21}, "annotators_per_pair", id="per-pair-21"),
    pytest.param(
        {"annotators_per_pair": 32_768}, "annotators_per_pair", id="per-pair-smallint"
    ),
    pytest.param({"annotators_per_pair": 0}, "annotators_per_pair", id="per-pair-0"),
    pytest.param({"name": f"e{NUL}"}, "name", id="nul-name"),
    pytest.param({"name": LONG_NAME}, "name", id="long-name"),
    pytest.param({"guidelines": f"g{NUL}"}, "guidelines", id="nul-guidelines"),
    pytest.param({"guidelines": LONG_TEXT}, "guidelines", id="long-guidelines"),
    pytest.param({"prompt_set": f"set{NUL}"}, "prompt_set", id="nul-prompt-set"),
    pytest.param({"prompt_set": LONG_NAME}, "prompt_set", id="long-prompt-set"),
    pytest.param({"candidate": f"cand{NUL}"}, "candidate", id="nul-candidate"),
    pytest.param(
        {"chat_models": ["cand", f"base{NUL}"]}, "chat_models", id="nul-chat-model"
    ),
    # A field the API does not take was passed over (a new-user pass); a pool
    # naming someone who is no annotator is refused naming the pool.
    pytest.param({"pool": ["no-such-annotator"]}, "pool", id="unknown-annotator"),
    pytest.param({"pool_size": 3}, "pool_size", id="unknown-field"),
    pytest.param({"adaptive_width": True}, "adaptive_width", id="true-width"),
]


@pytest.mark.parametrize(("changes", "field"), EVALUATIONS)
def test_evaluation_api_refuses_naming_the_field(admin_client, changes, field):
    before = counts()
    body = {"name": "new", "prompt_set": "set", "candidate": "cand"}
    body |= {"baseline": "base", **changes}
    response = admin_client.post(
        "/api/evaluations/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field]
    assert counts() == before


def test_evaluation_api_refuses_a_head_to_head_and_a_tournament_at_once(admin_client):
    """candidate and baseline with chat_models made a tournament, dropping the two
    without a word (a new-user pass)."""
    before = counts()
    body = {"name": "both", "prompt_set": "set", "candidate": "cand",
            "baseline": "base", "chat_models": ["cand", "base"]}  # fmt: skip
    response = admin_client.post(
        "/api/evaluations/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert sorted(response.json()) == ["baseline", "candidate"]
    assert "not both" in response.json()["candidate"][0]
    assert counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "EXISTING"}, "name"),
        ({"baseline": "cand"}, "baseline"),
        ({"baseline": ""}, "candidate"),
        ({"safety_labels": True}, "safety_labels"),
    ],
)
def test_evaluation_api_service_errors_name_the_field(
    admin_client, stored, changes, field
):
    """What only the service can check (a taken name, the two sides) is keyed by
    the field it is about, as the serializer's own errors are (it was a "detail"
    starting with the field's name)."""
    if changes.get("name") == "EXISTING":
        changes["name"] = Evaluation.objects.first().name
    before = counts()
    body = {"name": "fresh", "prompt_set": "set", "candidate": "cand"}
    body |= {"baseline": "base", **changes}
    if body["baseline"] == "":
        del body["baseline"]
    response = admin_client.post(
        "/api/evaluations/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()) == [field], response.json()
    assert counts() == before


HUGE_ID = "9" * 20  # beyond 64-bit integers: SQLite raised OverflowError on it
HUGE_ID_URLS = [
    ("post", f"/api/assignments/{HUGE_ID}/rating/"),
    ("post", f"/api/assignments/{HUGE_ID}/skip/"),
    ("post", f"/api/assignments/{HUGE_ID}/flag/"),
    ("post", f"/assignments/{HUGE_ID}/answer/"),
    ("post", f"/evaluations/1/quality/{HUGE_ID}/pause/"),
    ("get", f"/authoring/sets/{HUGE_ID}/"),
    ("get", f"/reports/{HUGE_ID}/"),
    ("get", f"/api/reports/{HUGE_ID}/"),
]


@pytest.mark.parametrize(("method", "url"), HUGE_ID_URLS)
def test_an_id_longer_than_any_id_is_not_found(admin_client, method, url):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(url)
    before = counts()
    response = getattr(admin_client, method)(url, {"choice": 1})
    assert response.status_code == 404
    assert counts() == before


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("rating", {}),  # no choice
        ("rating", {"choice": 1, "seconds": -5}),
        ("rating", {"choice": 1, "seconds": 3}),  # valid
        ("flag", {"comment": NUL}),
    ],
)
def test_someone_elses_assignment_is_a_404_whatever_the_body(
    client, db, stored, action, body
):
    """Validation comes after ownership: a 400 would tell a stranger the
    assignment exists, and what it wants."""
    stranger = UserFactory(username="stranger")
    client.force_login(stranger)
    before = counts()
    response = client.post(
        f"/api/assignments/{stored['lease'].pk}/{action}/",
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert counts() == before
