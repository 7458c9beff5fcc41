"""JumpHash, Rendezvous and Maglev from Python: every method, every error, the placement spec
against an independent pure-Python reference (blake3 package), minimal moves, balance, the GIL
released batch path, and Hypothesis operation sequences checked against models."""

from __future__ import annotations

import heapq
import math
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from blake3 import blake3
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import ringpax
from ringpax import (
    DuplicateNodeError,
    EmptyRingError,
    InvalidArgumentError,
    RingpaxError,
    UnknownNodeError,
)
from ringpax.algorithms import DEFAULT_TABLE_SIZE, JumpHash, Maglev, Rendezvous

SECRET = bytes(range(32))
M64 = (1 << 64) - 1

# -- the spec, written from the papers and the module docs (not from the Rust code) -------------


def ref_hash(data: bytes, key: bytes | None = None) -> int:
    digest = blake3(data, key=key).digest() if key else blake3(data).digest()
    return int.from_bytes(digest[:8], "little")


def ref_jump(key: int, buckets: int) -> int:
    """Lamping & Veach 2014, Figure 1."""
    b, j = -1, 0
    while j < buckets:
        b = j
        key = (key * 2862933555777941757 + 1) & M64
        j = int((b + 1) * (float(1 << 31) / float((key >> 33) + 1)))
    return b


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def ref_rendezvous(nodes: dict[str, float], key: bytes, secret: bytes | None = None) -> list[str]:
    """All nodes, best first: score -w / ln(u), ties to larger s, then smaller name."""
    hk = ref_hash(key, secret)
    rows = []
    for name, w in nodes.items():
        s = _mix(hk ^ ref_hash(name.encode(), secret))
        u = ((s >> 12) + 0.5) / 2.0**52
        rows.append((-w / math.log(u), s, name.encode()))
    rows.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [r[2].decode() for r in rows]


def ref_maglev(nodes: dict[str, float], m: int, secret: bytes | None = None) -> list[str]:
    """Eisenbud et al. 2016, section 3.4, with stride-scheduled turns for weights."""
    names = sorted(nodes, key=lambda n: n.encode())
    perm = []
    for n in names:
        offset = ref_hash((n + "#0").encode(), secret) % m
        skip = ref_hash((n + "#1").encode(), secret) % (m - 1) + 1
        perm.append([offset, skip, 0])
    table: list[str | None] = [None] * m
    turns = [(0.0, i) for i in range(len(names))]
    taken = [0] * len(names)
    for _ in range(m):
        _, i = heapq.heappop(turns)
        offset, skip, j = perm[i]
        while True:
            c = (offset + j * skip) % m
            j += 1
            if table[c] is None:
                table[c] = names[i]
                break
        perm[i][2] = j
        taken[i] += 1
        heapq.heappush(turns, (taken[i] / nodes[names[i]], i))
    return [t for t in table if t is not None]


def keys(n: int, prefix: str = "user:") -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


# -- reference agreement ------------------------------------------------------------------------


def test_jump_matches_the_reference() -> None:
    assert [ref_jump(k, n) for k, n in [(1, 1), (42, 57), (256, 1024), (0xDEAD10CC, 666)]] == [
        0, 43, 520, 361,
    ]
    j = JumpHash(10)
    assert [j.get(f"key{i}") for i in range(8)] == [8, 5, 6, 0, 3, 5, 4, 2]
    for n in (1, 7, 1000, 2**31 - 1):
        j = JumpHash(n)
        for k in keys(300):
            assert j.hash(k) == ref_hash(k.encode())
            assert j.get(k) == ref_jump(ref_hash(k.encode()), n)
    keyed = JumpHash(33, key=SECRET)
    assert keyed.hash_name == "blake3-keyed"
    assert all(keyed.get(k) == ref_jump(ref_hash(k.encode(), SECRET), 33) for k in keys(300))


def test_rendezvous_matches_the_reference() -> None:
    nodes = {"a": 1.0, "b": 2.0, "c": 0.5, "d": 1.0, "node-ü": 3.0}
    r = Rendezvous(list(nodes), weights=nodes)
    keyed = Rendezvous(nodes=list(nodes), weights=list(nodes.values()), key=SECRET)
    for k in keys(300):
        assert r.get_nodes(k, len(nodes)) == ref_rendezvous(nodes, k.encode())
        assert keyed.get_nodes(k, 3) == ref_rendezvous(nodes, k.encode(), SECRET)[:3]
    plain = Rendezvous(["a", "b", "c", "d"])
    assert plain.get_nodes("key0", 4) == ["b", "c", "d", "a"]


