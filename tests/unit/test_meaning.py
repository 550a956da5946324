"""What the words shoppers type mean (services/search/meaning.py): synonyms, product words, phrases, compounds,
stop words and typo tolerance — with the words people really type, in Flemish, Netherlands Dutch and French."""

import pytest

from services.common.categories import VOCABULARY
from services.search.meaning import Lexicon, Term, max_typos
from services.search.text import query_tokens

LEXICON = Lexicon(["maes", "callens", "bakkerij", "slagerij", "kaasmakerij", "peeters", "vandamme", "bakkersland"])


def understand(q: str, lexicon: Lexicon = LEXICON) -> tuple[Term, ...]:
    return lexicon.understand(query_tokens(q))


def codes(q: str) -> set[str]:
    [term] = understand(q)
    return set(term.codes)


@pytest.mark.parametrize(("typed", "code"), [
    ("beenhouwer", "slager"), ("Beenhouwerij", "slager"), ("boucherie", "slager"), ("boucher", "slager"),
    ("hoevewinkel", "hoeveproducten"), ("boerderijwinkel", "hoeveproducten"), ("boerderij", "hoeveproducten"),
    ("brood", "bakker"), ("pistolets", "bakker"), ("pain", "bakker"), ("melk", "kaas-zuivel"),
    ("lait", "kaas-zuivel"), ("wijn", "drank"), ("wijn", "wijn"), ("bloemist", "bloemen"), ("fleuriste", "bloemen"),
    ("vis", "vis"), ("vishandel", "vis"), ("poissonnerie", "vis"), ("garnalen", "vis"), ("chocolade", "chocolade"),
    ("pralines", "chocolade"), ("ijs", "ijs"), ("glacier", "ijs"), ("honing", "honing"),
    ("Œufs", "eieren"), ("eieren", "eieren"), ("bio", "bio"), ("biologisch", "bio"), ("kaasmakerij", "kaas-zuivel"),
    ("Crèmerie", "kaas-zuivel"), ("aardappelen", "hoeveproducten"),
])
def test_synonyms_and_product_words_name_their_category(typed: str, code: str) -> None:
    assert code in codes(typed)


def test_a_word_of_the_vocabulary_names_its_own_categories_not_those_of_words_it_starts() -> None:
    assert codes("melk") == {"kaas-zuivel"}  # not automaat, for 'melkautomaat'
    assert codes("brood") == {"bakker"}
    assert codes("boek") == {"boeken"}  # not bloemen, for 'boeket'
    assert codes("fruits") == {"groenten-fruit"}  # 'fruits de mer' is a phrase of its own


def test_a_typed_start_of_a_synonym_names_its_category_from_three_letters() -> None:
    assert "slager" in codes("beenh")
    assert codes("pa") == set()  # two letters: labels only ('pa…' starts words of several categories)
    assert codes("ba") == {"bakker"}  # the start of a label


def test_compounds_are_found_by_their_known_parts() -> None:
    assert codes("aardbeienboer") == {"groenten-fruit"}  # 'boer' is generic here: it adds nothing
    assert codes("kaasboerderij") == {"kaas-zuivel", "hoeveproducten"}
    assert codes("appelsapwinkel") == {"drank"}
    assert codes("wijnboerderij") == {"wijn", "drank", "hoeveproducten"}


def test_phrases_of_the_vocabulary_are_one_term() -> None:
    assert understand("fruits de mer") == (Term("fruits de mer", codes=("vis",)),)
    assert [t.typed for t in understand("pommes de terre namur")] == ["pommes de terre", "namur"]


def test_stop_words_are_left_out_unless_nothing_else_is_typed() -> None:
    assert [t.typed for t in understand("slager in Gent")] == ["slager", "gent"]
    assert [t.typed for t in understand("une boulangerie à Namur")] == ["boulangerie", "namur"]
    assert [t.typed for t in understand("de")] == ["de"]


@pytest.mark.parametrize(("typed", "meant"), [
    ("bakkr", "bakker"),  # a letter left out
    ("bakekr", "bakker"),  # two letters swapped: one edit
    ("slagre", "slager"),
    ("beenhouwre", "beenhouwer"),
    ("chocolde", "chocolade"),
    ("callesn", "callens"),  # a name word of the index
    ("gentbruge", "gentbrugge"),  # a postal locality
    ("sint-amandsbreg", "amandsberg"),
    ("boulangrie", "boulangerie"),
    ("kaasmakreij", "kaasmakerij"),
])
def test_typos_are_tolerated(typed: str, meant: str) -> None:
    assert any(meant in term.prefixes for term in understand(typed) if term.typo), understand(typed)


def test_typo_budget_follows_the_length_of_the_word() -> None:
    assert [max_typos(w) for w in ("vis", "brod", "bakkr", "slagerijj", "beenhouwer")] == [0, 0, 1, 2, 2]
    assert not understand("brod")[0].typo  # four letters: no typo tolerated
    assert understand("bakkerrijj")[0].typo  # nine letters: two edits
    assert not any(t.typo for t in understand("xakker"))  # never on the first letter
    assert understand("bakzzr")[0].prefixes == ("bakzzr",)  # two edits on a six-letter word: none found


def test_no_typo_tolerance_when_a_known_word_starts_with_it() -> None:
    [term] = understand("bakke")  # type-ahead: 'bakker' starts with it; 'banke' is not a typo match then
    assert (term.typo, term.prefixes) == (False, ("bakke",))


def test_the_listings_name_words_join_the_lexicon() -> None:
    assert not Lexicon().understand(["vandame"])[0].typo
    assert "vandamme" in understand("vandame")[0].prefixes


def test_every_label_synonym_and_product_word_of_the_vocabulary_names_its_category() -> None:
    lexicon = Lexicon()
    for code, category in VOCABULARY.items():
        for term in (*category.labels.values(), *category.synonyms, *category.products):
            found = lexicon.understand(query_tokens(term))
            assert len(found) == 1, (code, term, found)  # one word, or one phrase
            assert code in found[0].codes, (code, term, found)
