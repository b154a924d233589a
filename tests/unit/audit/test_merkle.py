"""The Merkle tree, its proofs and their verifiers against a naive recomputation (RFC 9162 §2.1)."""

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from shared.audit import merkle


def naive_root(data: list[bytes]) -> bytes:
    """MTH as RFC 9162 writes it: recursion over the data, nothing shared with the module but sha256."""
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < len(data):
        k *= 2
    return hashlib.sha256(b"\x01" + naive_root(data[:k]) + naive_root(data[k:])).digest()


def events(n: int) -> list[bytes]:
    return [hashlib.sha256(f"event {i}".encode()).digest() for i in range(n)]


sizes = st.integers(min_value=1, max_value=70)


def test_the_root_of_no_leaves_is_the_hash_of_nothing() -> None:
    assert merkle.Frontier().root() == hashlib.sha256(b"").digest()


def test_a_known_root_of_rfc_6962s_test_vectors() -> None:
    # certificate-transparency-go's merkle tests: the root of the 8 leaves "", 00, 10, 2021, 3031, 40414243, ….
    leaves = [
        bytes.fromhex(h)
        for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")
    ]
    root = merkle.subtree_root([merkle.leaf_hash(d) for d in leaves])
    assert root.hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@given(sizes)
def test_the_frontier_gives_the_naive_root_at_every_size(n: int) -> None:
    data = events(n)
    frontier = merkle.Frontier()
    for i, d in enumerate(data, start=1):
        frontier = frontier.append(merkle.leaf_hash(d))
        assert frontier.root() == naive_root(data[:i])
        assert len(frontier.nodes) == i.bit_count()


@given(sizes, st.data())
def test_every_inclusion_proof_verifies_and_no_other_leaf_or_index_does(n: int, draw: st.DataObject) -> None:
    data = events(n)
    leaves = [merkle.leaf_hash(d) for d in data]
    size = draw.draw(st.integers(min_value=1, max_value=n))
    index = draw.draw(st.integers(min_value=0, max_value=size - 1))
    root = naive_root(data[:size])
    proof = merkle.inclusion_proof(leaves, index, size)
    assert merkle.verify_inclusion(leaves[index], index, size, proof, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"tampered"), index, size, proof, root)
    if size > 1:
        other = (index + 1) % size
        assert not merkle.verify_inclusion(leaves[index], other, size, proof, root)
        assert not merkle.verify_inclusion(leaves[index], index, size, proof[:-1], root)


@given(sizes, st.data())
def test_every_consistency_proof_verifies_and_a_rewritten_log_does_not(n: int, draw: st.DataObject) -> None:
    data = events(n)
    leaves = [merkle.leaf_hash(d) for d in data]
    old = draw.draw(st.integers(min_value=1, max_value=n))
    new = draw.draw(st.integers(min_value=old, max_value=n))
    old_root, new_root = naive_root(data[:old]), naive_root(data[:new])
    proof = merkle.consistency_proof(leaves, old, new)
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)
    rewritten = draw.draw(st.integers(min_value=0, max_value=old - 1))
    changed = [*data[:rewritten], b"rewritten", *data[rewritten + 1 :]]
    assert not merkle.verify_consistency(old, new, old_root, naive_root(changed[:new]), proof)
    assert not merkle.verify_consistency(old, new, naive_root(changed[:old]), new_root, proof)


def test_a_proof_for_a_leaf_outside_the_tree_is_refused() -> None:
    leaves = [merkle.leaf_hash(d) for d in events(3)]
    assert merkle.root_from_inclusion(leaves[0], 3, 3, []) is None
    assert not merkle.verify_consistency(3, 2, b"", b"", [])


@given(st.integers(min_value=1, max_value=140), st.data())
def test_proofs_from_tiles_and_the_few_leaves_they_need_are_the_proofs_from_every_leaf(
    n: int, draw: st.DataObject
) -> None:
    tile = draw.draw(st.sampled_from((1, 2, 4, 8, 16)))
    leaves = [merkle.leaf_hash(d) for d in events(n)]
    tiles = merkle.tile_roots(leaves, tile)

    def sparse(size: int, *positions: int) -> merkle.SparseLeaves:
        ranges = merkle.needed_leaves(size, positions, tile)
        return merkle.SparseLeaves(size, {i: leaves[i] for start, end in ranges for i in range(start, end)})

    size = draw.draw(st.integers(min_value=1, max_value=n))
    index = draw.draw(st.integers(min_value=0, max_value=size - 1))
    stored = tiles[: size // tile]
    expected = merkle.inclusion_proof(leaves, index, size)
    assert merkle.inclusion_proof(sparse(size, index), index, size, stored, tile) == expected
    old = draw.draw(st.integers(min_value=1, max_value=size))
    expected = merkle.consistency_proof(leaves, old, size)
    assert merkle.consistency_proof(sparse(size, old - 1, old), old, size, stored, tile) == expected
