"""Text folding shared by matching code: case- and accent-insensitive comparisons of Dutch and French words."""

import unicodedata


def fold(text: str) -> str:
    """'Crèmerie Sint-Niklaas' -> 'cremerie sint-niklaas'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()
