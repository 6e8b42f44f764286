"""The documented limits on what an upload may hold, in one place.

Every import (prompts, generations, ratings) and the evaluation API refuse a value
beyond these with a 4xx naming the line and the field, before the database sees it.
Names follow their columns; the rest are chosen to be generous for real data.
"""

# Text: a prompt's turn, a response, a comment.
MAX_TEXT_CHARS = 200_000
MAX_COMMENT_CHARS = 2_000

# Names stored in CharField(max_length=200) columns: prompt ids, chat model names,
# pair ids, categories, evaluation and prompt set names.
MAX_NAME_CHARS = 200
# Annotators are users: Django's username column holds 150 characters.
MAX_USERNAME_CHARS = 150

# Whole numbers stored in PositiveIntegerField columns (token counts, quotas) and in
# PositiveSmallIntegerField columns: PostgreSQL's ranges, which SQLite does not
# enforce (the models' validators state them, so forms and APIs refuse a larger
# number on either database, naming the field).
MAX_INT = 2**31 - 1
MAX_SMALL_INT = 2**15 - 1
# Turns of one prompt (system, user and assistant together); the user turns are
# counted in a PositiveSmallIntegerField, which this stays far below.
MAX_TURNS = 1_000
# How deeply objects and lists may nest inside any field (metadata).
MAX_DEPTH = 20
# Seconds an annotator spent on a pair: the rating API's bound too.
MAX_SECONDS = 24 * 3600
# Annotators asked to rate each pair of an evaluation.
MAX_ANNOTATORS_PER_PAIR = 20
# How long a pair is held for the annotator who opened it: a week at most.
MAX_LEASE_MINUTES = 7 * 24 * 60
