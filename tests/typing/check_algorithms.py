"""Type-checked with `mypy --strict` by `make test`: JumpHash, Rendezvous and Maglev as users
write them."""

from __future__ import annotations

import ringpax
from ringpax.algorithms import DEFAULT_TABLE_SIZE, JumpHash, Maglev, Rendezvous

jump = JumpHash(16)
bucket: int = jump.get("user:42") + jump.get(b"user:42")
buckets: list[int] = jump.get_many(["a", b"b"])
new_bucket: int = jump.add_bucket()
removed: int = jump.remove_bucket()
named = JumpHash(nodes=["shard-a", "shard-b"], hash="xxh3")
shard: str = named.get_node("user:42")
names: list[str] | None = named.nodes
where: int = named.bucket_of("shard-b") + named.add_bucket("shard-c") + named.remove_bucket("shard-c")
count: int = len(jump) + jump.buckets
h: int = jump.hash("k")

hrw = Rendezvous(["a", "b", "c"], weights=[1, 2, 0.5], key=bytes(32))
owner: str = hrw.get("user:42")
replicas: list[str] = hrw.get_nodes("user:42", 2)
owners: list[str] = hrw.get_many(iter([b"x", b"y"]))
hrw.add_node("d", weight=1.5)
hrw.add_node("e")
weight: float = hrw.remove_node("d")
weights: dict[str, float] = hrw.weights
shares: dict[str, float] = hrw.distribution()
member: bool = "a" in hrw
by_dict = Rendezvous(weights={"a": 1.0, "b": 2.0})

lb = Maglev(["10.0.0.1", "10.0.0.2"], table_size=DEFAULT_TABLE_SIZE)
backend: str = lb.get("flow")
backends: list[str] = lb.get_many(("f1", "f2"))
lb.add_node("10.0.0.3", 2)
gone: float = lb.remove_node("10.0.0.3")
table: list[str] = lb.table()
size: int = lb.table_size
spread: dict[str, float] = lb.distribution()
hash_name: str = lb.hash_name + hrw.hash_name + jump.hash_name

try:
    Maglev(["a"], 65536)
except ringpax.InvalidArgumentError as e:
    err: ValueError = e
try:
    JumpHash(0).get("k")
except ringpax.EmptyRingError as e2:
    lookup: LookupError = e2
