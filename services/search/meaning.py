"""What the words a shopper types mean: for each word (or phrase of the category vocabulary) the alternatives any
of which a listing must match — name and place words it starts, categories it names.

A word matches, in this order of preference:
    exact        a word of the listing's name or place starts with it;
    vocabulary   it is a word of the category vocabulary (label, synonym, product word: 'brood' -> bakker) or,
                 from three letters on, starts some ('beenh' -> slager; label words from two letters), or it is a
                 phrase of one ('fruits de mer' -> vis);
    compound     a Dutch compound of known words, found by its parts ('aardbeienboer' -> aardbeien + boer);
    typo         only when no known word starts with it (Typesense's default): the known words within an edit
                 distance (Damerau: a swap of two letters is one edit) of 1 from five letters, 2 from nine, with
                 the same first letter.
Known words: the vocabulary's, the places', and those of the listings' names (the index's, refreshed by the
search service). docs/search.md explains it for shoppers' support and operators.
"""

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from services.common import places
from services.common.categories import GENERIC, STOPWORDS, VOCABULARY
from services.search import terms
from services.search.text import searchable, tokens

VOCABULARY_PREFIX = 3  # letters from which a word is matched as the start of a synonym or product word
MIN_PART = 3  # letters of a compound's part
MAX_PHRASE = 5  # words of the vocabulary's longest phrase matched ('poissons et fruits de mer')


@dataclass(frozen=True)
class Term:
    """One word (or phrase) of a query and what it matches: a listing matches it when a word of its name or place
    starts with one of ``prefixes`` or it has one of ``codes``."""

    typed: str
    prefixes: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    typo: bool = False  # matched by typo tolerance only
    known: bool = True  # False: no known word starts with it, nor is one near it: it can match no listing

    def key(self) -> str:
        """The term as a cache key's part: what it matches."""
        return f"{'+'.join(self.prefixes)}/{'+'.join(self.codes)}"


