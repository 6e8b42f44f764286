"""Signals for writes that fire no model signals (``bulk_update``, ``update()``)."""

from django.dispatch import Signal

# Sent by a service after a bulk write changed existing rows of ``sender`` (a model
# class) in place, with the keyword ``pks`` (their primary keys). Listeners treat it
# as ``post_save`` of each row; the report cache (``reports.invalidation``) does.
rows_changed = Signal()
