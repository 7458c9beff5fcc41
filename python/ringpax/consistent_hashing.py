"""Consistent hashing with key tracking and exact migration plans.

The article's API runs verbatim::

    from consistent_hashing import ConsistentHash

    ch = ConsistentHash(7, '127.0.0.1', '127.0.0.2', '127.0.0.3')   # replicas, *nodes
    ch.add('key1')
    print(ch.get('key1'))

Placement follows the ringpax spec (README, "Placement spec"): BLAKE3 of the key's UTF-8 (or
raw ``bytes``), ``replicas * weight`` points per node, first point clockwise, ties to the
bytewise-smallest node name. It is identical from Rust, C and Python.

Thread safety: lookups (``get``, ``get_nodes``, ``get_many``) may run from many threads at once;
a membership change (``add_node``/``remove_node``) or key tracking change from one thread while
another thread uses the same ring raises ``RuntimeError`` ("already borrowed") rather than
corrupting anything. Serialise writers yourself.
"""

from __future__ import annotations

from typing import NamedTuple, Union

from ringpax._native import ConsistentHash as _NativeRing

__all__ = ["ConsistentHash", "Move", "Key"]

Key = Union[str, bytes]


class Move(NamedTuple):
    """One entry of a migration plan: ``key`` moves from node ``source`` to node ``target``."""

    key: Key
    source: str
    target: str


class ConsistentHash(_NativeRing):
    """A consistent-hash ring of named nodes that can also track keys.

    ``ConsistentHash(replicas=160, *nodes, weights=None)``: ``replicas`` points per unit of
    weight; ``nodes`` join with weight 1; ``weights`` maps further nodes to integer weights.

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
