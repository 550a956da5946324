"""The controlled vocabulary of listing categories (data/categories.yaml): Dutch and French labels, the synonyms and
product words shoppers type for each, and the NACE-BEL classes of its trade."""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import BaseModel, ConfigDict, Field

from services.common.text import fold

SOURCE = Path(__file__).with_name("data") / "categories.yaml"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    nl: str = Field(min_length=1)
    fr: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()
    products: tuple[str, ...] = ()
    nace: tuple[str, ...] = ()


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    categories: dict[str, _Entry]
    renamed: dict[str, str] = {}
    generic: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    code: str
    labels: MappingProxyType[str, str]  # language -> label
    synonyms: tuple[str, ...]
    products: tuple[str, ...]
    nace: tuple[str, ...]  # NACE Rev. 2 classes ('47.24'): NACE-BEL 2008 codes start with them

    def terms(self) -> tuple[str, ...]:
        """Everything a shopper may type for it, folded: its code, labels, synonyms and product words."""
        return tuple(dict.fromkeys(fold(t) for t in (self.code, *self.labels.values(), *self.synonyms,
                                                     *self.products)))


@lru_cache(maxsize=1)
def _load() -> _File:
    return _File.model_validate(yaml.safe_load(SOURCE.read_text(encoding="utf-8")))


VOCABULARY: MappingProxyType[str, Category] = MappingProxyType({
    code: Category(code, MappingProxyType({"nl": entry.nl, "fr": entry.fr}), entry.synonyms, entry.products,
                   entry.nace)
    for code, entry in _load().categories.items()})
CATEGORIES: MappingProxyType[str, MappingProxyType[str, str]] = MappingProxyType(
    {code: category.labels for code, category in VOCABULARY.items()})
"""code -> {'nl': label, 'fr': label}, in the file's order."""
RENAMED: MappingProxyType[str, str] = MappingProxyType(dict(_load().renamed))
"""A retired code -> the code that replaced it."""
GENERIC: frozenset[str] = frozenset(fold(word) for word in _load().generic)
"""Words of shop names that name no trade ('winkel'): a compound's part that adds nothing to what it is found by."""
STOPWORDS: frozenset[str] = frozenset(fold(word) for word in _load().stopwords)
"""Words of a query that say nothing about what is sought ('bakker in Gent', 'boulangerie à Namur')."""


def current(code: str) -> str:
    """The code as it is today: a retired code becomes the one that replaced it."""
    return RENAMED.get(code, code)


@lru_cache(maxsize=4096)  # a few hundred NACE-BEL codes occur; the intake asks for them per registration
def for_activity(nace_bel: str) -> tuple[str, ...]:
    """The categories a KBO activity (NACE-BEL 2008, '47.241' or '47241') suggests."""
    digits = nace_bel.replace(".", "").strip()
    return tuple(code for code, category in VOCABULARY.items()
                 if any(digits.startswith(cls.replace(".", "")) for cls in category.nace))
