"""compat="ketama" against the real twemproxy (Debian's nutcracker in front of memcached), key
for key: 100,000 random keys per node set, unequal weights, float-rounding traps, long names,
removals, tied points and a key whose hash equals a point. The harness (twemproxy_harness.py)
is checked on its own in test_twemproxy_harness.py."""

from __future__ import annotations

import bisect
import hashlib
import os
import random
import struct
import sys
from typing import List, Tuple

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from twemproxy_harness import Twemproxy  # noqa: E402

from ringpax import ConsistentHash  # noqa: E402

Servers = List[Tuple[str, int]]


def random_keys(n: int, seed: int) -> List[bytes]:
    rng = random.Random(seed)
    alphabet = bytes(range(0x21, 0x7F)) + bytes(range(0x80, 0x100))
    return [bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def ours(servers: Servers) -> ConsistentHash:
    return ConsistentHash(160, weights=dict(servers), compat="ketama")


NODE_SETS: dict[str, Servers] = {
    "weights-1-2-3": [("alpha", 1), ("beta", 2), ("gamma", 3)],
    "12-equal": [(f"cache-{i:02d}.example.net:11211", 1) for i in range(12)],
    "11-mixed": [(f"mc{i}", w) for i, w in enumerate([1, 2, 3, 5, 8, 1, 1, 4, 2, 7, 3])],
    # float32 rounding gives the weight-1, -8 and -4 servers one digest (4 points) less.
    "float-trap": [("s1", 1), ("s5", 5), ("s8", 8), ("s7", 7), ("s4", 4)],
    # "NAME-i" is cut to 272 bytes before hashing.
    "long-names": [("a" * 200, 2), ("b" * 300, 1), ("short", 1)],
}


@pytest.mark.parametrize("label", list(NODE_SETS))
def test_ketama_matches_twemproxy_on_100k_keys(label: str) -> None:
    servers = NODE_SETS[label]
    keys = random_keys(100_000, seed=len(label))
    with Twemproxy(servers) as proxy:
        want = proxy.placements(keys)
    got = ours(servers).get_many(keys)
    bad = [(k, g, w) for k, g, w in zip(keys, got, want) if g != w]
    assert not bad, f"{len(bad)} of {len(keys)} keys differ: {bad[:5]}"


def test_ketama_after_removals_matches_a_proxy_with_fewer_servers() -> None:
    servers = NODE_SETS["11-mixed"]
    ring = ours(servers)
    keys = random_keys(100_000, seed=99)
    for gone in ("mc4", "mc9"):
        ring.remove_node(gone)
        servers = [s for s in servers if s[0] != gone]
        with Twemproxy(servers) as proxy:
            assert ring.get_many(keys) == proxy.placements(keys)


def ketama_points(name: str) -> set[int]:
    return {
        struct.unpack("<I", hashlib.md5(f"{name}-{i}".encode()).digest()[4 * j : 4 * j + 4])[0]
        for i in range(40)
        for j in range(4)
    }


def find_ties(limit: int) -> list[tuple[str, str, int]]:
    """Pairs of names t<i> whose two-server continua (160 points each) share a point value."""
    owner: dict[int, str] = {}
    ties = []
    for i in range(limit):
        name = f"t{i}"
        for v in ketama_points(name):
            other = owner.setdefault(v, name)
            if other != name:
                ties.append((other, name, v))
    return ties


def keys_on_point(points: list[int], value: int, n: int) -> list[bytes]:
    keys: list[bytes] = []
    j = 0
    while len(keys) < n:
        key = b"tiekey-%d" % j
        j += 1
        h = struct.unpack("<I", hashlib.md5(key).digest()[:4])[0]
        i = bisect.bisect_left(points, h)
        if points[i % len(points)] == value:
            keys.append(key)
    return keys


def test_tied_points_go_to_the_shorter_then_smaller_name() -> None:
    ties = find_ties(2500)
    same_len = [t for t in ties if len(t[0]) == len(t[1])][:2]
    # Shorter name that sorts after the longer one bytewise ("t919" > "t1742"): plain byte
    # order would pick the other server.
    cross = [t for t in ties if len(t[0]) != len(t[1])
             and min(t[:2], key=len) > max(t[:2], key=len)][:2]
    assert len(same_len) == 2 and len(cross) == 2, ties
    for a, b, tied in same_len + cross:
        winner, loser = sorted((a, b), key=lambda s: (len(s), s))
        servers: Servers = [(loser, 1), (winner, 1)]  # config order would pick the loser
        keys = keys_on_point(sorted(ketama_points(a) | ketama_points(b)), tied, 10)
        assert ours(servers).get_many(keys) == [winner] * len(keys)
        with Twemproxy(servers) as proxy:
            assert proxy.placements(keys) == [winner] * len(keys)


def test_a_key_whose_hash_equals_a_point_goes_to_that_point() -> None:
    servers = NODE_SETS["weights-1-2-3"]
    key = b"eq-39304971"  # md5(key)[0:4] is exactly a point of this continuum
    with Twemproxy(servers) as proxy:
        assert ours(servers).get_many([key]) == proxy.placements([key])