def max_typos(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


class Lexicon:
    """The words the platform knows: the vocabulary's, the places', and (when the search service gives them) those
    of the listings' names. Each word's term is worked out once per lexicon."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.known = sorted(set(_vocabulary_words()) | _place_words() | GENERIC | set(names))
        by_initial: dict[str, list[str]] = defaultdict(list)
        for word in self.known:
            by_initial[word[0]].append(word)
        self.by_initial = dict(by_initial)
        self.term = lru_cache(maxsize=8192)(self._term)

    def understand(self, words: Iterable[str]) -> tuple[Term, ...]:
        """The query's words as terms: phrases of the vocabulary joined, stop words dropped, and unknown words
        (that no listing can match: 'verse vis') left out — each unless nothing else is left."""
        units = _units(list(words))
        found = [self.term(unit) for unit in [unit for unit in units if unit not in STOPWORDS] or units]
        return tuple([term for term in found if term.known] or found)

    @staticmethod
    def ignored(words: Iterable[str], understood: Iterable[Term]) -> list[str]:
        """The typed words ``understand`` left out of ``understood``: stop words and unknown words."""
        kept = {term.typed for term in understood}
        return [unit for unit in _units(list(words)) if unit not in kept]

    def _term(self, unit: str) -> Term:
        if " " in unit:  # a phrase of the vocabulary
            return Term(unit, codes=_phrases()[tuple(unit.split())])
        codes = vocabulary_codes(unit)
        if not codes and len(unit) >= 2 * MIN_PART:
            codes = compound_codes(unit)
        if codes or self.starts_known(unit):
            return Term(unit, (unit,), codes)
        fixes = self.corrections(unit)
        if not fixes:
            return Term(unit, (unit,), known=False)
        fixed_codes = tuple(dict.fromkeys(code for fix in fixes for code in _exact_codes().get(fix, ())))
        return Term(unit, (unit, *fixes), fixed_codes, typo=True)

    def starts_known(self, word: str) -> bool:
        at = bisect.bisect_left(self.known, word)
        return at < len(self.known) and self.known[at].startswith(word)

    def corrections(self, word: str) -> list[str]:
        """Known words within the typo budget of ``word``, with its first letter; nearest first."""
        budget = max_typos(word)
        if not budget:
            return []
        found = process.extract(word, self.by_initial.get(word[0], []), scorer=OSA.distance,
                                score_cutoff=budget, limit=None)
        return [choice for choice, _, _ in sorted(found, key=lambda f: (f[1], f[0]))]


def vocabulary_codes(word: str) -> tuple[str, ...]:
    """The categories a word names: its own when it is a word of the vocabulary ('brood' -> bakker, not the
    'broodautomaat' it also starts), else those of the synonyms and product words it starts (from three letters
    on; label words from two)."""
    exact = _exact_codes().get(word)
    if exact:
        return exact
    return _prefix_codes(_vocabulary_words() if len(word) >= VOCABULARY_PREFIX else _label_words(), word)


def compound_codes(word: str) -> tuple[str, ...]:
    """The categories of a compound's parts ('kaasboerderij' -> kaas + boerderij), when every part is a known
    word of the vocabulary (Dutch joins some parts with an 's' or 'e': 'vissersboot')."""
    parts = _split(word)
    if parts is None:
        return ()
    return tuple(dict.fromkeys(code for part in parts if part not in GENERIC
                               for code in _exact_codes().get(part, ())))


def _split(word: str) -> list[str] | None:
    exact = _exact_codes()
    if word in exact or word in GENERIC:
        return [word]
    for end in range(len(word) - MIN_PART, MIN_PART - 1, -1):  # the longest first part first
        head = word[:end]
        if head not in exact and head not in GENERIC:
            continue
        for rest in (word[end:], word[end + 1:] if word[end] in "se" else None):
            tail = _split(rest) if rest and len(rest) >= MIN_PART else None
            if tail is not None:
                return [head, *tail]
    return None


def _units(words: list[str]) -> list[str]:
    """The words, with the vocabulary's phrases among them joined into one unit ('fruits de mer')."""
    phrases, units, at = _phrases(), [], 0
    while at < len(words):
        for length in range(min(MAX_PHRASE, len(words) - at), 1, -1):
            if tuple(words[at:at + length]) in phrases:
                units.append(" ".join(words[at:at + length]))
                at += length
                break
        else:
            units.append(words[at])
            at += 1
    return units


def _prefix_codes(words: list[str], word: str) -> tuple[str, ...]:
    exact = _exact_codes()
    at = bisect.bisect_left(words, word)
    found: dict[str, None] = {}
    while at < len(words) and words[at].startswith(word):
        found.update(dict.fromkeys(exact[words[at]]))
        at += 1
    return tuple(sorted(found))


@lru_cache(maxsize=1)
def _exact_codes() -> dict[str, tuple[str, ...]]:
    """Each word of the vocabulary (of a code, label, one-word synonym or product word) -> the categories it names."""
    found: dict[str, dict[str, None]] = defaultdict(dict)
    for code, category in VOCABULARY.items():
        split = [tokens(term) for term in (*category.synonyms, *category.products)]
        for word in [*_label_tokens(code), *(words[0] for words in split if len(words) == 1)]:
            found[word][code] = None
    return {word: tuple(codes) for word, codes in found.items()}


def _label_tokens(code: str) -> list[str]:
    """The words of a category's code and labels that name it alone: a one-word label ('Jouets'), and of a longer
    one the words that are not only of a phrase of it ('Poissons et fruits de mer': 'fruits de mer' names the fish,
    'fruits' the fruit), nor of several categories' labels ('produits', 'en')."""
    category = VOCABULARY[code]
    split = [tokens(term) for term in (*category.synonyms, *category.products)]
    phrased = {word for words in split if len(words) > 1 for word in words} - {words[0] for words in split
                                                                               if len(words) == 1}
    out = []
    for label in (code, *category.labels.values()):
        words = tokens(label)
        out += words if len(words) == 1 else [word for word in words if word not in phrased]
    return [word for word in out if word not in _shared_label_words()]


def _words_of_labels(code: str) -> list[str]:
    return tokens(" ".join([code, *VOCABULARY[code].labels.values()]))


@lru_cache(maxsize=1)
def _shared_label_words() -> frozenset[str]:
    seen = Counter(word for code in VOCABULARY for word in set(_words_of_labels(code)))
    return frozenset(word for word, categories in seen.items() if categories > 1)


@lru_cache(maxsize=1)
def _vocabulary_words() -> list[str]:
    return sorted(_exact_codes())


@lru_cache(maxsize=1)
def _label_words() -> list[str]:
    return sorted({word for code in VOCABULARY for word in _label_tokens(code)})


@lru_cache(maxsize=1)
def _phrases() -> dict[tuple[str, ...], tuple[str, ...]]:
    """Each phrase of the vocabulary (a label, synonym or product word of several words) -> its categories."""
    found: dict[tuple[str, ...], dict[str, None]] = defaultdict(dict)
    for code, category in VOCABULARY.items():
        for term in (*category.labels.values(), *category.synonyms, *category.products):
            words = tuple(searchable(term))  # as a query has them
            if 1 < len(words) <= MAX_PHRASE:
                found[words][code] = None
    return {words: tuple(codes) for words, codes in found.items()}


@lru_cache(maxsize=1)
def _place_words() -> frozenset[str]:
    return frozenset(word for locality in places.localities() for word in terms.place_words(locality))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The vocabulary's and the places' words, without the listings' names."""
    return Lexicon()
