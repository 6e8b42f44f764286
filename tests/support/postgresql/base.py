"""PostgreSQL for the test suite: Django's backend with a flush that deletes.

A transactional test (a live server, a Celery worker, racing threads: what must see
committed rows) ends with Django's ``flush``, which empties every table with one
``TRUNCATE``. PostgreSQL truncates by giving each table and index a new file: on this
project's 54 tables about 0.4 s of the server's CPU, after every such test. The tables
a test leaves hold a few rows, and ``DELETE`` empties them in about 10 ms. Both keep
the sequences (Django resets them only when a test asks, and then this backend leaves
the flush to Django's own). The foreign keys Django creates on PostgreSQL are
checked at commit, and the flush runs in one transaction, so the order of the
deletes does not matter.

The documented way to change a backend: subclass it and name the package as the
ENGINE (tests/settings.py).
"""

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences:
            return super().sql_flush(
                style, tables, reset_sequences=True, allow_cascade=allow_cascade
            )
        return [
            f"{style.SQL_KEYWORD('DELETE FROM')} "
            f"{style.SQL_FIELD(self.quote_name(table))};"
            for table in tables
        ]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
