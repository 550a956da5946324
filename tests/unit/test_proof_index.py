"""The proof index (services/consent/proofs.py) over a log the decider wrote: built in one update or in several, it
gives the same inclusion proofs as a tree built independently over the stored bytes; an index of another
installation is emptied rather than trusted."""

from pathlib import Path

from services.consent.merkle import Tree, leaf_hash, verify_inclusion
from services.consent.proofs import ProofIndex
from tests.unit.consent_samples import NUMBER
from tests.unit.test_ledger import written


def test_an_index_built_in_steps_proves_every_record_against_the_signed_root(tmp_path: Path) -> None:
    records, signed, trusted = written()
    with ProofIndex(tmp_path / "proofs.sqlite", "here") as index:
        with index.update(records[:2], signed[:1], trusted) as report:
            assert report.ok, report.findings
        with index.update(records[2:], signed, trusted, {2: 2}) as report:
            assert report.ok, report.findings
        planned = index.plan(NUMBER)
    assert planned is not None
    reference = Tree(leaf_hash(r.value or b"") for r in records)
    assert planned.log.size == 6
    assert [place.index for place, _ in planned.places] == [0, 1, 2, 3, 4, 5]
    for place, path in planned.places:
        assert verify_inclusion(reference.leaf(place.index), place.index, 6, path, reference.root())


def test_an_index_of_another_installation_is_emptied(tmp_path: Path) -> None:
    records, signed, trusted = written()
    with ProofIndex(tmp_path / "proofs.sqlite", "there") as index, index.update(records, signed, trusted):
        pass
    with ProofIndex(tmp_path / "proofs.sqlite", "there") as index:
        assert index.logs()[2].size == 6
    with ProofIndex(tmp_path / "proofs.sqlite", "here") as index:
        assert index.logs() == {}
        assert index.plan(NUMBER) is None


def test_records_a_signed_checkpoint_does_not_cover_stay_out_of_the_index(tmp_path: Path) -> None:
    records, signed, trusted = written()
    with ProofIndex(tmp_path / "proofs.sqlite", "here") as index:
        with index.update(records, signed[:2], trusted, {2: 4}):
            pass
        assert index.logs()[2].size == 4
        assert index.logs()[2].next_offset == 4
