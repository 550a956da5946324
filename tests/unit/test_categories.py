"""The category vocabulary file (services/common/data/categories.yaml): complete, consistent, and its NACE classes
real ones (python-stdnum's NACE Rev. 2 table as the reference)."""

from pathlib import Path
from types import MappingProxyType

import pytest
from stdnum.eu import nace

from services.common import categories
from services.common.categories import CATEGORIES, GENERIC, RENAMED, STOPWORDS, VOCABULARY, current, for_activity
from services.registration import validation
from services.search.index import current_codes
from services.search.text import tokens
from tests.search_samples import listing

# Codes listings already carry: they may never disappear (a retired one must be in RENAMED).
CODES_IN_USE = {"speciaalzaak", "voedingsspeciaalzaak", "hoeveproducten", "streekproducten", "bakker", "slager",
                "kaas-zuivel", "groenten-fruit", "drank", "automaat", "afhaalpunt", "boeken", "kleding", "bloemen",
                "diensten"}


def test_every_code_in_use_is_kept_or_renamed_to_a_known_one() -> None:
    for code in CODES_IN_USE:
        assert current(code) in CATEGORIES, code
    for old, new in RENAMED.items():
        assert old not in CATEGORIES, old
        assert new in CATEGORIES, (old, new)


def test_the_trades_of_the_partners_are_covered() -> None:
    for code in ("vis", "chocolade", "ijs", "wijn", "honing", "eieren", "bio"):
        assert code in CATEGORIES, code


def test_every_category_has_both_labels_and_words_to_find_it_by() -> None:
    for code, category in VOCABULARY.items():
        assert all(category.labels[language] for language in ("nl", "fr")), code
        assert category.synonyms, code
        for term in category.terms():
            assert tokens(term), (code, term)  # nothing that folds to no word at all


def test_nace_classes_are_real_nace_rev2_classes() -> None:
    for code, category in VOCABULARY.items():
        for cls in category.nace:
            assert nace.is_valid(cls, revision="2.0"), (code, cls)
            assert len(cls.replace(".", "")) == 4, (code, cls)


def test_a_kbo_activity_suggests_the_categories_of_its_class() -> None:
    assert set(for_activity("47.241")) == {"bakker", "chocolade"}  # retail sale of bread, cake and confectionery
    assert for_activity("47230") == ("vis",)
    assert for_activity("10.520") == ("ijs",)
    assert for_activity("62.010") == ()  # computer programming: no shop


def test_generic_words_and_stop_words_name_no_category() -> None:
    codes_by_word = {word for category in VOCABULARY.values() for word in category.terms()}
    assert not (STOPWORDS & codes_by_word)
    assert "winkel" in GENERIC
    assert {"in", "a"} <= STOPWORDS  # 'à' folded


def test_the_partners_guide_lists_every_code() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "partners.md").read_text()
    assert all(f"`{code}`" in guide for code in CATEGORIES), [c for c in CATEGORIES if f"`{c}`" not in guide]


def test_a_retired_code_is_accepted_and_indexed_as_its_successor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(categories, "RENAMED", MappingProxyType({"dranken-oud": "drank"}))
    assert validation.categories(["Dranken-oud", "wijn"]) == ("drank", "wijn")
    old = listing("0428759497", 51.05, 3.72, "Brouwerij Oud", ("dranken-oud", "drank"))
    indexed = current_codes(old)
    assert indexed is not None
    assert indexed.categories == ("drank",)