def test_maglev_matches_the_reference() -> None:
    assert Maglev(["a", "b", "c"], 13).table() == list("babcacaabacbc")
    assert Maglev(["a", "b", "c"], 13, [1, 2, 1]).table() == list("babcabbabacbc")
    nodes = {f"backend-{i}": float(1 + i % 3) for i in range(20)}
    m = Maglev(list(nodes), 1009, weights=nodes)
    assert m.table() == ref_maglev(nodes, 1009)
    keyed = Maglev(list(nodes), 1009, weights=nodes, key=SECRET)
    assert keyed.table() == ref_maglev(nodes, 1009, SECRET)
    for k in keys(300):
        assert m.get(k) == m.table()[ref_hash(k.encode()) % 1009]
    big = Maglev([f"n{i}" for i in range(5)])
    assert big.table_size == DEFAULT_TABLE_SIZE == 65537
    assert [big.get(f"key{i}") for i in range(10)] == [
        "n0", "n2", "n2", "n4", "n2", "n2", "n0", "n3", "n3", "n2",
    ]


@settings(max_examples=40, deadline=None)
@given(
    nodes=st.dictionaries(
        st.text(min_size=1, max_size=5), st.sampled_from([0.5, 1.0, 1.5, 3.0]), min_size=1, max_size=8
    ),
    key=st.one_of(st.text(max_size=8), st.binary(max_size=8)),
    size=st.sampled_from([11, 101, 257]),
)
def test_all_three_match_the_reference_on_random_input(
    nodes: dict[str, float], key: str | bytes, size: int
) -> None:
    raw = key.encode() if isinstance(key, str) else key
    assert JumpHash(len(nodes)).get(key) == ref_jump(ref_hash(raw), len(nodes))
    assert Rendezvous(list(nodes), nodes).get_nodes(key, len(nodes)) == ref_rendezvous(nodes, raw)
    if len(nodes) < size:
        m = Maglev(list(nodes), size, nodes)
        assert m.table() == ref_maglev(nodes, size)
        assert m.get(key) == m.table()[ref_hash(raw) % size]


# -- JumpHash -----------------------------------------------------------------------------------


def test_jump_properties_and_names() -> None:
    j = JumpHash()
    assert j.buckets == 0 == len(j) and j.nodes is None and j.hash_name == "blake3"
    assert repr(j) == "JumpHash(buckets=0, named=False, hash='blake3')"
    assert JumpHash(5, hash="xxh3").hash_name == "xxh3"
    named = JumpHash(nodes=["shard-a", "shard-b", "shard-c"])
    assert named.nodes == ["shard-a", "shard-b", "shard-c"] and len(named) == 3
    assert JumpHash(3, nodes=("x", "y", "z")).nodes == ["x", "y", "z"]
    assert "shard-b" in named and "zz" not in named and 1 not in named
    assert named.bucket_of("shard-c") == 2
    for k in keys(100):
        assert named.get_node(k) == named.nodes[named.get(k)]
    assert "named=True" in repr(named)
    assert JumpHash(nodes=iter(["a"])).nodes == ["a"]


def test_jump_membership_moves_only_the_last_bucket() -> None:
    j = JumpHash(9)
    ks = keys(20000)
    before = j.get_many(ks)
    assert j.add_bucket() == 9 and j.buckets == 10
    after = j.get_many(ks)
    moved = [i for i, (b, a) in enumerate(zip(before, after)) if b != a]
    assert all(after[i] == 9 for i in moved)
    assert abs(len(moved) / len(ks) - 0.1) < 0.015
    assert j.remove_bucket() == 9
    assert j.get_many(ks) == before

    named = JumpHash(nodes=["a", "b"])
    assert named.add_bucket("c") == 2
    with pytest.raises(InvalidArgumentError, match="last bucket"):
        named.remove_bucket("a")
    assert named.remove_bucket("c") == 2
    assert named.remove_bucket() == 1 and named.nodes == ["a"]
    with pytest.raises(UnknownNodeError):
        named.bucket_of("b")


