"""Merkle trees of RFC 9162 (Certificate Transparency 2.0, section 2.1) over one partition's audit records: the tree
hash, inclusion proofs and consistency proofs, and their verification — pure, on ``hashlib``.

A ``Tree`` keeps the hash of every complete subtree it has (2n hashes for n leaves, in memory or in a ``Nodes`` store
such as the auditors' proof index), so that a root, a proof or an append costs O(log n) hashes, not a pass over the
log. A ``Frontier`` keeps only the right edge (at most log2(n) hashes): enough to append and to compute the root, which
is all the consent worker needs to sign a checkpoint.
"""

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

LEAF, NODE = b"\x00", b"\x01"


def leaf_hash(data: bytes) -> bytes:
    hashed = hashlib.sha256(LEAF)
    hashed.update(data)
    return hashed.digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


class Nodes(Protocol):
    """Where a tree keeps its complete subtrees: ``get(k, i)`` is the hash of the 2**k leaves from i * 2**k."""

    def get(self, level: int, index: int) -> bytes: ...

    def add(self, level: int, index: int, digest: bytes) -> None: ...

    def count(self) -> int:
        """The number of leaves."""
        ...


class MemoryNodes:
    def __init__(self) -> None:
        self._levels: list[list[bytes]] = [[]]

    def get(self, level: int, index: int) -> bytes:
        return self._levels[level][index]

    def add(self, level: int, index: int, digest: bytes) -> None:
        if len(self._levels) == level:
            self._levels.append([])
        self._levels[level].append(digest)

    def count(self) -> int:
        return len(self._levels[0])


class Tree:
    """The leaf hashes of a log, in order, with the hashes of their complete subtrees."""

    def __init__(self, leaves: Iterable[bytes] = (), nodes: Nodes | None = None) -> None:
        self._nodes = MemoryNodes() if nodes is None else nodes
        self._size = self._nodes.count()
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash (``leaf_hash`` of the record)."""
        level, index, digest = 0, self._size, leaf
        self._nodes.add(0, index, leaf)
        while index % 2 == 1:  # a right child completes its parent
            digest = node_hash(self._nodes.get(level, index - 1), digest)
            level, index = level + 1, index // 2
            self._nodes.add(level, index, digest)
        self._size += 1

    def leaf(self, index: int) -> bytes:
        return self._nodes.get(0, index)

    def frontier(self) -> "Frontier":
        """The right edge: the complete subtrees of the tree, largest first."""
        hashes, start = [], 0
        for bit in reversed(range(self.size.bit_length())):
            if self.size >> bit & 1:
                hashes.append(self._hash(start, start + (1 << bit)))
                start += 1 << bit
        return Frontier(self.size, hashes)

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all by default); the empty tree's is SHA-256 of nothing."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"tree size {size} outside 0..{self.size}")
        return self._hash(0, size) if size else hashlib.sha256(b"").digest()

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]): the audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"leaf {index} is not in a tree of {size}")
        return self._path(index, 0, size)

    def consistency(self, old: int, new: int | None = None) -> list[bytes]:
        """PROOF(old, D[new]): that the tree of ``old`` leaves is a prefix of the tree of ``new``."""
        new = self.size if new is None else new
        if not 0 < old <= new <= self.size:
            raise ValueError(f"no consistency proof from {old} to {new}")
        return self._subproof(old, 0, new, True)

    def _hash(self, start: int, end: int) -> bytes:
        size = end - start
        if size & (size - 1) == 0 and start % size == 0:  # a complete subtree: kept
            return self._nodes.get(size.bit_length() - 1, start // size)
        k = _split(size)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def _path(self, index: int, start: int, end: int) -> list[bytes]:
        size = end - start
        if size == 1:
            return []
        k = _split(size)
        if index < start + k:
            return [*self._path(index, start, start + k), self._hash(start + k, end)]
        return [*self._path(index, start + k, end), self._hash(start, start + k)]

    def _subproof(self, old: int, start: int, end: int, whole: bool) -> list[bytes]:
        size = end - start
        if old == size:
            return [] if whole else [self._hash(start, end)]
        k = _split(size)
        if old <= k:
            return [*self._subproof(old, start, start + k, whole), self._hash(start + k, end)]
        return [*self._subproof(old - k, start + k, end, False), self._hash(start, start + k)]


class Frontier:
    """The right edge of a tree: the roots of its complete subtrees, largest first (one per bit of the size)."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} subtrees on its right edge")
        self.size, self.hashes = size, list(hashes)

    def append(self, leaf: bytes) -> None:
        digest, merged = leaf, self.size
        while merged % 2 == 1:  # each trailing one bit of the size is a subtree of the new leaf's size: merge
            digest = node_hash(self.hashes.pop(), digest)
            merged >>= 1
        self.hashes.append(digest)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return hashlib.sha256(b"").digest()
        digest = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            digest = node_hash(left, digest)
        return digest

    def copy(self) -> "Frontier":
        return Frontier(self.size, self.hashes)


def root_from_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2); raises ValueError for a malformed proof."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    fn, sn, hashed = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            raise ValueError("the proof is longer than the tree is deep")
        if fn % 2 == 1 or fn == sn:
            hashed = node_hash(sibling, hashed)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            hashed = node_hash(hashed, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree is deep")
    return hashed


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    try:
        return root_from_inclusion(leaf, index, size, path) == root
    except ValueError:
        return False


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2: the tree of ``old`` leaves with ``old_root`` is a prefix of the one of ``new`` leaves."""
    if old == new:
        return not proof and old_root == new_root
    if not 0 < old < new or not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if fn % 2 == 0:
                while fn % 2 == 0 and fn != 0:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == old_root and sr == new_root
