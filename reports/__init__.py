"""Everything computed from ratings: outcomes, intervals, breakdowns, agreement."""
