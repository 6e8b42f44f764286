"""The PostgreSQL path of a ratings import, second half: with the file staged and
checked (import_staged.py), create the comparisons its pairs lack and store its
ratings by set-based SQL, in the caller's transaction, keeping the exactly-N rule
(import_slots.py's rules: a new rating must find a free slot among the pair's
ratings and live leases). Reads the temporary tables ``import_resolved`` and
``import_rows``; makes ``import_pairs`` and ``import_final`` (dropped at commit or
rollback).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from evalsite.imports.reader import ImportConflictError, ImportFileError, LineError

from ..models import Evaluation, Rating
from . import import_slots
from .import_staged import MAX_SHOWN, execute, temp_table
from .sql import A, C, E, G, R, bound
from .stages import stage_rule, stages_refresh

U = get_user_model()._meta.db_table
_GENERATIONS = "LEAST(gen_a, gen_b), GREATEST(gen_a, gen_b)"


def not_in_head_to_head(evaluation: Evaluation) -> str:
    """Why a rating of another model cannot go into a head-to-head."""
    return (
        "not one of this head-to-head's two models "
        f"({evaluation.candidate.name!r} and {evaluation.baseline.name!r})"
    )


def comparisons_ensure(evaluation: Evaluation) -> int:
    """Create the comparisons the file's pairs lack; map each pair to its
    comparison in ``import_pairs``; return how many pairs the file rates."""
    values = {"evaluation": evaluation.pk, "candidate": None}
    if evaluation.kind == Evaluation.Kind.HEAD_TO_HEAD:
        values |= {
            "candidate": evaluation.candidate_id,
            "baseline": evaluation.baseline_id,
        }
        other = execute(
            f"""SELECT line, a_id NOT IN (%(candidate)s, %(baseline)s)
            FROM import_resolved WHERE a_id NOT IN (%(candidate)s, %(baseline)s)
            OR b_id NOT IN (%(candidate)s, %(baseline)s) ORDER BY line
            LIMIT {MAX_SHOWN}""",
            values,
        )
        if other:
            message = not_in_head_to_head(evaluation)
            raise ImportFileError(
                [
                    LineError(line, "model_a" if a_off else "model_b", message)
                    for line, a_off in other
                ]
            )
        first_is_a = "a_id = %(candidate)s"
    else:
        first_is_a = "COALESCE(candidate, model_a) = model_a"
    # Each pair's first line (in the file's order) decides its candidate; a pair
    # the evaluation has (``stored``) keeps its comparison, the first made.
    temp_table(
        "import_pairs",
        f"""AS SELECT f.*, c.id AS comparison_id, c.id IS NOT NULL AS stored,
            COALESCE(g.chat_model_id, f.one_model) AS candidate_model
        FROM (SELECT DISTINCT ON (prompt_id, {_GENERATIONS})
                prompt_id, LEAST(gen_a, gen_b) AS low, GREATEST(gen_a, gen_b) AS high,
                CASE WHEN {first_is_a} THEN gen_a ELSE gen_b END AS one,
                CASE WHEN {first_is_a} THEN gen_b ELSE gen_a END AS two,
                CASE WHEN {first_is_a} THEN a_id ELSE b_id END AS one_model,
                COUNT(*) OVER (PARTITION BY prompt_id, {_GENERATIONS}) AS rated,
                pair_id
            FROM import_resolved ORDER BY prompt_id, {_GENERATIONS}, line) f
        LEFT JOIN (SELECT DISTINCT ON (prompt_id, low, high) * FROM (
                SELECT id, prompt_id, candidate_generation_id,
                    LEAST(candidate_generation_id, baseline_generation_id) AS low,
                    GREATEST(candidate_generation_id, baseline_generation_id) AS high
                FROM {C} WHERE evaluation_id = %(evaluation)s) s
            ORDER BY prompt_id, low, high, id) c
            ON c.prompt_id = f.prompt_id AND c.low = f.low AND c.high = f.high
        LEFT JOIN {G} g ON g.id = c.candidate_generation_id""",
        values,
    )
    # A pair made here is inserted with its stage after the import: the file's
    # ratings of it are all new, and no lease can be held on it before commit.
    stage = stage_rule(
        ratings="rated",
        per_pair=f"(SELECT annotators_per_pair FROM {E} WHERE id = %(evaluation)s)",
        leased="FALSE",
    )
    with _conflict_refused(_PAIRS_CONFLICT):
        execute(
            f"""WITH created AS (
            INSERT INTO {C} (evaluation_id, prompt_id, candidate_generation_id,
                baseline_generation_id, external_id, stage, created_at)
            SELECT %(evaluation)s, prompt_id, one, two, pair_id, {stage}, %(now)s
            FROM import_pairs WHERE NOT stored ORDER BY prompt_id, low, high
            RETURNING id, prompt_id, candidate_generation_id AS one,
                baseline_generation_id AS two)
        UPDATE import_pairs p SET comparison_id = created.id FROM created
        WHERE NOT p.stored AND p.prompt_id = created.prompt_id
            AND p.one = created.one AND p.two = created.two""",
            bound(timezone.now(), **values),
        )
    execute("ANALYZE import_pairs")
    return execute("SELECT COUNT(*) FROM import_pairs")[0][0]


def ratings_store(evaluation: Evaluation) -> tuple[int, int]:
    """Lock the pairs, check each row against the pair's stored ratings and live
    leases (import_slots.py's rules), insert the new ratings, end the leases they
    answer and refresh the pairs' stages; return (created, unchanged)."""
    now = timezone.now()
    # The pairs made by this import are seen by no one else before it commits.
    stored = "SELECT comparison_id FROM import_pairs WHERE stored"
    import_slots.pairs_lock([pk for (pk,) in execute(f"{stored} ORDER BY 1")])
    values = bound(
        now, evaluation=evaluation.pk, limit=import_slots.limit_of(evaluation)
    )
    temp_table(
        "import_final",
        f"""AS SELECT r.line, r.annotator, u.id AS user_id, p.comparison_id,
            r.a_id = p.candidate_model AS on_left, r.choice, r.seconds, r.comment,
            r.created_at, r.safety_a, r.safety_b, old.choice AS old_choice,
            old.candidate_on_left AS old_left, old.safety_a AS old_safety_a,
            old.safety_b AS old_safety_b,
            l.id AS lease_id,
            COALESCE(l.state = %(leased)s AND l.expires_at > %(now)s, FALSE) AS live
        FROM import_resolved r
        JOIN import_pairs p ON p.prompt_id = r.prompt_id
            AND p.low = LEAST(r.gen_a, r.gen_b) AND p.high = GREATEST(r.gen_a, r.gen_b)
        JOIN {U} u ON u.username = r.annotator
        LEFT JOIN {R} old ON old.comparison_id = p.comparison_id AND old.annotator_id = u.id
        LEFT JOIN {A} l ON l.comparison_id = p.comparison_id AND l.annotator_id = u.id
            AND l.state IN (%(leased)s, %(expired)s)""",
        values,
    )
    _check_slots(values)
    [(unchanged, expected)] = execute(
        "SELECT COUNT(*) FILTER (WHERE old_choice IS NOT NULL),"
        " COUNT(*) FILTER (WHERE old_choice IS NULL) FROM import_final"
    )
    # A plain INSERT, cheaper than ON CONFLICT's speculative one: a rating stored
    # meanwhile by another upload or an annotator is a unique violation.
    with connection.cursor() as cursor, _conflict_refused(_RATINGS_CONFLICT):
        cursor.execute(
            f"""INSERT INTO {R} (comparison_id, annotator_id, assignment_id, scale,
                choice, candidate_on_left, score, safety_a, safety_b, seconds, comment,
                source, created_at)
            SELECT comparison_id, user_id, lease_id, %(scale)s, choice, on_left,
                CASE WHEN on_left THEN choice ELSE -choice END, safety_a, safety_b,
                seconds, comment, %(imported)s, COALESCE(created_at, %(now)s)
            FROM import_final WHERE old_choice IS NULL""",
            {**values, "scale": evaluation.scale, "imported": Rating.Source.IMPORTED},
        )
        created = cursor.rowcount
    if created != expected:
        raise ImportConflictError([_RATINGS_CONFLICT])
    execute(
        f"""UPDATE {A} SET state = %(submitted)s, ended_at = %(now)s
        WHERE id IN (SELECT lease_id FROM import_final
            WHERE old_choice IS NULL AND lease_id IS NOT NULL)""",
        values,
    )
    stages_refresh(comparisons_query=stored)
    return created, unchanged


_RATINGS_CONFLICT = LineError(
    None,
    None,
    "another upload or annotator rated these pairs meanwhile; nothing of this file "
    "was stored (send it again)",
)
_PAIRS_CONFLICT = LineError(
    None,
    None,
    "another upload added the same pairs to this evaluation meanwhile; nothing of "
    "this file was stored (send it again)",
)


@contextmanager
def _conflict_refused(error: LineError) -> Iterator[None]:
    """Turn a unique violation inside (rows another transaction stored meanwhile)
    into ImportConflictError with ``error``, in a savepoint."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        if isinstance(exc.__cause__, psycopg.errors.UniqueViolation):
            raise ImportConflictError([error]) from None
        raise


def _check_slots(values: dict) -> None:
    """A stored rating of the pair by the same annotator must be the same; a new
    one (not answering the annotator's live lease) must find a free slot: the
    pair's ratings and live leases, and the file's earlier new ones, under N."""
    if values["limit"] is None:
        full = "FALSE"
        occupied = ""
    else:
        full = "COALESCE(o.taken, 0) + ROW_NUMBER() OVER (PARTITION BY f.comparison_id, f.old_choice IS NULL AND NOT f.live ORDER BY f.line) > %(limit)s"
        # Pairs made by this import hold no ratings or leases yet.
        occupied = f"""LEFT JOIN (SELECT p.comparison_id,
                (SELECT COUNT(*) FROM {R} r WHERE r.comparison_id = p.comparison_id)
                + (SELECT COUNT(*) FROM {A} l WHERE l.comparison_id = p.comparison_id
                    AND l.{"state = %(leased)s AND l.expires_at > %(now)s"}
                    AND NOT EXISTS (SELECT 1 FROM {R} r
                        WHERE r.comparison_id = l.comparison_id
                        AND r.annotator_id = l.annotator_id)) AS taken
            FROM import_pairs p WHERE p.stored) o ON o.comparison_id = f.comparison_id"""
    rows = execute(
        f"""SELECT line, annotator, problem FROM (
            SELECT f.line, f.annotator, CASE
                WHEN f.old_choice IS NOT NULL THEN
                    CASE WHEN (f.old_choice, f.old_left, f.old_safety_a, f.old_safety_b)
                        = (f.choice, f.on_left, f.safety_a, f.safety_b)
                    THEN NULL ELSE 'other' END
                WHEN f.live THEN NULL
                WHEN {full} THEN 'full'
            END AS problem
            FROM import_final f {occupied}) x
        WHERE problem IS NOT NULL ORDER BY line LIMIT {MAX_SHOWN}""",
        values,
    )
    errors = []
    for line, name, problem in rows:
        if problem == "other":
            message = f"{name!r} already has another rating of this pair"
            errors.append(LineError(line, "choice", message))
        else:
            errors.append(
                LineError(
                    line,
                    "annotator",
                    f"the pair already has its {values['limit']} annotators (ratings "
                    f"and live leases); a rating by {name!r} would exceed "
                    "annotators_per_pair",
                )
            )
    if errors:
        raise ImportFileError(errors)
