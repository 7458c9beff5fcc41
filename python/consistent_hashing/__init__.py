"""The article's ``from consistent_hashing import ConsistentHash``: ringpax's ring."""

from ringpax.consistent_hashing import ConsistentHash, JumpHash, Key, Maglev, Move, Rendezvous

__all__ = ["ConsistentHash", "Key", "Move", "JumpHash", "Rendezvous", "Maglev"]
