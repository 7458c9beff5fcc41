"""The ringpax exception hierarchy.

Every error ringpax raises derives from :class:`RingpaxError`, and each one also derives from
the builtin exception a Python user would expect (``ValueError`` for a bad argument,
``KeyError`` for an unknown name, ``LookupError`` for an empty ring, ``TimeoutError`` for a lock
wait that ran out), so ``except ValueError`` keeps working. The native extension raises these
classes; the mapping from core errors lives in one place (``python/src/errors.rs``).
"""

from __future__ import annotations


class RingpaxError(Exception):
    """Base class of every ringpax error."""


class _KeyErrorMessage(KeyError):
    # KeyError.__str__ prints repr(args[0]); show our message as written instead.
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# -- consistent hashing ------------------------------------------------------------------------


class InvalidArgumentError(RingpaxError, ValueError):
    """An argument is out of range or malformed; the message names it and its value."""


class DuplicateNodeError(InvalidArgumentError):
    """The node is already on the ring."""


class EmptyRingError(RingpaxError, LookupError):
    """A lookup on a ring that has no nodes (or a change that would leave keys nowhere)."""


class UnknownNodeError(RingpaxError, _KeyErrorMessage):
    """The node is not on the ring / not in the cluster."""


class UnknownKeyError(RingpaxError, _KeyErrorMessage):
    """The key is not tracked by the ring."""


# -- paxos -------------------------------------------------------------------------------------


class PaxosError(RingpaxError):
    """Base class of Paxos errors."""


class NoQuorumError(PaxosError):
    """No quorum of acceptors could be reached within the bounded number of rounds."""


class NodeDownError(PaxosError):
    """The node is crashed: ``restart()`` it, or propose through another node."""


class ClusterIncompleteError(PaxosError):
    """A proposal before all ``n`` nodes of ``Paxos(n)`` were added with ``add_node``."""


class InvalidMessageError(PaxosError, ValueError):
    """A message that the receiving role cannot handle (composable_paxos' name)."""


class WireFormatError(PaxosError, ValueError):
    """Bytes that are not a valid ringpax Paxos wire message."""


# -- locks -------------------------------------------------------------------------------------


class LockError(RingpaxError):
    """Base class of lock errors."""


class LockNotOwnedError(LockError):
    """Release or extend of a lock this holder does not (or no longer) own. Nothing was changed."""


class LockTimeoutError(LockError, TimeoutError):
    """The lock could not be acquired within the allowed time."""


class LockConnectionError(LockError, ConnectionError):
    """The lock server could not be reached (or stopped answering) within the socket timeout."""


__all__ = [
    "RingpaxError",
    "InvalidArgumentError",
    "DuplicateNodeError",
    "EmptyRingError",
    "UnknownNodeError",
    "UnknownKeyError",
    "PaxosError",
    "NoQuorumError",
    "NodeDownError",
    "ClusterIncompleteError",
    "InvalidMessageError",
    "WireFormatError",
    "LockError",
    "LockNotOwnedError",
    "LockTimeoutError",
    "LockConnectionError",
]
