"""The import reader's CSV: quote marks read strictly, rows named by the line where
they start, and the traces of two files joined end to end refused; in every case
the error names the line and nothing is read from a refused file."""

import pytest

from evalsite.imports.reader import ImportFileError, read_records


def _errors(text: str) -> list[tuple]:
    with pytest.raises(ImportFileError) as caught:
        read_records(file_name="f.csv", data=text.encode())
    return [(e.line, e.field, e.message) for e in caught.value.errors]


def _records(text: str) -> list[tuple]:
    return [
        (r.line, r.data) for r in read_records(file_name="f.csv", data=text.encode())
    ]


def test_a_stray_quote_mark_is_refused_not_dropped():
    [(line, field, message)] = _errors('id,prompt\nv0,fine\nv1,"To be" or not?\n')
    assert (line, field) == (3, None)
    assert "quote mark" in message


def test_an_unclosed_quote_does_not_swallow_the_rows_after_it():
    text = 'id,prompt,category\nv2,"Unclosed quote,c\nv3,"Second",c\nv4,third,c\n'
    [(line, _, message)] = _errors(text)
    assert line == 2  # where the bad row starts
    assert "left open" in message


def test_a_quote_left_open_to_the_end_of_the_file_is_refused():
    [(line, _, message)] = _errors('id,prompt\nu1,ok\nu2,"never closed\n')
    assert line == 3
    assert "quote mark" in message


def test_quoted_values_with_commas_newlines_and_doubled_quotes_are_read():
    text = 'id,prompt\r\nq1,"a, b"\r\nq2,"say ""hi""\nthen go"\r\nq3,plain\r\n'
    assert _records(text) == [
        (2, {"id": "q1", "prompt": "a, b"}),
        (3, {"id": "q2", "prompt": 'say "hi"\nthen go'}),
        (5, {"id": "q3", "prompt": "plain"}),
    ]


def test_a_second_header_is_refused():
    text = "id,prompt\nh1,first\nid,prompt\nh2,second\n"
    assert _errors(text) == [(3, None, "the header again (were two files joined?)")]


def test_a_byte_order_mark_inside_the_file_is_refused():
    text = "id,prompt\ne8,a\n\ufeffe9,b\n"
    [(line, _, message)] = _errors(text)
    assert line == 3
    assert "byte order mark" in message


def test_a_column_named_twice_is_refused():
    assert _errors("id,prompt,category,prompt\nz1,a,c,b\n") == [
        (1, "prompt", "column named twice in the CSV header")
    ]


def test_blank_lines_do_not_shift_the_lines_named():
    text = "id,prompt\n\nb1,one\n\n\nb2,two,extra\n"
    assert _errors(text) == [(6, None, "more values than columns")]


@pytest.mark.django_db
def test_a_stray_quote_in_an_upload_is_a_400_naming_the_line_and_stores_nothing(
    client, admin_user
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from generations.models import Prompt, PromptSet

    client.force_login(admin_user)
    data = b'id,prompt,category\nv1,"To be" or not to be?,c\nv2,fine,c\n'
    response = client.post(
        "/api/imports/prompts/",
        {"prompt_set": "quotes", "file": SimpleUploadedFile("p.csv", data)},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["line"] == 2
    assert "quote mark" in error["message"]
    assert not Prompt.objects.exists()
    assert not PromptSet.objects.filter(name="quotes").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "ID,Prompt,category\nq1,hi,c\n",
            "column missing from the CSV header (it has 'ID': column names are "
            "lower case)",
        ),
        (
            "id\tprompt\tcategory\nq1\thi\tc\n",
            "column missing from the CSV header: its values are separated by "
            "tabs, not commas",
        ),
        (
            "id;prompt;category\nq1;hi;c\n",
            "column missing from the CSV header: its values are separated by "
            "semicolons, not commas",
        ),
        ("ident,question,category\nq1,hi,c\n", "column missing from the CSV header"),
    ],
)
def test_a_missing_column_says_why_where_it_can(text, message):
    """A new-admin pass: a header in capitals, or a file of tab- or
    semicolon-separated values, was "column missing" for columns in plain view."""
    with pytest.raises(ImportFileError) as caught:
        read_records(
            file_name="f.csv",
            data=text.encode(),
            csv_columns=("id", "prompt", "category"),
        )
    first = caught.value.errors[0]
    assert (first.line, first.field, first.message) == (1, "id", message)


def test_a_column_with_no_name_is_left_out_while_its_cells_are_empty():
    """A trailing comma (a spreadsheet's empty last column) names no column: with
    a fixed set of columns it was an "unknown column" error naming nothing, and
    elsewhere its values were read under the name ""."""
    text = "id,prompt,,\nq1,Hi?,,\nq2,Bye?\n"
    known = ["id", "prompt"]
    assert [
        (r.line, r.data)
        for r in read_records(file_name="f.csv", data=text.encode(), csv_known=known)
    ] == [(2, {"id": "q1", "prompt": "Hi?"}), (3, {"id": "q2", "prompt": "Bye?"})]


@pytest.mark.parametrize("known", [None, ["id", "prompt"]])
def test_a_value_under_a_column_with_no_name_is_refused(known):
    text = "id,prompt,\nq1,Hi?,\nq2,Bye?,stray\n"
    with pytest.raises(ImportFileError) as caught:
        read_records(file_name="f.csv", data=text.encode(), csv_known=known)
    assert [(e.line, e.field, e.message) for e in caught.value.errors] == [
        (3, None, "a value in column 3, which has no name in the CSV header")
    ]


BLANK_CELLS = [
    # (import, CSV, the error: line, field, message)
    pytest.param(
        "prompts", "id,prompt,category\nq1,,dialogue\n",
        (2, "prompt", "must not be empty"), id="prompts-prompt",
    ),
    pytest.param(
        "prompts", "id,prompt,category\nq1,Hi?,\n",
        (2, "category", "must not be empty"), id="prompts-category",
    ),
    pytest.param(
        "generations", "prompt_id,model,text\np1,,Hello.\n",
        (2, "model", "must not be empty"), id="generations-model",
    ),
    pytest.param(
        "ratings", "prompt_id,model_a,model_b,annotator,choice\np1,a,b,,1\n",
        (2, "annotator", "must not be empty"), id="ratings-annotator",
    ),
    pytest.param(
        "ratings", "prompt_id,model_a,model_b,annotator,choice\np1,a,b,ann,\n",
        (2, "choice", "none given; pick one from 3 to -3"), id="ratings-choice",
    ),
]  # fmt: skip


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "text", "error"), BLANK_CELLS)
def test_a_blank_cell_of_a_required_column_says_it_is_empty(kind, text, error):
    """The reader left a blank cell out, so the check said "required field is
    missing" (or named ``turns`` for a blank ``prompt``) of a column that is there:
    a CSV now says what the same value says in JSONL."""
    from annotations.services.imports import ratings_import
    from generations.models import PromptSet
    from generations.services.imports import generations_import, prompts_import

    imports = {
        "prompts": lambda data: prompts_import(
            prompt_set_name="s", file_name="f.csv", data=data
        ),
        "generations": lambda data: generations_import(
            prompt_set_name="s", file_name="f.csv", data=data
        ),
        "ratings": lambda data: ratings_import(
            prompt_set_name="s", evaluation_name="e", scale="seven",
            file_name="f.csv", data=data,
        ),
    }  # fmt: skip
    PromptSet.objects.create(name="s")  # the ratings' evaluation needs one
    with pytest.raises(ImportFileError) as caught:
        imports[kind](text.encode())
    assert [(e.line, e.field, e.message) for e in caught.value.errors] == [error]
