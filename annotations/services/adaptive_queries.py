"""The SQL of adaptive allocation in tournaments: the model pairs' counts for the
rule (``allocation_adaptive``), and the untouched part of the leasing window in the
rule's order (docs/adaptive-allocation.md).

The window's untouched part reads the same pairs as the uniform one (untouched, not
the annotator's); only their order differs: the rule's model pairs first, in its
order, each model pair's comparisons in the annotator's own order. Model pairs past
the first ``PRIORITY_LIMIT`` come last, in the annotator's own order. The room check
stays in the lease's statement (``pair_queries.lease_if_room``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from ..allocation import OWN_ORDER_PRIME
from ..allocation_adaptive import PairTally
from .pair_queries import NOT_THEIRS, OWN_ORDER
from .sql import C, G, R, bound

PRIORITY_LIMIT = 64  # model pairs named in the window statement
# A model pair's position counts for more than any own-order key (below the prime).
_LAST = PRIORITY_LIMIT

# Per ordered (candidate model, baseline model): the outcomes of complete
# comparisons' ratings (the candidate's view: positive, tie, negative), the
# comparisons in progress (started: leased or partly rated) and the untouched ones.
# Pairs a flag review excluded count for nothing.
_TALLIES = f"""
SELECT fg.chat_model_id, sg.chat_model_id,
  COALESCE(SUM(CASE WHEN r.score > 0 THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN r.score < 0 THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN r.score = 0 THEN 1 ELSE 0 END), 0),
  COUNT(DISTINCT CASE WHEN c.stage = %(started)s THEN c.id END),
  COUNT(DISTINCT CASE WHEN c.stage = %(untouched)s THEN c.id END)
FROM {C} c
JOIN {G} fg ON fg.id = c.candidate_generation_id
JOIN {G} sg ON sg.id = c.baseline_generation_id
LEFT JOIN {R} r ON r.comparison_id = c.id AND c.stage = %(complete)s
WHERE c.evaluation_id = %(evaluation)s AND NOT c.excluded
GROUP BY fg.chat_model_id, sg.chat_model_id
"""

_UNTOUCHED = f"""SELECT * FROM (
  SELECT c.id, 0 AS occupied, 1 AS part,
    COALESCE(pr.position, CAST(%(last_position)s AS BIGINT)) * {OWN_ORDER_PRIME}
      + {OWN_ORDER} AS own
  FROM {C} c
  JOIN {G} fg ON fg.id = c.candidate_generation_id
  JOIN {G} sg ON sg.id = c.baseline_generation_id
  LEFT JOIN priority pr
    ON pr.first_model = fg.chat_model_id AND pr.second_model = sg.chat_model_id
  WHERE c.evaluation_id = %(evaluation)s AND c.stage = %(untouched)s
  AND {NOT_THEIRS}
  ORDER BY own, c.id
  LIMIT %(limit)s {{lock}}
) u"""


def model_pair_tallies(*, evaluation_id: int) -> list[PairTally]:
    """What the rule counts, per ordered model pair of the evaluation's comparisons."""
    with connection.cursor() as cursor:
        cursor.execute(_TALLIES, bound(evaluation=evaluation_id))
        rows = cursor.fetchall()
    return [PairTally(*(int(value) for value in row)) for row in rows]


def untouched_by_priority(
    priority: Sequence[tuple[int, int]],
) -> tuple[str, str, dict]:
    """The window's untouched part in the order of ``priority`` (model id pairs,
    either orientation matches): (the WITH clause, the part, their values)."""
    named = list(priority[:PRIORITY_LIMIT])
    rows, values = [], {"last_position": _LAST}
    for k, (first, second) in enumerate(named):
        for side, (one, two) in enumerate(((first, second), (second, first))):
            key = f"pr{k}_{side}"
            rows.append(f"(%({key}a)s, %({key}b)s, CAST(%({key}p)s AS BIGINT))")
            values.update({f"{key}a": one, f"{key}b": two, f"{key}p": k})
    if not rows:  # nothing named: an empty table of the right shape
        rows.append("(0, 0, CAST(%(last_position)s AS BIGINT))")
    prefix = (
        "WITH priority(first_model, second_model, position) AS (VALUES "
        + ", ".join(rows)
        + ")\n"
    )
    return prefix, _UNTOUCHED, values
