"""Jump consistent hash, weighted rendezvous hashing and Maglev, beside the ring.

::

    from ringpax.algorithms import JumpHash, Maglev, Rendezvous

    shards = JumpHash(16)                     # buckets 0..15
    shards.get("user:42")                     # -> 0..15
    shards.add_bucket()                       # -> 16: only keys that now belong to 16 move

    replicas = Rendezvous(["a", "b", "c"], weights=[1, 1, 2])
    replicas.get_nodes("user:42", 2)          # 2 distinct nodes, best first

    lb = Maglev(["10.0.0.1", "10.0.0.2"], table_size=65537)
    lb.get("flow-5-tuple")                    # one table read

Which one:

- :class:`JumpHash` (Lamping & Veach 2014): numbered shards whose count grows or shrinks at the
  end. No memory, O(log n) lookups, minimal moves; cannot remove a bucket in the middle.
- :class:`Rendezvous` (weighted HRW): any node may join or leave with any weight, minimal moves,
  natural top-k replica lists; a lookup costs O(n), so best up to a few hundred nodes.
- :class:`Maglev` (Eisenbud et al. 2016): O(1) lookups from a prime-sized table, near-perfect
  balance; every change rebuilds the table and moves a little more than the minimum.

All three take ``str`` (hashed as UTF-8) or ``bytes`` keys, ``hash="blake3"`` (default) or
``"xxh3"``, and ``key=`` (32 bytes) for keyed BLAKE3, and raise the :mod:`ringpax.errors`
classes (``InvalidArgumentError``, ``DuplicateNodeError``, ``UnknownNodeError``,
``EmptyRingError``). Placement is the same from Rust, C and Python (spec in
``core/src/ring/algorithms/mod.rs``).

Thread safety: an object may be shared by many threads, for lookups and changes alike. Each
lookup (a whole ``get_many`` batch included; it releases the GIL for large batches) answers
from the membership as it was at one moment during the call; membership changes serialise
among themselves, never block lookups and never make them fail.
"""

from __future__ import annotations

from ringpax._native import JumpHash, Maglev, Rendezvous

__all__ = ["JumpHash", "Maglev", "Rendezvous", "DEFAULT_TABLE_SIZE"]

#: Maglev's default table size (a prime, as the paper uses).
DEFAULT_TABLE_SIZE = 65537
