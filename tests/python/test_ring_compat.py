"""compat="uhashring" and compat="ketama" against the real peers, key for key.

uhashring 2.5 (PyPI, test-only dependency) is the reference for compat="uhashring". For ketama the
reference is twemproxy itself (Debian's nutcracker in front of memcached servers): see
test_ring_twemproxy.py; here ketama is also checked against uhashring's ketama ring where the two
peers agree with each other.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from uhashring import HashRing

from ringpax import ConsistentHash, InvalidArgumentError

N_KEYS = 100_000


def random_keys(seed: int, n: int = N_KEYS) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(64):x}:{rng.random()}" for _ in range(n)]


NODE_SETS: list[dict[str, int]] = [
    {"127.0.0.1": 1, "127.0.0.2": 1, "127.0.0.3": 1},
    {f"cache-{i}.example:11211": 1 for i in range(10)},
    {f"n{i}": 1 + i % 4 for i in range(50)},
]


def peer(nodes: dict[str, int], vnodes: int) -> HashRing:
    return HashRing(nodes={n: {"weight": w} for n, w in nodes.items()}, vnodes=vnodes)


@pytest.mark.parametrize("nodes", NODE_SETS, ids=["3", "10", "50-weighted"])
@pytest.mark.parametrize("vnodes", [160, 40])
def test_uhashring_placements_identical(nodes: dict[str, int], vnodes: int) -> None:
    theirs = peer(nodes, vnodes)
    ours = ConsistentHash(vnodes, weights=nodes, compat="uhashring")
    keys = random_keys(len(nodes) * vnodes)
    assert ours.get_many(keys) == [theirs.get_node(k) for k in keys]
    sample = keys[:2000]
    assert [ours.get(k) for k in sample] == [theirs.get_node(k) for k in sample]
    # The preference list is uhashring's range(key, size, unique=True).
    for k in keys[:300]:
        want = [c["nodename"] for c in theirs.range(k, 3, unique=True)]
        assert ours.get_nodes(k, 3) == want


def test_uhashring_after_removals_and_additions() -> None:
    nodes = {f"n{i}": 1 + i % 3 for i in range(20)}
    theirs = peer(nodes, 160)
    ours = ConsistentHash(160, weights=nodes, compat="uhashring")
    keys = random_keys(7, 50_000)
    for gone in ("n3", "n17", "n0"):
        theirs.remove_node(gone)
        ours.remove_node(gone)
        assert ours.get_many(keys) == [theirs.get_node(k) for k in keys]
    theirs.add_node("late", {"weight": 2})
    ours.add_node("late", weight=2)
    assert ours.get_many(keys) == [theirs.get_node(k) for k in keys]


def test_uhashring_keys_of_any_type_hash_as_str() -> None:
    nodes = {"a": 1, "b": 1, "c": 2}
    theirs = peer(nodes, 160)
    ours = ConsistentHash(160, weights=nodes, compat="uhashring")
    keys: list[Any] = [1, 2.5, None, (1, 2), b"raw", "str", 10**30]
    assert [ours.get(k) for k in keys] == [theirs.get_node(k) for k in keys]
    ours.add(42)
    assert ours.keys() == ["42"]  # tracked under str(key), as uhashring hashes it


def ketama_points(ring: HashRing) -> set[int]:
    return set(ring.runtime._keys)


@pytest.mark.parametrize("n", [3, 10, 40])
def test_ketama_matches_uhashring_ketama_with_equal_weights(n: int) -> None:
    # uhashring's ketama ring uses the libketama continuum too (40 digests x 4 points per server
    # for equal weights) but looks keys up with bisect_right (first point > hash) where libketama
    # and twemproxy use the first point >= hash. Keys whose hash equals a point are the one place
    # they may differ, so they are excluded and counted.
    nodes = [f"10.0.0.{i}:11211" for i in range(n)]
    theirs = HashRing(nodes=nodes, hash_fn="ketama")
    ours = ConsistentHash(160, *nodes, compat="ketama")
    points = ketama_points(theirs)
    keys = random_keys(n)
    mine = ours.get_many(keys)
    exact = [i for i, k in enumerate(keys) if theirs.hashi(k) not in points]
    assert len(exact) >= N_KEYS - 5
    assert [mine[i] for i in exact] == [theirs.get_node(keys[i]) for i in exact]
    assert all(ours.hash(k) >> 32 == theirs.hashi(k) for k in keys[:1000])


def test_compat_argument_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="compat"):
        ConsistentHash(compat="jump")
    with pytest.raises(ValueError, match="hash"):
        ConsistentHash(compat="ketama", hash="xxh3")
    with pytest.raises(ValueError, match="replicas"):
        ConsistentHash(162, "a", compat="ketama")  # ketama points come in fours
    assert ConsistentHash(compat="uhashring").hash_name == "uhashring"
    assert ConsistentHash(compat="ketama").hash_name == "ketama"


def test_hash_choices_and_keyed_hashing() -> None:
    nodes = [f"n{i}" for i in range(30)]
    plain = ConsistentHash(160, *nodes)
    fast = ConsistentHash(160, *nodes, hash="xxh3")
    keyed = ConsistentHash(160, *nodes, key=b"k" * 32)
    other = ConsistentHash(160, *nodes, key=b"j" * 32)
    assert (plain.hash_name, fast.hash_name, keyed.hash_name) == ("blake3", "xxh3", "blake3-keyed")
    keys = random_keys(3, 2000)
    a, b, c, d = (r.get_many(keys) for r in (plain, fast, keyed, other))
    # Different hashes place keys differently; the same secret places them the same way.
    assert a != b and a != c and c != d
    assert c == ConsistentHash(160, *nodes, key=b"k" * 32).get_many(keys)
    with pytest.raises(ValueError, match="32 bytes"):
        ConsistentHash(key=b"short")
    with pytest.raises(TypeError, match="32 bytes"):
        ConsistentHash(key="k" * 32)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="xxh3"):
        ConsistentHash(hash="xxh3", key=b"k" * 32)
    with pytest.raises(ValueError, match="md5"):
        ConsistentHash(hash="md5")
