"""Pure statistics over pandas frames, free of Django: outcomes to agreement."""

from .agreement import (
    WEIGHTS,
    count_matrix,
    fleiss_kappa,
    gwet_ac,
    krippendorff_alpha,
    percent_agreement,
    weight_matrix,
)
from .annotators import annotator_table, position_bias
from .bradley_terry import TIE_MODELS
from .breakdowns import (
    breakdowns,
    explode_categories,
    group_shares,
    prompt_counts_table,
    word_quintiles,
)
from .intervals import bootstrap_shares, wilson, wilson_shares
from .outcomes import (
    LOSS,
    RULE_TEXT,
    RULES,
    TIE,
    WIN,
    outcome_of,
    pair_outcomes,
    shares,
)
from .pairs import cohen_kappa_pairs, rating_pairs
from .tournament import (
    TournamentFit,
    pair_counts,
    prompt_weights,
    ranks_of,
    tournament_fit,
    win_matrix,
)

__all__ = [
    "LOSS",
    "RULES",
    "RULE_TEXT",
    "TIE",
    "TIE_MODELS",
    "WEIGHTS",
    "WIN",
    "TournamentFit",
    "annotator_table",
    "bootstrap_shares",
    "breakdowns",
    "cohen_kappa_pairs",
    "count_matrix",
    "explode_categories",
    "fleiss_kappa",
    "group_shares",
    "gwet_ac",
    "krippendorff_alpha",
    "outcome_of",
    "pair_counts",
    "pair_outcomes",
    "percent_agreement",
    "position_bias",
    "prompt_counts_table",
    "prompt_weights",
    "ranks_of",
    "rating_pairs",
    "shares",
    "tournament_fit",
    "weight_matrix",
    "wilson",
    "wilson_shares",
    "win_matrix",
    "word_quintiles",
]
