"""Consistent hashing with key tracking and exact migration plans.

The article's API runs verbatim::

    from consistent_hashing import ConsistentHash

    ch = ConsistentHash(7, '127.0.0.1', '127.0.0.2', '127.0.0.3')   # replicas, *nodes
    ch.add('key1')
    print(ch.get('key1'))

Placement follows the ringpax spec (README, "Placement spec"): BLAKE3 of the key's UTF-8 (or
raw ``bytes``), ``replicas * weight`` points per node, first point clockwise, ties to the
bytewise-smallest node name. It is identical from Rust, C and Python.

Options: ``hash="blake3"`` (default, the documented spec) or ``"xxh3"`` (fastest; only for
trusted keys); ``key=<32 bytes>`` for keyed BLAKE3 (clients that do not know the key cannot grind
keys onto one node); ``compat="uhashring"`` or ``compat="ketama"`` to reproduce those rings'
placements key for key; ``load_factor=1.25`` for bounded loads of tracked keys.

Thread safety: one ring may be shared by any number of threads. Lookups (``get``, ``get_nodes``,
``get_many``, ``nodes``...) read an immutable snapshot and never wait for a writer; changes
(``add_node``, ``remove_node``, ``add``, ``remove``) serialise on the ring's writer lock, and
membership changes release the GIL while they work, so other threads keep looking up. A lookup
answers from the ring as it was at one moment during the call. (With bounded loads, ``get`` of a
tracked key reads the assignment under the writer lock.)
"""

from __future__ import annotations

from typing import NamedTuple, Union

from ringpax._native import ConsistentHash as _NativeRing
from ringpax.algorithms import JumpHash, Maglev, Rendezvous  # noqa: F401

__all__ = ["ConsistentHash", "Move", "Key", "JumpHash", "Rendezvous", "Maglev"]

Key = Union[str, bytes]


class Move(NamedTuple):
    """One entry of a migration plan: ``key`` moves from node ``source`` to node ``target``."""

    key: Key
    source: str
    target: str


class ConsistentHash(_NativeRing):
    """A consistent-hash ring of named nodes that can also track keys.

    ``ConsistentHash(replicas=160, *nodes, weights=None, hash=None, key=None, compat=None,
    load_factor=None)``: ``replicas`` points per unit of weight; ``nodes`` join with weight 1;
    ``weights`` maps further nodes to integer weights. See the module docs for the options.

    Keys are ``str`` or ``bytes``. ``get(key)`` works for any key; ``add(key)`` also tracks it so
    that ``add_node``/``remove_node`` can report exactly the tracked keys that move.
    """

    __slots__ = ()

    def add_node(self, node: str, weight: int = 1) -> list[Move]:  # type: ignore[override]
        """Add ``node``; returns every tracked key that moves (all of them move to ``node``)."""
        return [Move(*m) for m in super().add_node(node, weight)]

    def remove_node(self, node: str) -> list[Move]:  # type: ignore[override]
        """Remove ``node``; returns every tracked key that moves (all of them leave ``node``)."""
        return [Move(*m) for m in super().remove_node(node)]

    def remove(self, key: object) -> list[Move]:  # type: ignore[override]
        """Stop tracking ``key``; returns the keys moved to keep the load bound (bounded loads
        only; otherwise empty)."""
        return [Move(*m) for m in super().remove(key)]  # type: ignore[arg-type]
