"""Evaluations, comparisons, assignments, ratings and the annotator pages."""
