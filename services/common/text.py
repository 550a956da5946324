"""Text folding shared by matching code: case- and accent-insensitive comparisons of Dutch and French words."""

import unicodedata

_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})  # 'Œufs' is typed 'oeufs'; NFKD leaves ligatures whole


def fold(text: str) -> str:
    """'Crèmerie Sint-Niklaas' -> 'cremerie sint-niklaas'; 'Œufs' -> 'oeufs'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()
