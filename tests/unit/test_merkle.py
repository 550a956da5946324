"""The audit log's Merkle trees (services/consent/merkle.py) against the test vectors of Certificate Transparency's
reference data (RFC 6962, whose tree RFC 9162 keeps): eight leaves, their roots, inclusion and consistency proofs;
then every proof of every tree up to 40 leaves verified, and tampered proofs refused."""

import pytest

from services.consent.merkle import Frontier, Tree, leaf_hash, root_from_inclusion, verify_consistency, verify_inclusion

LEAVES = [b"", b"\x00", b"\x10", b"\x20\x21", b"\x30\x31", b"\x40\x41\x42\x43", bytes(range(0x50, 0x58)),
          bytes(range(0x60, 0x70))]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
INCLUSION = {  # (leaf index, tree size): audit path
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}
CONSISTENCY = {  # (old size, new size): proof
    (1, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}
TREE = Tree(leaf_hash(leaf) for leaf in LEAVES)


def hexes(hashes: list[bytes]) -> list[str]:
    return [h.hex() for h in hashes]


def test_the_roots_of_the_reference_vectors() -> None:
    assert [TREE.root(size).hex() for size in range(1, 9)] == ROOTS
    assert TREE.root(0).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(("index", "size"), list(INCLUSION))
def test_the_inclusion_proofs_of_the_reference_vectors(index: int, size: int) -> None:
    path = TREE.inclusion(index, size)
    assert hexes(path) == INCLUSION[(index, size)]
    assert verify_inclusion(leaf_hash(LEAVES[index]), index, size, path, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new"), list(CONSISTENCY))
def test_the_consistency_proofs_of_the_reference_vectors(old: int, new: int) -> None:
    proof = TREE.consistency(old, new)
    assert hexes(proof) == CONSISTENCY[(old, new)]
    assert verify_consistency(old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), proof)


def test_every_proof_of_every_tree_up_to_40_leaves_verifies_and_a_tampered_one_does_not() -> None:
    for size in range(1, 41):
        tree = Tree(leaf_hash(n.to_bytes(2, "big")) for n in range(size))
        root = tree.root()
        for index in range(size):
            path = tree.inclusion(index)
            assert verify_inclusion(tree.leaf(index), index, size, path, root)
            assert not verify_inclusion(leaf_hash(b"forged"), index, size, path, root)
            if path:
                assert not verify_inclusion(tree.leaf(index), index, size, path[:-1], root)
                assert not verify_inclusion(tree.leaf(index), index, size, [*path[:-1], bytes(32)], root)
        for old in range(1, size + 1):
            proof = tree.consistency(old, size)
            assert verify_consistency(old, size, tree.root(old), root, proof)
            assert not verify_consistency(old, size, leaf_hash(b"rewritten"), root, proof)
            if old < size:
                assert not verify_consistency(old, size, tree.root(old), leaf_hash(b"other"), proof)


def test_a_proof_for_a_leaf_outside_the_tree_is_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree of 8"):
        TREE.inclusion(8, 8)
    with pytest.raises(ValueError, match="not in a tree of 3"):
        root_from_inclusion(TREE.leaf(0), 3, 3, [])
    assert not verify_inclusion(TREE.leaf(0), 0, 8, [*TREE.inclusion(0), bytes(32)], TREE.root())


def test_a_frontier_has_the_root_of_the_whole_tree_at_every_size() -> None:
    """The worker's right edge agrees with the full tree (an independent computation: the subtree recursion)."""
    frontier, tree = Frontier(), Tree()
    for index in range(200):
        leaf = leaf_hash(index.to_bytes(4, "big"))
        assert frontier.root() == tree.root()
        frontier.append(leaf)
        tree.append(leaf)
        assert len(frontier.hashes) == frontier.size.bit_count()
    restored = Frontier(frontier.size, frontier.hashes)
    assert restored.root() == tree.root(200)


def test_a_frontier_that_does_not_fit_its_size_is_refused() -> None:
    with pytest.raises(ValueError, match="right edge"):
        Frontier(3, [b"\x00" * 32])

