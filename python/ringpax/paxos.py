"""Single-decree Paxos from Python, driven by ringpax-core.

Three ways in, all running the same Rust state machines:

- :class:`Paxos`: the article's API, a simulated cluster of ``n`` acceptors with message loss,
  duplication, reordering, crashes and partitions. The snippet runs verbatim::

      from paxos import Paxos
      paxos = Paxos(3)
      paxos.add_node('node1'); paxos.add_node('node2'); paxos.add_node('node3')
      paxos.propose('value1')
      print(paxos.status())   # {'node1': 'accept', 'node2': 'accept', 'node3': 'accept'}

- :class:`Node`: one sans-IO node for programs that bring their own network: feed it message
  bytes in the versioned wire format, send the bytes it returns, persist the state it returns
  first (the same node the C API exposes as ``ringpax_paxos_node``).
- composable_paxos-compatible roles (:class:`ProposalID`, :class:`Proposer`,
  :class:`Acceptor`, :class:`Learner`, :class:`PaxosInstance` and the messages); see
  :mod:`ringpax.composable`.

Values in the simulator
    Any Python object that can be compared for equality may be proposed. The Rust simulator
    never sees it: the simulation keeps the list of values proposed to it and gives each a
    ``u64`` id, equal values sharing one id (hashable values are found by hash and ``==``, as
    dict keys are; an unhashable value by ``==`` against the earlier unhashable ones). The
    protocol runs on ids and ``propose`` returns the chosen object: the first one proposed among
    those equal to it.

Messages
    A fault-free decision costs exactly ``4 * (n - 1)`` network messages (``Prepare``,
    ``Promise``, ``Accept``, ``Accepted`` to or from every other node; a node's messages to
    itself stay inside it), visible in :attr:`Paxos.stats`. Only the proposing node learns the
    decision; another node learns it by proposing (its ballot adopts the chosen value).
"""

from __future__ import annotations

from typing import Any, NamedTuple, Optional

from ringpax import _native
from ringpax.composable import (
    Accept,
    Accepted,
    Acceptor,
    InvalidMessageError,
    Learner,
    MessageHandler,
    Nack,
    PaxosInstance,
    PaxosMessage,
    Prepare,
    Promise,
    ProposalID,
    Proposer,
    Resolution,
)
from ringpax.errors import (
    ClusterIncompleteError,
    DuplicateNodeError,
    InvalidArgumentError,
    NodeDownError,
    NoQuorumError,
    PaxosError,
    UnknownNodeError,
    WireFormatError,
)

__all__ = [
    "Paxos",
    "PaxosStats",
    "Node",
    "NodeOutput",
    "Timeout",
    "WIRE_VERSION",
    # composable_paxos compatibility
    "ProposalID",
    "PaxosMessage",
    "Prepare",
    "Nack",
    "Promise",
    "Accept",
    "Accepted",
    "Resolution",
    "MessageHandler",
    "Proposer",
    "Acceptor",
    "Learner",
    "PaxosInstance",
    # errors
    "PaxosError",
    "NoQuorumError",
    "NodeDownError",
    "ClusterIncompleteError",
    "InvalidMessageError",
    "WireFormatError",
    "UnknownNodeError",
    "DuplicateNodeError",
    "InvalidArgumentError",
]

#: The version byte of the wire format this build reads and writes.
WIRE_VERSION: int = _native.WIRE_VERSION


class PaxosStats(NamedTuple):
    """Counters of a simulation since it was created."""

    rounds: int
    """Ballots started by all proposers."""
    sent: int
    """Network messages sent (a node's messages to itself are not network messages)."""
    delivered: int
    """Messages delivered, duplicate copies included."""
    dropped: int
    """Messages lost: randomly, across a partition, or to a down node."""
    duplicated: int
    """Extra copies made by the network."""
    timeouts: int
    """Proposer timers that fired (phase timeouts and backoffs)."""
    learned: int
    """Times a node learned the chosen value."""
    crashes: int
    """Node crashes."""
    restarts: int
    """Node restarts."""
    ticks: int
    """Simulated time now, in ticks (a message takes 1 tick without ``reorder``)."""


