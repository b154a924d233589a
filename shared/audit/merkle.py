"""The log-wide Merkle tree (默克尔树) of a service's events: RFC 9162 (Certificate Transparency 2.0) §2.1 hashing.

A leaf is `H(0x00 || data)`, an interior node `H(0x01 || left || right)`, the root of no leaves `H("")`; the tree of
n leaves splits at the largest power of two below n. The data of a leaf is an event's own hash (shared/audit/chain.py),
in the order the log placed it (shared/audit/leaves.py). Pure functions, no I/O: the service builds proofs with them
and an outside party (the province) verifies them with these alone, holding only a signed checkpoint (size, root).

`Frontier` is the tree's incremental state, the compact range [0, n): the roots of the perfect subtrees that n's
binary digits name, largest first, at most log2(n) + 1 hashes. Appending a leaf and taking the root cost O(log n), so
a checkpoint never re-reads the log. Proofs read the roots of the complete tiles of TILE leaves (n / TILE hashes) and
at most two tiles' leaves; the verifiers are O(log n).

No library does exactly this with proofs and earns its place: the PyPI Merkle packages are unmaintained or hash
otherwise (no 0x00/0x01 domain separation, duplicated last nodes), and the algorithms are RFC 9162's own pseudocode.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def digest(data: bytes) -> bytes:
    """The tree's hash: SHA-256, the hash of RFC 9162 and of the per-stream chains (shared/audit/chain.py)."""
    return hashlib.sha256(data).digest()


EMPTY_ROOT = digest(b"")


def leaf_hash(data: bytes) -> bytes:
    return digest(LEAF_PREFIX + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    return digest(NODE_PREFIX + left + right)


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 9162 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


# Leaves per tile: the root of each complete, aligned run of TILE leaves is stored as leaves are placed
# (shared/audit/leaves.py), so a proof reads n / TILE tile roots and at most two tiles' leaves, not every leaf.
TILE = 256


def subtree_root(
    leaves: Sequence[bytes], start: int = 0, end: int | None = None, tiles: Sequence[bytes] = (), tile: int = TILE
) -> bytes:
    """MTH(D[start:end]) of leaf hashes (already `leaf_hash`ed), without copying them. A perfect subtree of at least
    `tile` leaves, aligned, whose tiles are all in `tiles` (the roots of leaves [t*tile, (t+1)*tile)), is their MTH."""
    end = len(leaves) if end is None else end
    n = end - start
    if n == 0:
        return EMPTY_ROOT
    if n >= tile and n & (n - 1) == 0 and start % tile == 0 and end // tile <= len(tiles):
        return subtree_root(tiles, start // tile, end // tile)
    if n == 1:
        return leaves[start]
    k = _split(n)
    return node_hash(
        subtree_root(leaves, start, start + k, tiles, tile), subtree_root(leaves, start + k, end, tiles, tile)
    )


def inclusion_proof(
    leaves: Sequence[bytes], index: int, size: int, tiles: Sequence[bytes] = (), tile: int = TILE
) -> list[bytes]:
    """PATH(index, D[0:size]) (RFC 9162 §2.1.3.1): the sibling hashes from the leaf up, over leaf hashes."""
    if not 0 <= index < size <= len(leaves):
        raise ValueError(f"no leaf {index} in a tree of {size} (of {len(leaves)} leaves)")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(subtree_root(leaves, start + k, end, tiles, tile))
            end = start + k
        else:
            path.append(subtree_root(leaves, start, start + k, tiles, tile))
            start += k
    path.reverse()
    return path


def consistency_proof(
    leaves: Sequence[bytes], old_size: int, new_size: int, tiles: Sequence[bytes] = (), tile: int = TILE
) -> list[bytes]:
    """PROOF(m, D[0:n]) (RFC 9162 §2.1.4.1): that the tree of `old_size` leaves is a prefix of that of `new_size`."""
    if not 0 <= old_size <= new_size <= len(leaves):
        raise ValueError(f"no consistency from {old_size} to {new_size} (of {len(leaves)} leaves)")
    if old_size in (0, new_size):
        return []
    return _subproof(leaves, old_size, 0, new_size, True, tiles, tile)


def _subproof(
    leaves: Sequence[bytes], m: int, start: int, end: int, complete: bool, tiles: Sequence[bytes], tile: int
) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if complete else [subtree_root(leaves, start, end, tiles, tile)]
    k = _split(n)
    if m <= k:
        return [
            *_subproof(leaves, m, start, start + k, complete, tiles, tile),
            subtree_root(leaves, start + k, end, tiles, tile),
        ]
    return [
        *_subproof(leaves, m - k, start + k, end, False, tiles, tile),
        subtree_root(leaves, start, start + k, tiles, tile),
    ]


def tile_roots(leaves: Sequence[bytes], tile: int = TILE) -> list[bytes]:
    """The root of every complete tile of these leaf hashes."""
    return [subtree_root(leaves, t * tile, (t + 1) * tile) for t in range(len(leaves) // tile)]


def needed_leaves(size: int, positions: Sequence[int], tile: int = TILE) -> list[tuple[int, int]]:
    """The leaf ranges a proof over a tree of `size` leaves reads besides the tiles: the tile of each position on a
    path (the leaf proved, or either side of a consistency proof's old size) and the last, incomplete, tile."""
    starts = {p // tile * tile for p in positions if 0 <= p < size} | {size // tile * tile}
    return sorted((s, min(s + tile, size)) for s in starts if s < size)


class SparseLeaves(Sequence[bytes]):
    """A tree's `size` leaf hashes of which only some are known: what a proof reads with the tiles."""

    def __init__(self, size: int, known: dict[int, bytes]) -> None:
        self.size, self.known = size, known

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> bytes:  # type: ignore[override]
        return self.known[index]


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root a tree of `size` leaves has if `leaf` (a leaf hash) is its leaf `index` with this path; None if the
    path cannot be one (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves whose root is `root`."""
    return root_from_inclusion(leaf, index, size, proof) == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether the tree (old_size, old_root) is a prefix of (new_size, new_root), by RFC 9162 §2.1.4.2."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the proof's first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0


@dataclass(frozen=True)
class Frontier:
    """The compact range [0, size): the perfect subtrees' roots, largest first (one per set bit of size)."""

    size: int = 0
    nodes: tuple[bytes, ...] = ()

    def append(self, leaf: bytes) -> "Frontier":
        """The frontier with one more leaf (a leaf hash): carries merge equal subtrees, as a binary counter adds 1."""
        nodes, carry, size = list(self.nodes), leaf, self.size
        while size & 1:
            carry = node_hash(nodes.pop(), carry)
            size >>= 1
        nodes.append(carry)
        return Frontier(self.size + 1, tuple(nodes))

    def extend(self, leaves: Sequence[bytes]) -> "Frontier":
        frontier = self
        for leaf in leaves:
            frontier = frontier.append(leaf)
        return frontier

    def root(self) -> bytes:
        """MTH of the first `size` leaves: the subtrees folded right to left."""
        if not self.nodes:
            return EMPTY_ROOT
        root = self.nodes[-1]
        for node in reversed(self.nodes[:-1]):
            root = node_hash(node, root)
        return root

    def __post_init__(self) -> None:
        if len(self.nodes) != self.size.bit_count() or any(len(n) != HASH_SIZE for n in self.nodes):
            raise ValueError(
                f"a frontier of {self.size} leaves has {self.size.bit_count()} hashes of {HASH_SIZE} bytes"
            )
