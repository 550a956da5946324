"""The words a listing is found by, and the sorted sets of the index a query term is looked up in.

A query term (meaning.py) matches a listing when a word of its name or its place (the postal locality and the
municipality, in every language) starts with one of the term's prefixes, or when it has one of the term's
categories. The index keeps one GEO set per name word (``gw:``), per category (``gc:``) and per postal locality
(``gl:``): a term's matches are then the union of the name-word sets starting with its prefixes (found in Redis),
the locality sets whose words start with them (found here, from the place data) and its categories' sets.
"""

from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache

from services.common import places
from services.common.events import Address, Listing
from services.common.places import Locality
from services.common.vocabulary import Purpose
from services.search.text import tokens

MOST_PLACES = 32  # a word starting more localities' names than this ('sa') is not walked through their sets


def locality_key(locality: Locality) -> str:
    return f"{locality.postcode}_{places.key(locality.name).replace(' ', '_')}"


def place_of(address: Address) -> Locality | None:
    return places.in_postcode(address.postcode, address.locality or address.municipality)


def place_words(locality: Locality) -> set[str]:
    return set(tokens(" ".join([*locality.names, *locality.municipality.names])))


def listing_words(listing: Listing) -> set[str]:
    """Every word of a listing's name and place (a term's prefix matches when one of them starts with it); its
    categories are matched by their codes, which the vocabulary's words name."""
    found = place_of(listing.address)
    words = set(tokens(" ".join([listing.name, listing.address.municipality, listing.address.locality or ""])))
    return words | (place_words(found) if found else set())


def name_words(listing: Listing) -> set[str]:
    """The words of its name, and of its address when the place data do not know them: its ``gw:`` sets."""
    found = place_of(listing.address)
    address = set(tokens(f"{listing.address.municipality} {listing.address.locality or ''}"))
    return set(tokens(listing.name)) | (address - place_words(found) if found else address)


def listing_sets(listing: Listing) -> list[str]:
    """The sorted sets a listing belongs to (below the index's key prefix); ``fm:<municipality NIS>`` only with the
    purpose ``municipal-sites`` (its municipality's feed: feeds.py)."""
    found = place_of(listing.address)
    return ([f"gw:{word}" for word in sorted(name_words(listing))] + [f"gc:{code}" for code in listing.categories]
            + ([f"gl:{locality_key(found)}"] if found else [])
            + ([f"fm:{found.municipality.nis}"] if found and Purpose.MUNICIPAL_SITES in listing.purposes else []))


def locality_sets(prefixes: Iterable[str]) -> list[str] | None:
    """The locality sets of the places with a word starting with one of the prefixes; None when too many."""
    found = {key for word in prefixes for key in _localities_by_prefix().get(word, ())}
    return None if len(found) > MOST_PLACES else [f"gl:{key}" for key in sorted(found)]


@lru_cache(maxsize=1)
def _localities_by_prefix() -> dict[str, tuple[str, ...]]:
    return _by_prefix({locality_key(locality): place_words(locality) for locality in places.localities()})


def _by_prefix(words_of: dict[str, set[str]]) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = defaultdict(set)
    for name, words in words_of.items():
        for word in words:
            for end in range(1, len(word) + 1):
                found[word[:end]].add(name)
    return {prefix: tuple(sorted(names)) for prefix, names in found.items()}