class Paxos(_native.PaxosSim):
    """A simulated cluster of ``n`` Paxos acceptors (quorum ``n // 2 + 1``) deciding one value.

    ``Paxos(n, *, seed=0, drop=0.0, duplicate=0.0, reorder=0.0, max_rounds=1000, trace=True)``

    - ``drop``: probability that a message is lost; ``duplicate``: probability that a delivered
      message arrives twice; ``reorder`` in ``[0, 1]``: spreads one-way delays over
      ``1 ..= 1 + ceil(9 * reorder)`` ticks (0: every message takes one tick, in order), so the
      higher it is, the more often a message overtakes an earlier one.
    - ``seed``: the simulation's one random number generator; same seed and same calls, same
      run (and the same :meth:`trace`).
    - ``max_rounds``: a call gives up with :class:`~ringpax.NoQuorumError` after its proposers
      started this many ballots (or after 10,000,000 ticks), so nothing ever hangs.

    Name the acceptors with :meth:`add_node` (all ``n`` before the first proposal; the first one
    added is the default proposer), then :meth:`propose`. :meth:`propose` and :meth:`contend`
    return the chosen value once the simulated network is quiet, so :meth:`status` reflects the
    whole round; once a value is chosen, later proposals return it.

    Faults: :meth:`crash` (a node keeps only its persisted acceptor state), :meth:`restart`,
    :meth:`partition`, :meth:`heal`, :meth:`set_network`. Errors: an unknown node name raises
    :class:`~ringpax.UnknownNodeError` (a ``KeyError``); bad arguments
    :class:`~ringpax.InvalidArgumentError` (a ``ValueError``; :class:`~ringpax.DuplicateNodeError`
    for a name added twice); proposing with fewer than ``n`` nodes raises
    :class:`~ringpax.ClusterIncompleteError`, through a node that is down
    :class:`~ringpax.NodeDownError` (both :class:`~ringpax.PaxosError`); no quorum within
    ``max_rounds`` raises
    :class:`~ringpax.NoQuorumError` (the cluster stays as it was: heal or restart and propose
    again).
    """

    __slots__ = ()

    @property
    def stats(self) -> PaxosStats:
        """Counters since the start: rounds, messages sent/delivered/dropped/duplicated, timer
        firings, learns, crashes, restarts and simulated time (ticks)."""
        return PaxosStats(*super().stats)


class Timeout(NamedTuple):
    """A timer to arm: call ``Node.timeout(token)`` after between ``min_ticks`` and
    ``max_ticks`` of your ticks (pick at random in that range; a stale token is ignored)."""

    token: int
    min_ticks: int
    max_ticks: int


class NodeOutput(NamedTuple):
    """What a :class:`Node` wants done after one input, in this order:

    1. ``persist``: if not ``None``, write these bytes (the encoded acceptor state) durably
       **before** sending anything; after a crash, rebuild with ``Node(id, members, state=...)``.
    2. ``send``: ``(to, message bytes)`` pairs to deliver to node ``to`` (loss, duplication and
       reordering are fine).
    3. ``timeout``: if not ``None``, arm this timer (replacing any earlier one).
    4. ``learned``: the chosen value, reported once, when this node learns it.
    """

    persist: Optional[bytes]
    send: list[tuple[int, bytes]]
    timeout: Optional[Timeout]
    learned: Optional[bytes]


def _output(raw: tuple[Any, Any, Any, Any]) -> NodeOutput:
    persist, send, timeout, learned = raw
    return NodeOutput(persist, send, None if timeout is None else Timeout(*timeout), learned)


class Node(_native.PaxosNode):
    """One Paxos node (acceptor, proposer and learner) over the versioned wire format.

    ``Node(id, members, *, quorum=None, state=None)``: ``members`` are the cluster's node ids
    (``id`` among them), ``quorum`` defaults to a majority, ``state`` is the last ``persist``
    bytes when restarting after a crash. Values are ``bytes``.

    Every input (:meth:`propose`, :meth:`receive`, :meth:`timeout`) returns a
    :class:`NodeOutput`. Malformed message bytes raise :class:`~ringpax.WireFormatError`, a
    message for another node :class:`~ringpax.InvalidMessageError`, a sender outside
    ``members`` :class:`~ringpax.UnknownNodeError`; the node is unchanged after an error.
    """

    __slots__ = ()

    def propose(self, value: bytes) -> NodeOutput:
        """Ask this node to get ``value`` chosen (it sticks; later calls only restart an idle
        proposer)."""
        return _output(super().propose(value))

    def receive(self, message: bytes) -> NodeOutput:
        """Handle one message (wire bytes) addressed to this node."""
        return _output(super().receive(message))

    def timeout(self, token: int) -> NodeOutput:
        """The timer of a :class:`Timeout` with this ``token`` fired."""
        return _output(super().timeout(token))
