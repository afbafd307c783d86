"""Explanations of a classifier's prediction over lead x time segments (LIME and occlusion)."""

from training.explain.explainers import (Agreement, Cancelled, ExplainConfig, Explanation, explain_lime,
                                         explain_occlusion, rank_agreement)

__all__ = ["Agreement", "Cancelled", "ExplainConfig", "Explanation", "explain_lime", "explain_occlusion",
           "rank_agreement"]
