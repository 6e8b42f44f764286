"""Checking records batch by batch, and PostgreSQL ``COPY`` into staging tables.

The import services read a file once, as a stream of records: each batch is checked
in Python and, on PostgreSQL, copied into a temporary staging table; the checks that
need the whole file (duplicates, conflicts with stored rows) then run in SQL. Peak
memory is one batch of records plus what the reader holds, whatever the file's size.
"""

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import IO, Any

from django.db import connection

from .reader import MAX_ERRORS, ImportFileError, Record, check_records

# Records checked (and copied) at a time. Small batches keep what a batch holds
# short-lived: Python's cyclic garbage collector then rarely runs while a file is
# read (at 5,000 its passes took half the CPU of parsing 100,000 prompts; at 250,
# none), and memory stays small; each batch costs one COPY round trip.
BATCH_SIZE = 250
# Bytes hashed at a time when the upload is a file.
HASH_CHUNK_BYTES = 1 << 20

Progress = Callable[[int], None]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def file_sha256(data: bytes | IO[bytes]) -> str:
    """The SHA-256 of an upload's bytes; a file is read in chunks and rewound."""
    if isinstance(data, bytes | bytearray | memoryview):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    start = data.tell()
    while chunk := data.read(HASH_CHUNK_BYTES):
        digest.update(chunk)
    data.seek(start)
    return digest.hexdigest()


def checked_batches(
    records: Iterable[Record],
    check: Callable[[Record], Any],
    *,
    progress: Progress | None = None,
    batch_size: int | None = None,
) -> Iterator[list[tuple[Record, Any]]]:
    """Yield ``(record, check(record))`` pairs a batch at a time, in one pass.

    Once a record fails, the rest of the file is still checked (up to MAX_ERRORS
    errors, so that a user can fix a file in one go) but no further batch is
    yielded; the errors are raised together at the end. ``progress`` is called
    after each batch with the number of records read so far.
    """
    batch_size = batch_size or BATCH_SIZE
    errors: list = []
    read = 0
    iterator = iter(records)
    while True:
        try:
            batch = list(islice(iterator, batch_size))
        except ImportFileError as exc:  # the reader's own errors come first
            raise ImportFileError([*exc.errors, *errors][:MAX_ERRORS]) from None
        if not batch:
            break
        read += len(batch)
        try:
            checked = check_records(batch, check)
        except ImportFileError as exc:
            errors.extend(exc.errors)
        else:
            if not errors:
                yield checked
        if progress is not None:
            progress(read)
        if len(errors) >= MAX_ERRORS:
            break
    if errors:
        raise ImportFileError(errors[:MAX_ERRORS])


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """``COPY`` rows into a table of the current transaction (PostgreSQL only).

    Uses psycopg 3's ``Cursor.copy`` on Django's underlying DB-API connection.
    JSON values are given as JSON text; PostgreSQL parses them into the column type.
    """
    connection.ensure_connection()
    names = ", ".join(columns)
    sql = f"COPY {table} ({names}) FROM STDIN"
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)
