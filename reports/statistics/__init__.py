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
from .agreement_bootstrap import (
    AGREEMENT_RESAMPLES,
    AgreementIntervals,
    KappaCells,
    agreement_intervals,
    percentile_bounds,
)
from .agreement_sums import COEFFICIENTS
from .annotators import annotator_table, position_bias
from .bradley_terry import TIE_MODELS
from .breakdowns import (
    breakdowns,
    explode_categories,
    group_shares,
    prompt_counts_table,
    quintile_by_edges,
    word_quintiles,
)
from .clustered import (
    ClusteredWilson,
    clustered_wilson,
    clustered_wilson_shares,
    design_effect,
)
from .disagreements import pair_spread, split_pairs
from .intervals import bootstrap_shares, prompt_counts, wilson, wilson_shares
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
from .pairs import cohen_kappa_pairs, kappa_cells, rating_pairs
from .tournament import (
    TournamentFit,
    pair_counts,
    prompt_weights,
    ranks_of,
    tournament_fit,
    win_matrix,
)

__all__ = [
    "AGREEMENT_RESAMPLES",
    "COEFFICIENTS",
    "LOSS",
    "RULES",
    "RULE_TEXT",
    "TIE",
    "TIE_MODELS",
    "WEIGHTS",
    "WIN",
    "AgreementIntervals",
    "ClusteredWilson",
    "KappaCells",
    "TournamentFit",
    "agreement_intervals",
    "annotator_table",
    "bootstrap_shares",
    "breakdowns",
    "clustered_wilson",
    "clustered_wilson_shares",
    "cohen_kappa_pairs",
    "count_matrix",
    "design_effect",
    "explode_categories",
    "fleiss_kappa",
    "group_shares",
    "gwet_ac",
    "kappa_cells",
    "krippendorff_alpha",
    "outcome_of",
    "pair_counts",
    "pair_outcomes",
    "pair_spread",
    "percent_agreement",
    "percentile_bounds",
    "position_bias",
    "prompt_counts",
    "prompt_counts_table",
    "prompt_weights",
    "quintile_by_edges",
    "ranks_of",
    "rating_pairs",
    "shares",
    "split_pairs",
    "tournament_fit",
    "weight_matrix",
    "wilson",
    "wilson_shares",
    "win_matrix",
    "word_quintiles",
]
