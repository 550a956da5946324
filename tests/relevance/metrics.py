"""Relevance measures over ranked results and a judged set of relevant ones (binary relevance)."""

import math
from collections.abc import Sequence


def recall_at(k: int, ranked: Sequence[str], relevant: set[str]) -> float:
    """The share of the relevant found in the first k (of as many as k can hold)."""
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant))


def ndcg_at(k: int, ranked: Sequence[str], relevant: set[str]) -> float:
    """Discounted cumulative gain of the first k, over that of the ideal ranking."""
    gain = sum(1 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return gain / ideal
