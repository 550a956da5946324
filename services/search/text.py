"""Words of a listing and of a query, folded for case- and accent-insensitive matching (Dutch and French)."""

import re

from services.common.text import fold

MIN_PREFIX = 2
MAX_TOKENS = 8
_WORD = re.compile(r"[0-9a-z]+")


def tokens(text: str) -> list[str]:
    """'Crèmerie Sint-Niklaas' -> ['cremerie', 'sint', 'niklaas']."""
    return _WORD.findall(fold(text))


def prefixes(words: list[str]) -> set[str]:
    """Every prefix of every word from MIN_PREFIX letters on: what type-ahead and partial words match."""
    return {word[:end] for word in words for end in range(MIN_PREFIX, len(word) + 1)} | set(words)


def query_tokens(q: str | None) -> list[str]:
    """The query's words (at most MAX_TOKENS), each matched as a word or word prefix."""
    if not q:
        return []
    return searchable(q)[:MAX_TOKENS]


def searchable(text: str) -> list[str]:
    """The words of a text a query keeps: single letters are left out ('à la ferme' -> 'la', 'ferme')."""
    return [t for t in tokens(text) if len(t) >= MIN_PREFIX or t.isdigit()]


_PERSONAL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+|(?:\+|00)?\d(?:[\s./-]?\d){7,}")


def looks_personal(typed: str | None) -> bool:
    """An e-mail address or a phone number (or another long run of digits: an enterprise number) in a query."""
    return _PERSONAL.search(typed or "") is not None
