"""The article's ``from consistent_hashing import ConsistentHash``: ringpax's ring."""

from ringpax.consistent_hashing import ConsistentHash, Key, Move

__all__ = ["ConsistentHash", "Key", "Move"]