def test_jump_errors() -> None:
    for bad in (-1, 2**31, 2**80):
        with pytest.raises(InvalidArgumentError):
            JumpHash(bad)
    for bad_type in ("3", 2.0, True, None.__class__):
        with pytest.raises(TypeError):
            JumpHash(bad_type)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="buckets=2 but 3"):
        JumpHash(2, nodes=["a", "b", "c"])
    with pytest.raises(TypeError, match="list of names"):
        JumpHash(nodes="abc")
    with pytest.raises(TypeError, match="node name must be str"):
        JumpHash(nodes=["a", 1])  # type: ignore[list-item]
    with pytest.raises(DuplicateNodeError, match="'a'|\"a\""):
        JumpHash(nodes=["a", "a"])
    with pytest.raises(InvalidArgumentError, match="empty"):
        JumpHash(nodes=[""])
    empty = JumpHash(0)
    with pytest.raises(EmptyRingError) as e:
        empty.get("k")
    assert isinstance(e.value, LookupError) and isinstance(e.value, RingpaxError)
    with pytest.raises(EmptyRingError):
        empty.get_many(["k"])
    with pytest.raises(EmptyRingError):
        empty.remove_bucket()
    with pytest.raises(InvalidArgumentError, match="unnamed"):
        empty.add_bucket("x")
    with pytest.raises(InvalidArgumentError, match="unnamed"):
        JumpHash(2).get_node("k")
    with pytest.raises(InvalidArgumentError, match="unnamed"):
        JumpHash(2).bucket_of("k")
    with pytest.raises(InvalidArgumentError, match="needs a"):
        JumpHash(nodes=["a"]).add_bucket()
    with pytest.raises(UnknownNodeError) as unknown:
        JumpHash(nodes=["a"]).remove_bucket("zz")
    assert isinstance(unknown.value, KeyError) and "zz" in str(unknown.value)
    j = JumpHash(nodes=["a"])
    with pytest.raises(TypeError):
        j.add_bucket(5)  # type: ignore[arg-type]
    assert j.nodes == ["a"]  # nothing changed


# -- Rendezvous ---------------------------------------------------------------------------------


def test_rendezvous_properties_and_weights() -> None:
    r = Rendezvous()
    assert len(r) == 0 and r.nodes == [] and r.weights == {} and r.hash_name == "blake3"
    r = Rendezvous(["c", "b", "a"], weights=[1, 2.5, 1])  # parallel to nodes
    assert r.nodes == ["a", "b", "c"] and r.weights == {"a": 1.0, "b": 2.5, "c": 1.0}
    assert Rendezvous(["a", "b"], {"b": 3}).weights == {"a": 1.0, "b": 3.0}
    assert Rendezvous(weights={"x": 2, "y": 1}).nodes == ["x", "y"]
    assert Rendezvous({"x": 2, "y": 1}).weights == {"x": 2.0, "y": 1.0}
    assert Maglev({"x": 2, "y": 1}, 13).weights == {"x": 2.0, "y": 1.0}
    assert "a" in r and "z" not in r and None not in r
    assert repr(r) == "Rendezvous(nodes=3, hash='blake3')"
    share = r.distribution()
    assert share == pytest.approx({"a": 1 / 4.5, "b": 2.5 / 4.5, "c": 1 / 4.5})
    counts = Counter(r.get_many(keys(40000)))
    for node, s in share.items():
        assert abs(counts[node] / 40000 - s) < 0.012


def test_rendezvous_lookups_and_minimal_moves() -> None:
    r = Rendezvous([f"n{i}" for i in range(12)], hash="xxh3")
    ks = keys(10000)
    before = r.get_many(ks)
    assert before == [r.get(k) for k in ks]
    for k in ks[:200]:
        top = r.get_nodes(k, 5)
        assert len(set(top)) == 5 and top[0] == r.get(k)
        assert r.get_nodes(k, 3) == top[:3] and r.get_nodes(k, 0) == []
    assert r.remove_node("n3") == 1.0
    after = r.get_many(ks)
    assert {i for i, (b, a) in enumerate(zip(before, after)) if b != a} == {
        i for i, b in enumerate(before) if b == "n3"
    }
    r.add_node("n3")
    assert r.get_many(ks) == before
    r.add_node("big", weight=4)
    grown = r.get_many(ks)
    assert all(g == b or g == "big" for g, b in zip(grown, before))
    assert r.weights["big"] == 4.0


