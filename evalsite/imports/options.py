"""The names an import is given beside its file (a prompt set, an evaluation, a
judge), checked on every path as the upload forms and the API check them."""

from .fields import text_field
from .limits import MAX_NAME_CHARS
from .reader import FieldError, ImportFileError, LineError


def name_option(value: str, field: str) -> str:
    """``value`` without its surrounding spaces, as a form's field takes it;
    ImportFileError naming ``field`` when it is empty, holds a NUL or is longer
    than MAX_NAME_CHARS (a command passes its options on unchecked: "" made a prompt
    set of that name, and a name too long for its column crashed the import)."""
    try:
        return text_field({field: value}, field, max_length=MAX_NAME_CHARS)
    except FieldError as exc:
        raise ImportFileError([LineError(None, field, exc.message)]) from None
