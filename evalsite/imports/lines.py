"""Reading an uploaded file as a stream of numbered UTF-8 lines, in bounded memory.

Lines are split on "\\n" only (a "\\r" before it stays, for the readers to drop):
``str.splitlines`` would also split on U+2028, U+2029, U+0085 and other
separators, which are valid inside JSON strings. Each line is decoded on its own,
which is exact for UTF-8: the byte 0x0A never occurs inside a multi-byte character.
"""

import hashlib
import io
from collections.abc import Iterator
from typing import BinaryIO

from django.conf import settings

# Byte order marks of encodings other than UTF-8, longest first.
_OTHER_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"

# What an import reads: the whole file, or a seekable binary file object
# positioned at its start.
Source = bytes | BinaryIO


# How binary files an upload might be mistaken for begin: zip (xlsx, docx, ods),
# gzip and the old Office format (xls).
_BINARY_SIGNATURES = (b"PK\x03\x04", b"\x1f\x8b", b"\xd0\xcf\x11\xe0")
_BINARY = (
    "the file is not text but binary (a spreadsheet or an archive?); save it as "
    "UTF-8 text, CSV or JSON Lines"
)


class LineProblem(Exception):
    """The file cannot be read as UTF-8 text; ``line`` is None for the whole file."""

    def __init__(self, line: int | None, message: str):
        self.line = line
        self.message = message
        super().__init__(message)


def open_source(source: Source) -> BinaryIO:
    """The source as a binary stream, after checking its size and encoding."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    limit = settings.EVALSITE_MAX_UPLOAD_BYTES
    if size > limit:
        raise LineProblem(None, f"the file is over the size limit of {limit} bytes")
    stream.seek(start)
    head = stream.read(4)
    stream.seek(start)
    for bom, encoding in _OTHER_BOMS:
        if head.startswith(bom):
            raise LineProblem(1, f"the file is {encoding} text; save it as UTF-8")
    if head.startswith(_BINARY_SIGNATURES) or (
        b"\x00" in head and not _wide_ascii(head)
    ):
        raise LineProblem(1, _BINARY)
    if b"\x00" in head:
        message = "the file looks like UTF-16 or UTF-32 text; save it as UTF-8"
        raise LineProblem(1, message)
    return stream


def _wide_ascii(head: bytes) -> bool:
    """Whether the first bytes are ASCII in UTF-16 or UTF-32 without a byte order
    mark: each character's one byte beside NUL bytes, in either byte order."""
    nul = [byte == 0 for byte in head]
    patterns = (
        [False, True, False, True],  # UTF-16LE
        [True, False, True, False],  # UTF-16BE
        [False, True, True, True],  # UTF-32LE
        [True, True, True, False],  # UTF-32BE
    )
    return any(nul == pattern[: len(nul)] for pattern in patterns)


def source_sha256(source: Source) -> str:
    """The SHA-256 of the whole source, read in chunks; a stream is left where it was."""
    if isinstance(source, bytes | bytearray):
        return hashlib.sha256(source).hexdigest()
    start = source.tell()
    digest = hashlib.sha256()
    for chunk in iter(lambda: source.read(1 << 20), b""):
        digest.update(chunk)
    source.seek(start)
    return digest.hexdigest()


def text_lines(stream: BinaryIO) -> Iterator[tuple[int, str]]:
    """Number and decode the lines of a stream, each with its "\\n" if it has one."""
    for number, raw in enumerate(iter(stream.readline, b""), start=1):
        if number == 1:
            raw = raw.removeprefix(_UTF8_BOM)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = (
                f"not valid UTF-8 text (byte 0x{raw[exc.start]:02x} at column "
                f"{exc.start + 1}); save the file as UTF-8"
            )
            raise LineProblem(number, message) from None
        yield number, text
