"""Type-checked with `mypy --strict` by `make test`: the public API as users write it."""

from __future__ import annotations

from consistent_hashing import ConsistentHash as Article

import ringpax
from ringpax.consistent_hashing import ConsistentHash, Move

ch = Article(7, "127.0.0.1", "127.0.0.2", "127.0.0.3")
node: str = ch.add("key1")
owner: str = ch.get("key1")
pref: list[str] = ch.get_nodes(b"key1", 2)
many: list[str] = ch.get_many(["a", b"b"])
moves: list[Move] = ch.add_node("127.0.0.4", weight=2)
first_key: str | bytes = moves[0].key if moves else "none"
gone: list[Move] = ConsistentHash(160, weights={"a": 1, "b": 2}).remove_node("a")
shares: dict[str, float] = ch.distribution()
names: list[str] = ch.nodes
count: int = len(ch) + ch.tracked + ch.replicas
member: bool = "127.0.0.1" in ch
tracked: list[str | bytes] = ch.keys("127.0.0.1")
h: int = ch.hash("key1")
try:
    ConsistentHash().get("k")
except ringpax.EmptyRingError as e:
    err: LookupError = e
version: str = ringpax.__version__
