"""The pairs' stage (``Comparison.stage``): one rule, and the one function that writes it."""

from __future__ import annotations

from collections.abc import Collection

from . import pair_queries


def stages_refresh(
    *, comparison_ids: Collection[int] = (), evaluation_id: int | None = None
) -> int:
    """Set the stage of these pairs, or of every pair of an evaluation, from their
    stored ratings and assignments; returns how many pairs changed stage.

    The rule: complete once a pair has its N ratings, started while it has a rating
    or a lease not yet ended, untouched otherwise. Leasing looks only at started and
    untouched pairs, so a pair must never be marked complete before it is.

    This is the only writer of ``Comparison.stage``. Call it in the transaction that
    changed a pair's ratings or assignments (leasing, answering, expiry, imports),
    after those writes; the pairs' rows are then locked by that transaction.
    """
    return pair_queries.stages_set(
        comparison_ids=comparison_ids, evaluation_id=evaluation_id
    )
