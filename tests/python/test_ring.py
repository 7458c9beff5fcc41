"""The consistent-hash ring from Python: the article's API, every method, every error, the
shared vectors, and a Hypothesis model check of migration plans."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import ringpax
from ringpax import (
    ConsistentHash,
    DuplicateNodeError,
    EmptyRingError,
    InvalidArgumentError,
    Move,
    RingpaxError,
    UnknownKeyError,
    UnknownNodeError,
)

VECTORS = pathlib.Path(__file__).resolve().parents[1] / "vectors"


def test_the_article_snippet_runs_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    from consistent_hashing import ConsistentHash

    ch = ConsistentHash(7, '127.0.0.1', '127.0.0.2', '127.0.0.3')
    ch.add('key1')
    ch.add('key2')
    ch.add('key3')
    print(ch.get('key1'))
    out = capsys.readouterr().out.strip()
    assert out in {'127.0.0.1', '127.0.0.2', '127.0.0.3'}
    assert ch.keys() and sorted(ch.keys()) == ['key1', 'key2', 'key3']


def test_top_level_module_is_the_same_class() -> None:
    import consistent_hashing

    assert consistent_hashing.ConsistentHash is ringpax.consistent_hashing.ConsistentHash
    assert consistent_hashing.Move is Move


def test_defaults_and_properties() -> None:
    ch = ConsistentHash()
    assert ch.replicas == 160 and len(ch) == 0 and ch.nodes == []
    assert ch.hash_name == "blake3"
    ch = ConsistentHash(160, weights={"a": 1, "b": 2})
    assert ch.nodes == ["a", "b"] and ch.weights == {"a": 1, "b": 2}
    assert "a" in ch and "z" not in ch and 3 not in ch
    share = ch.distribution()
    assert set(share) == {"a", "b"} and abs(sum(share.values()) - 1) < 1e-9
    assert share["b"] > share["a"]  # weight 2 owns about twice the space
    assert "replicas=160" in repr(ch) and "nodes=2" in repr(ch)


def test_str_and_bytes_keys_hash_the_same_bytes() -> None:
    ch = ConsistentHash(16, "a", "b", "c")
    assert ch.get("ключ") == ch.get("ключ".encode())
    assert ch.hash("x") == ch.hash(b"x")
    # ... but stay distinct tracked keys, returned as the type they came in as.
    ch.add("x")
    ch.add(b"x")
    assert sorted(ch.keys(), key=repr) == sorted(["x", b"x"], key=repr)
    assert ch.tracked == 2


def test_tracking_add_remove_keys() -> None:
    ch = ConsistentHash(32, "n1", "n2", "n3")
    owners = {f"k{i}": ch.add(f"k{i}") for i in range(200)}
    assert ch.add("k0") == owners["k0"] and ch.tracked == 200  # tracking twice is a no-op
    for node in ch.nodes:
        assert {k for k in ch.keys(node)} == {k for k, n in owners.items() if n == node}
    ch.remove("k0")
    assert "k0" not in ch.keys()
    with pytest.raises(UnknownKeyError, match="k0") as err:
        ch.remove("k0")
    assert isinstance(err.value, KeyError) and isinstance(err.value, RingpaxError)
    with pytest.raises(UnknownNodeError):
        ch.keys("nope")


def test_migration_plan_on_add_and_remove_is_exact() -> None:
    ch = ConsistentHash(64, *[f"10.0.0.{i}" for i in range(8)])
    keys = [f"user:{i}" for i in range(5000)]
    for k in keys:
        ch.add(k)
    before = {k: ch.get(k) for k in keys}
    moves = ch.add_node("10.0.0.99", weight=2)
    after = {k: ch.get(k) for k in keys}
    assert all(isinstance(m, Move) for m in moves)
    assert {m.key for m in moves} == {k for k in keys if before[k] != after[k]}
    assert all(m.target == "10.0.0.99" and m.source == before[m.key] for m in moves)
    assert 0 < len(moves) < len(keys)

    moves = ch.remove_node("10.0.0.3")
    final = {k: ch.get(k) for k in keys}
    assert {m.key for m in moves} == {k for k in keys if after[k] == "10.0.0.3"}
    assert all(m.source == "10.0.0.3" and m.target == final[m.key] for m in moves)
    key, source, target = moves[0]  # a plain named tuple
    assert (key, source, target) == tuple(moves[0])


def test_get_nodes_preference_list() -> None:
    ch = ConsistentHash(40, "a", "b", "c", "d")
    for k in ("x", "y", b"z"):
        pref = ch.get_nodes(k, 3)
        assert len(pref) == 3 == len(set(pref)) and pref[0] == ch.get(k)
        assert ch.get_nodes(k, 10) == ch.get_nodes(k, 4) and len(ch.get_nodes(k, 10)) == 4
    assert ch.get_nodes("x", 0) == []
    with pytest.raises(ValueError, match="-1"):
        ch.get_nodes("x", -1)
    with pytest.raises(TypeError):
        ch.get_nodes("x", "3")  # type: ignore[arg-type]


def test_get_many_matches_get() -> None:
    ch = ConsistentHash(160, *[f"node{i}" for i in range(50)])
    keys: list[str | bytes] = [f"user:{i}" for i in range(20000)] + [b"\x00", b""]
    assert ch.get_many(keys) == [ch.get(k) for k in keys]
    assert ch.get_many(tuple(keys[:10])) == [ch.get(k) for k in keys[:10]]
    assert ch.get_many(iter(keys[:10])) == [ch.get(k) for k in keys[:10]]
    assert ch.get_many([]) == []
    with pytest.raises(TypeError, match="int"):
        ch.get_many(["a", 1])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single key"):
        ch.get_many("abc")


def test_get_many_large_batches_match_get() -> None:
    # Large enough for the streamed path (keys read while other threads hash them, several
    # pieces), with keys of every length around the 64-byte BLAKE3 block, non-ASCII str and
    # bytes, for every hash.
    keys: list[str | bytes] = []
    for i in range(30000):
        n = i % 90
        keys.append(("k" * n + str(i)) if i % 3 else ("é" * (n // 2) + str(i)).encode())
    keys[12345] = "ключ-🔑"
    for ch in (
        ConsistentHash(160, *[f"node{i}" for i in range(30)]),
        ConsistentHash(40, *[f"node{i}" for i in range(30)], hash="xxh3"),
        ConsistentHash(40, *[f"node{i}" for i in range(30)], key=b"s" * 32),
    ):
        expect = [ch.get(k) for k in keys]
        assert ch.get_many(keys) == expect
        assert ch.get_many(tuple(keys)) == expect
        assert ch.get_many(iter(keys)) == expect
    # A bad key far into a large batch is still a TypeError naming its type.
    bad: list[object] = list(keys)
    bad[25000] = 3.5
    with pytest.raises(TypeError, match="float"):
        ch.get_many(bad)  # type: ignore[arg-type]
    with pytest.raises(EmptyRingError):
        ConsistentHash().get_many(keys)


def test_errors_name_the_problem() -> None:
    with pytest.raises(EmptyRingError) as e:
        ConsistentHash().get("k")
    assert isinstance(e.value, LookupError)
    with pytest.raises(EmptyRingError):
        ConsistentHash().add("k")
    with pytest.raises(InvalidArgumentError, match="replicas.*0"):
        ConsistentHash(0)
    with pytest.raises(ValueError, match="-5"):
        ConsistentHash(-5)
    with pytest.raises(TypeError, match="replicas must be an int"):
        ConsistentHash("127.0.0.1", "127.0.0.2")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        ConsistentHash(True)  # type: ignore[arg-type]
    ch = ConsistentHash(8, "a")
    with pytest.raises(DuplicateNodeError, match="'a'|\"a\"") as dup:
        ch.add_node("a")
    assert isinstance(dup.value, ValueError)
    with pytest.raises(ValueError, match="empty"):
        ch.add_node("")
    with pytest.raises(ValueError, match="weight.*0"):
        ch.add_node("b", weight=0)
    with pytest.raises(ValueError, match="weight.*-1"):
        ConsistentHash(8, weights={"b": -1})
    with pytest.raises(TypeError):
        ConsistentHash(8, weights=[("b", 1)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="node name must be str"):
        ch.add_node(5)  # type: ignore[arg-type]
    with pytest.raises(UnknownNodeError, match="zz") as unknown:
        ch.remove_node("zz")
    assert isinstance(unknown.value, KeyError)
    for bad in (1, 1.5, None, ["k"]):
        with pytest.raises(TypeError, match="str or bytes"):
            ch.get(bad)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            ch.add(bad)  # type: ignore[arg-type]
    ch.add("k")
    with pytest.raises(EmptyRingError, match="tracked"):
        ch.remove_node("a")  # would leave the key nowhere
    assert ch.nodes == ["a"] and ch.keys() == ["k"]  # nothing lost
    with pytest.raises(ValueError):
        ConsistentHash(8, "a", "a")


def test_failed_changes_leave_the_ring_unchanged() -> None:
    ch = ConsistentHash(8, "a", "b")
    ch.add("k")
    snapshot = (ch.nodes, ch.keys(), ch.get("k"))
    for call in (lambda: ch.add_node("a"), lambda: ch.add_node(""), lambda: ch.remove_node("c")):
        with pytest.raises(RingpaxError):
            call()
        assert (ch.nodes, ch.keys(), ch.get("k")) == snapshot


def _vector_cases() -> list[dict]:
    return json.loads((VECTORS / "ring.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", _vector_cases(), ids=lambda c: f"r{c['replicas']}-n{len(c['nodes'])}")
def test_shared_vectors(case: dict) -> None:
    ch = ConsistentHash(case["replicas"], weights={n["name"]: n["weight"] for n in case["nodes"]})
    for entry in case["lookups"]:
        raw = bytes.fromhex(entry["key_hex"])
        try:
            key: str | bytes = raw.decode("utf-8")
        except UnicodeDecodeError:
            key = raw
        assert ch.hash(key) == entry["hash"]
        assert ch.get(key) == entry["node"]
        assert ch.get_nodes(key, case["preference_length"]) == entry["preference"]


def test_vector_files_are_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("gen_ring", VECTORS / "gen_ring.py")
    assert spec and spec.loader
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    js, tsv = gen.generate()
    assert (VECTORS / "ring.json").read_text(encoding="utf-8") == js
    assert (VECTORS / "ring.tsv").read_text(encoding="utf-8") == tsv


def test_concurrent_readers_see_consistent_answers() -> None:
    ch = ConsistentHash(160, *[f"n{i}" for i in range(20)])
    keys = [f"k{i}" for i in range(2000)]
    expect = ch.get_many(keys)
    errors: list[str] = []

    def reader() -> None:
        for _ in range(5):
            if [ch.get(k) for k in keys] != expect or ch.get_many(keys) != expect:
                errors.append("mismatch")

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


names = st.text(alphabet="abcdefghij0123456789.:", min_size=1, max_size=6)
keys_st = st.one_of(st.text(max_size=6), st.binary(max_size=6))


class RingModel(RuleBasedStateMachine):
    """Random operation sequences; after each step the plan equals the keys whose owner changed."""

    def __init__(self) -> None:
        super().__init__()
        self.ring = ConsistentHash(8)
        self.tracked: set[str | bytes] = set()

    def owners(self) -> dict[str | bytes, str]:
        return {k: self.ring.get(k) for k in self.tracked}

    @rule(name=names, weight=st.integers(1, 3))
    def add_node(self, name: str, weight: int) -> None:
        if name in self.ring:
            with pytest.raises(DuplicateNodeError):
                self.ring.add_node(name, weight)
            return
        before = self.owners()
        moves = self.ring.add_node(name, weight)
        after = self.owners()
        assert {m.key for m in moves} == {k for k in self.tracked if before[k] != after[k]}
        assert len(moves) == len({m.key for m in moves})
        assert all(m.target == name and m.source == before[m.key] for m in moves)

    @precondition(lambda self: len(self.ring) > 1)
    @rule(data=st.data())
    def remove_node(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(self.ring.nodes))
        before = self.owners()
        moves = self.ring.remove_node(name)
        after = self.owners()
        assert {m.key for m in moves} == {k for k in self.tracked if before[k] == name}
        assert all(m.source == name and m.target == after[m.key] for m in moves)

    @precondition(lambda self: len(self.ring) > 0)
    @rule(key=keys_st)
    def track(self, key: str | bytes) -> None:
        assert self.ring.add(key) == self.ring.get(key)
        self.tracked.add(key)

    @rule(key=keys_st)
    def untrack(self, key: str | bytes) -> None:
        if key in self.tracked:
            self.ring.remove(key)
            self.tracked.discard(key)
        else:
            with pytest.raises(UnknownKeyError):
                self.ring.remove(key)

    @invariant()
    def tracked_keys_match(self) -> None:
        assert self.ring.tracked == len(self.tracked)
        assert set(self.ring.keys()) == self.tracked
        assert sum(len(self.ring.keys(n)) for n in self.ring.nodes) == len(self.tracked)


TestRingModel = RingModel.TestCase
TestRingModel.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)


@settings(max_examples=50, deadline=None)
@given(nodes=st.lists(names, min_size=1, max_size=8, unique=True), key=keys_st)
def test_placement_ignores_insertion_order(nodes: list[str], key: str | bytes) -> None:
    a = ConsistentHash(16, *nodes)
    b = ConsistentHash(16, *reversed(nodes))
    c = ConsistentHash(16)
    for n in nodes:
        c.add_node(n)
    assert a.get(key) == b.get(key) == c.get(key)
    assert a.get_nodes(key, 3) == b.get_nodes(key, 3) == c.get_nodes(key, 3)