def test_rendezvous_errors() -> None:
    with pytest.raises(EmptyRingError):
        Rendezvous().get("k")
    with pytest.raises(EmptyRingError):
        Rendezvous().get_nodes("k", 1)
    with pytest.raises(EmptyRingError):
        Rendezvous().get_many(["k"])
    r = Rendezvous(["a", "b"])
    with pytest.raises(InvalidArgumentError, match="only 2"):
        r.get_nodes("k", 3)
    with pytest.raises(InvalidArgumentError, match="-1"):
        r.get_nodes("k", -1)
    with pytest.raises(TypeError):
        r.get_nodes("k", "2")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        r.get_nodes("k", True)
    with pytest.raises(DuplicateNodeError):
        r.add_node("a")
    with pytest.raises(DuplicateNodeError):
        Rendezvous(["a", "a"])
    for bad in (0, -1, float("nan"), float("inf"), 1e10, 1e-10):
        with pytest.raises(InvalidArgumentError, match="weight"):
            r.add_node("c", bad)
    for bad_type in ("1", None.__class__, True):
        with pytest.raises(TypeError, match="weight"):
            r.add_node("c", bad_type)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="empty"):
        r.add_node("")
    with pytest.raises(TypeError, match="node name must be str"):
        r.add_node(b"c")  # type: ignore[arg-type]
    with pytest.raises(UnknownNodeError, match="zz"):
        r.remove_node("zz")
    with pytest.raises(InvalidArgumentError, match="2 entries but there are 3"):
        Rendezvous(["a", "b", "c"], [1, 2])
    with pytest.raises(InvalidArgumentError, match="not in nodes"):
        Rendezvous(["a"], {"b": 1})
    with pytest.raises(TypeError):
        Rendezvous(["a"], 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Rendezvous(["a"], "1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="list of names"):
        Rendezvous("abc")
    with pytest.raises(TypeError):
        Rendezvous(5)  # type: ignore[arg-type]
    assert r.nodes == ["a", "b"] and r.weights == {"a": 1.0, "b": 1.0}  # nothing changed


# -- Maglev -------------------------------------------------------------------------------------


def test_maglev_properties_balance_and_disruption() -> None:
    m = Maglev()
    assert len(m) == 0 and m.table() == [] and m.table_size == 65537 and m.hash_name == "blake3"
    names = [f"backend-{i:03d}" for i in range(100)]
    m = Maglev(names)
    assert repr(m) == "Maglev(nodes=100, table_size=65537, hash='blake3')"
    table = m.table()
    counts = Counter(table)
    assert len(table) == 65537 and set(counts) == set(names)
    assert max(counts.values()) - min(counts.values()) <= 1
    assert sum(m.distribution().values()) == pytest.approx(1.0)
    assert m.remove_node("backend-050") == 1.0
    after = m.table()
    own = sum(1 for t in table if t == "backend-050")
    extra = sum(1 for t, a in zip(table, after) if t != a and t != "backend-050")
    print(f"maglev n=100 remove one: {own / 65537:.2%} own entries, {extra / 65537:.2%} extra")
    assert "backend-050" not in after and extra / 65537 < 0.05
    m.add_node("backend-050")
    assert m.table() == table  # the membership determines the table
    assert "backend-050" in m and m.weights["backend-050"] == 1.0


def test_maglev_weights_and_batches() -> None:
    m = Maglev(["a", "b", "c", "d"], weights=[1, 2, 3, 4])
    share = m.distribution()
    for node, w in zip("abcd", (1, 2, 3, 4)):
        assert abs(share[node] - w / 10) < 0.001
    ks: list[str | bytes] = [*keys(20000), b"\x00", b""]
    assert m.get_many(ks) == [m.get(k) for k in ks]
    assert m.get_many(tuple(ks[:5])) == [m.get(k) for k in ks[:5]]
    assert m.get_many(iter(ks[:5])) == [m.get(k) for k in ks[:5]]
    assert m.get_many([]) == []
    assert m.get("ключ") == m.get("ключ".encode())


def test_maglev_errors() -> None:
    with pytest.raises(InvalidArgumentError, match="65521 and 65537"):
        Maglev(["a"], 65536)
    for bad in (0, 1, -7, 2**70, 16777216):
        with pytest.raises(InvalidArgumentError, match=f"table_size.*{bad}"):
            Maglev(["a"], bad)
    with pytest.raises(TypeError):
        Maglev(["a"], True)
    with pytest.raises(TypeError):
        Maglev(["a"], 13.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="larger than the number of nodes"):
        Maglev(["a", "b", "c"], 3)
    m = Maglev(["a", "b"], 3)
    with pytest.raises(InvalidArgumentError, match="larger than the number of nodes"):
        m.add_node("c")
    with pytest.raises(DuplicateNodeError):
        m.add_node("a")
    with pytest.raises(UnknownNodeError):
        m.remove_node("zz")
    with pytest.raises(InvalidArgumentError, match="weight"):
        m.add_node("c", 0)
    assert m.nodes == ["a", "b"] and len(m.table()) == 3
    m.remove_node("a")
    m.remove_node("b")
    with pytest.raises(EmptyRingError):
        m.get("k")
    with pytest.raises(EmptyRingError):
        m.get_many(["k"])


# -- shared behaviour ---------------------------------------------------------------------------


ALL = [lambda: JumpHash(5), lambda: Rendezvous(["a", "b"]), lambda: Maglev(["a", "b"], 13)]


@pytest.mark.parametrize("make", ALL, ids=["jump", "rendezvous", "maglev"])
def test_keys_must_be_str_or_bytes(make) -> None:  # type: ignore[no-untyped-def]
    obj = make()
    assert obj.get("ключ") == obj.get("ключ".encode()) and obj.hash("x") == obj.hash(b"x")
    for bad in (1, 1.5, None, ["k"], bytearray(b"k")):
        with pytest.raises(TypeError, match="str or bytes"):
            obj.get(bad)
        with pytest.raises(TypeError, match="str or bytes"):
            obj.hash(bad)
    with pytest.raises(TypeError, match="single key"):
        obj.get_many("abc")
    with pytest.raises(TypeError, match="single key"):
        obj.get_many(b"abc")
    with pytest.raises(TypeError, match="int"):
        obj.get_many(["a", 1])
    with pytest.raises(TypeError):
        obj.get_many(5)


@pytest.mark.parametrize(
    "cls", [lambda **kw: JumpHash(3, **kw), lambda **kw: Rendezvous(["a"], **kw),
            lambda **kw: Maglev(["a"], 13, **kw)],
    ids=["jump", "rendezvous", "maglev"],
)
def test_hash_choice(cls) -> None:  # type: ignore[no-untyped-def]
    assert cls().hash_name == "blake3" and cls(hash="blake3").hash_name == "blake3"
    assert cls(hash="xxh3").hash_name == "xxh3"
    assert cls(key=SECRET).hash_name == "blake3-keyed"
    assert cls(key=SECRET).hash("k") == ref_hash(b"k", SECRET)
    assert cls(hash="xxh3").hash("k") != cls().hash("k") == ref_hash(b"k")
    with pytest.raises(InvalidArgumentError, match="hash must be"):
        cls(hash="md5")
    with pytest.raises(InvalidArgumentError, match="32 bytes"):
        cls(key=b"short")
    with pytest.raises(TypeError, match="32 bytes"):
        cls(key="x" * 32)
    with pytest.raises(InvalidArgumentError, match="xxh3"):
        cls(hash="xxh3", key=SECRET)


def test_large_batches_release_the_gil_and_agree() -> None:
    # Streamed batches: str and bytes keys, around and beyond the 64-byte BLAKE3 block.
    ks: list[str | bytes] = [
        ("x" * (i % 90) + str(i)) if i % 2 else f"key-{i}-{'é' * (i % 40)}".encode()
        for i in range(50000)
    ]
    for obj in (JumpHash(100), Rendezvous([f"n{i}" for i in range(50)]), Maglev(["a", "b", "c"])):
        expect = [obj.get(k) for k in ks]
        assert obj.get_many(ks) == expect
        assert obj.get_many(tuple(ks)) == expect
        assert obj.get_many(iter(ks)) == expect
        bad: list[object] = list(ks)
        bad[30000] = None
        with pytest.raises(TypeError, match="NoneType"):
            obj.get_many(bad)  # type: ignore[arg-type]
    with pytest.raises(EmptyRingError):
        JumpHash(0).get_many(ks)


def test_concurrent_readers_see_consistent_answers() -> None:
    objs: list[JumpHash | Rendezvous | Maglev] = [
        JumpHash(64),
        Rendezvous([f"n{i}" for i in range(20)]),
        Maglev(["x", "y", "z"]),
    ]
    ks = keys(6000)
    expect: list[list[int] | list[str]] = [o.get_many(ks) for o in objs]
    errors: list[str] = []

    def reader() -> None:
        for o, e in zip(objs, expect):
            if o.get_many(ks) != e or [o.get(k) for k in ks[:500]] != e[:500]:
                errors.append("mismatch")

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


@pytest.mark.parametrize("kind", ["jump", "rendezvous", "maglev"])
def test_membership_changes_while_other_threads_look_up(kind: str) -> None:
    # Readers run streamed batches (the GIL-released path) and single lookups while a writer
    # grows and shrinks the membership: nothing raises, every answer is a member of some
    # membership the writer made, and each batch answers from one of those memberships whole.
    ks = keys(20000, prefix="conc:")
    base = [f"n{i}" for i in range(10)]
    extra = [f"x{i}" for i in range(4)]
    obj: JumpHash | Rendezvous | Maglev
    grow: Callable[[str], object]
    shrink: Callable[[str], object]
    # The batch answer of each membership the writer makes (base, then one to four more).
    batches: list[tuple[object, ...]]
    if kind == "jump":
        jump = JumpHash(len(base))
        obj = jump
        grow = lambda _x: jump.add_bucket()  # noqa: E731
        shrink = lambda _x: jump.remove_bucket()  # noqa: E731
        batches = [tuple(JumpHash(len(base) + k).get_many(ks)) for k in range(len(extra) + 1)]
        members: set[object] = set(range(len(base) + len(extra)))
    else:
        cls = Rendezvous if kind == "rendezvous" else Maglev
        named = cls(base)
        obj = named
        grow = named.add_node
        shrink = named.remove_node
        batches = [tuple(cls(base + extra[:k]).get_many(ks)) for k in range(len(extra) + 1)]
        members = set(base + extra)
    expected = set(batches)
    assert len(expected) == len(extra) + 1
    sizes = range(len(base), len(base) + len(extra) + 1)
    stop = threading.Event()
    errors: list[str] = []
    changes = [0]

    def writer() -> None:
        try:
            while not stop.is_set():
                for x in extra:
                    grow(x)
                for x in reversed(extra):
                    shrink(x)
                changes[0] += 2 * len(extra)
        except BaseException as e:
            errors.append(f"writer: {e!r}")

    def reader(seed: int) -> None:
        try:
            for round_ in range(4):
                batch = tuple(obj.get_many(ks))
                if batch not in expected:
                    errors.append(f"a batch mixed memberships (round {round_})")
                for k in ks[seed * 300 : seed * 300 + 300]:
                    if obj.get(k) not in members:
                        errors.append(f"get({k!r}) is not a member")
                if len(obj) not in sizes:
                    errors.append(f"len {len(obj)}")
        except BaseException as e:
            errors.append(f"reader: {e!r}")

    w = threading.Thread(target=writer)
    readers = [threading.Thread(target=reader, args=(i,)) for i in range(4)]
    w.start()
    for t in readers:
        t.start()
    for t in readers:
        t.join()
    stop.set()
    w.join()
    assert not errors, errors[:5]
    assert changes[0] > 0
    # The writer always ends a cycle on the starting membership.
    assert tuple(obj.get_many(ks)) == batches[0]


def test_exported_from_the_package() -> None:
    import ringpax._native as native

    assert ringpax.algorithms.JumpHash is native.JumpHash
    assert set(ringpax.algorithms.__all__) >= {"JumpHash", "Rendezvous", "Maglev"}


# -- Hypothesis operation sequences -------------------------------------------------------------

names_st = st.text(alphabet="abcdefgh0123.:", min_size=1, max_size=4)
keys_st = st.lists(st.one_of(st.text(max_size=6), st.binary(max_size=6)), min_size=1, max_size=30)


class JumpModel(RuleBasedStateMachine):
    """Grow and shrink; keys only ever move to the new bucket or off the removed one."""

    def __init__(self) -> None:
        super().__init__()
        self.jump = JumpHash(nodes=[])
        self.names: list[str] = []
        self.probe = [f"k{i}" for i in range(200)]

    def owners(self) -> list[int] | None:
        return self.jump.get_many(self.probe) if self.names else None

    @rule(name=names_st)
    def grow(self, name: str) -> None:
        if name in self.names:
            with pytest.raises(DuplicateNodeError):
                self.jump.add_bucket(name)
            return
        before = self.owners()
        assert self.jump.add_bucket(name) == len(self.names)
        self.names.append(name)
        after = self.owners()
        assert after is not None
        if before is not None:
            assert all(a == b or a == len(self.names) - 1 for a, b in zip(after, before))

    @rule(data=st.data())
    def shrink(self, data: st.DataObject) -> None:
        if not self.names:
            with pytest.raises(EmptyRingError):
                self.jump.remove_bucket()
            return
        if len(self.names) > 1 and data.draw(st.booleans()):
            with pytest.raises(InvalidArgumentError):
                self.jump.remove_bucket(self.names[0])
            return
        before = self.owners()
        last = len(self.names) - 1
        assert self.jump.remove_bucket(self.names[-1]) == last
        self.names.pop()
        after = self.owners()
        if after is not None and before is not None:
            assert all(a == b for a, b in zip(after, before) if b != last)

    @invariant()
    def consistent(self) -> None:
        assert self.jump.nodes == self.names and len(self.jump) == len(self.names)
        if self.names:
            for k in self.probe[:20]:
                b = self.jump.get(k)
                assert 0 <= b < len(self.names) and self.jump.get_node(k) == self.names[b]


class MembershipModel(RuleBasedStateMachine):
    """Add and remove weighted nodes on Rendezvous and Maglev side by side: answers are always
    members, rendezvous moves are minimal, the Maglev table is full and equals a fresh build."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: dict[str, float] = {}
        self.hrw = Rendezvous()
        self.maglev = Maglev(table_size=251)
        self.probe = [f"k{i}" for i in range(150)]

    @rule(name=names_st, weight=st.sampled_from([0.5, 1, 2, 3]))
    def add(self, name: str, weight: float) -> None:
        if name in self.nodes:
            with pytest.raises(DuplicateNodeError):
                self.hrw.add_node(name, weight)
            with pytest.raises(DuplicateNodeError):
                self.maglev.add_node(name, weight)
            return
        before = self.hrw.get_many(self.probe) if self.nodes else None
        self.hrw.add_node(name, weight)
        self.maglev.add_node(name, weight)
        self.nodes[name] = float(weight)
        if before is not None:
            after = self.hrw.get_many(self.probe)
            assert all(a == b or a == name for a, b in zip(after, before))

    @precondition(lambda self: len(self.nodes) > 0)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.nodes)))
        before = self.hrw.get_many(self.probe)
        assert self.hrw.remove_node(name) == self.nodes[name]
        assert self.maglev.remove_node(name) == self.nodes.pop(name)
        if self.nodes:
            after = self.hrw.get_many(self.probe)
            assert all(a == b for a, b in zip(after, before) if b != name)

    @rule(name=names_st)
    def remove_unknown(self, name: str) -> None:
        if name not in self.nodes:
            with pytest.raises(UnknownNodeError):
                self.hrw.remove_node(name)
            with pytest.raises(UnknownNodeError):
                self.maglev.remove_node(name)

    @invariant()
    def consistent(self) -> None:
        expect = sorted(self.nodes, key=lambda n: n.encode())
        assert self.hrw.nodes == expect == self.maglev.nodes
        assert self.hrw.weights == self.nodes == self.maglev.weights
        if not self.nodes:
            with pytest.raises(EmptyRingError):
                self.hrw.get("k")
            with pytest.raises(EmptyRingError):
                self.maglev.get("k")
            return
        table = self.maglev.table()
        assert len(table) == 251 and set(table) == set(self.nodes)
        assert table == Maglev(expect, 251, self.nodes).table()
        for k in self.probe[:15]:
            assert self.hrw.get(k) in self.nodes and self.maglev.get(k) in self.nodes
            k2 = min(3, len(self.nodes))
            top = self.hrw.get_nodes(k, k2)
            assert len(set(top)) == k2 and top[0] == self.hrw.get(k)


TestJumpModel = JumpModel.TestCase
TestJumpModel.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
TestMembershipModel = MembershipModel.TestCase
TestMembershipModel.settings = settings(max_examples=40, stateful_step_count=25, deadline=None)
