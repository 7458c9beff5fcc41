"""composable_paxos-compatible Paxos roles whose rules run in ringpax-core.

The names, constructors, methods and attributes are those of composable_paxos 1.0
(``ProposalID``, the messages ``Prepare``, ``Nack``, ``Promise``, ``Accept``, ``Accepted`` and
``Resolution``, ``InvalidMessageError``, and the roles ``Proposer``, ``Acceptor``, ``Learner``
and ``PaxosInstance``), so code written against it runs unchanged::

    from paxos import PaxosInstance, Prepare

    a = PaxosInstance('A', 2)
    prepare = a.prepare()            # Prepare(from_uid='A', proposal_id=ProposalID(1, 'A'))
    promise = a.receive(prepare)     # its own acceptor promises
    ...

Like composable_paxos the roles are sans-IO: every ``receive_*`` returns the message to send (or
``None``) and the caller moves messages around. An ``Acceptor``'s ``promised_id``,
``accepted_id`` and ``accepted_value`` must be persisted before its reply is sent.

What runs in Rust
    Every proposal id comparison is the core's ballot order (``ringpax._native.paxos_compare``):
    number first, then uid, and ``None`` below every id. The number must be an int in
    ``0 .. 2**64``; the uid may be any value the uids it meets can be compared with (``==`` and
    ``<``), as in composable_paxos: for each comparison the uids involved are ranked with Python's
    operators and the ranks become the core's node ids, which preserves the tuple order exactly.
    The ``Acceptor``'s promise and accept rules are the core ``Acceptor``, restored from the
    attributes for each message (``ringpax._native.paxos_acceptor_receive``). The ``Proposer``'s
    and ``Learner``'s bookkeeping (the leader flag, a quorum of nacks before a new prepare, votes
    moving to an acceptor's newest proposal) is the Python below, following composable_paxos's
    documented behaviour.

Differences from composable_paxos 1.0
    - It works on Python 3: composable_paxos compares ``None`` with proposal ids and raises
      ``TypeError`` on the first promise; here ``None`` sorts below every proposal id.
    - Messages compare equal when their type and fields are equal, and have a readable repr.
    - ``receive`` also dispatches subclasses of the message classes (by the first class in the
      MRO that a ``receive_<name>`` handles).
    - A ``Learner`` told two different values for one proposal id raises
      ``InvalidMessageError`` (composable_paxos asserts), before changing anything.
    - A ``Proposer`` that gets a ``Promise`` before its first ``prepare()`` ignores it.
"""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple, Union

from ringpax import _native
from ringpax.errors import InvalidMessageError

__all__ = [
    "ProposalID",
    "PaxosMessage",
    "Prepare",
    "Nack",
    "Promise",
    "Accept",
    "Accepted",
    "Resolution",
    "InvalidMessageError",
    "MessageHandler",
    "Proposer",
    "Acceptor",
    "Learner",
    "PaxosInstance",
]

_compare = _native.paxos_compare


class ProposalID(NamedTuple):
    """A proposal number and the uid of the proposer that made it; ordered by number, then uid
    (the core's ballot order), with ``None`` below every proposal id."""

    number: int
    uid: Any

    def __lt__(self, other: object) -> bool:
        if other is not None and not isinstance(other, tuple):
            return NotImplemented
        return _compare(self, other) < 0

    def __le__(self, other: object) -> bool:
        if other is not None and not isinstance(other, tuple):
            return NotImplemented
        return _compare(self, other) <= 0

    def __gt__(self, other: object) -> bool:
        if other is not None and not isinstance(other, tuple):
            return NotImplemented
        return _compare(self, other) > 0

    def __ge__(self, other: object) -> bool:
        if other is not None and not isinstance(other, tuple):
            return NotImplemented
        return _compare(self, other) >= 0


def _as_pid(value: Any) -> ProposalID | None:
    """``None`` or a ``ProposalID`` from any ``(number, uid)`` pair."""
    if value is None or type(value) is ProposalID:
        return value
    number, uid = value
    return ProposalID(number, uid)


# -- messages ---------------------------------------------------------------------------------


class PaxosMessage:
    """Base class of the messages. ``from_uid`` is the sender's uid."""

    __slots__ = ("from_uid",)
    _fields: ClassVar[tuple[str, ...]] = ("from_uid",)

    from_uid: Any

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    __hash__ = None  # type: ignore[assignment]  # mutable, like composable_paxos' messages

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields)
        return f"{type(self).__name__}({fields})"


class Prepare(PaxosMessage):
    """Phase 1a, broadcast to every acceptor: "promise to ignore proposals below this one"."""

    __slots__ = ("proposal_id",)
    _fields = ("from_uid", "proposal_id")

    def __init__(self, from_uid: Any, proposal_id: ProposalID) -> None:
        self.from_uid = from_uid
        self.proposal_id = proposal_id


class Nack(PaxosMessage):
    """Refusal of a ``Prepare`` or ``Accept`` for ``proposal_id``: the acceptor ``from_uid`` has
    promised the higher ``promised_proposal_id``. Sent to ``proposer_uid``."""

    __slots__ = ("proposer_uid", "proposal_id", "promised_proposal_id")
    _fields = ("from_uid", "proposer_uid", "proposal_id", "promised_proposal_id")

    def __init__(
        self,
        from_uid: Any,
        proposer_uid: Any,
        proposal_id: ProposalID,
        promised_proposal_id: ProposalID | None,
    ) -> None:
        self.from_uid = from_uid
        self.proposer_uid = proposer_uid
        self.proposal_id = proposal_id
        self.promised_proposal_id = promised_proposal_id


class Promise(PaxosMessage):
    """Phase 1b, to ``proposer_uid``: ``from_uid`` promised ``proposal_id`` and reports the last
    proposal it accepted (``None``, ``None`` if none)."""

    __slots__ = ("proposer_uid", "proposal_id", "last_accepted_id", "last_accepted_value")
    _fields = ("from_uid", "proposer_uid", "proposal_id", "last_accepted_id",
               "last_accepted_value")

    def __init__(
        self,
        from_uid: Any,
        proposer_uid: Any,
        proposal_id: ProposalID,
        last_accepted_id: ProposalID | None,
        last_accepted_value: Any,
    ) -> None:
        self.from_uid = from_uid
        self.proposer_uid = proposer_uid
        self.proposal_id = proposal_id
        self.last_accepted_id = last_accepted_id
        self.last_accepted_value = last_accepted_value


class Accept(PaxosMessage):
    """Phase 2a, broadcast to every acceptor: "accept ``proposal_value`` in ``proposal_id``"."""

    __slots__ = ("proposal_id", "proposal_value")
    _fields = ("from_uid", "proposal_id", "proposal_value")

    def __init__(self, from_uid: Any, proposal_id: ProposalID, proposal_value: Any) -> None:
        self.from_uid = from_uid
        self.proposal_id = proposal_id
        self.proposal_value = proposal_value


class Accepted(PaxosMessage):
    """Phase 2b, to every learner: ``from_uid`` accepted ``proposal_value`` in
    ``proposal_id``."""

    __slots__ = ("proposal_id", "proposal_value")
    _fields = ("from_uid", "proposal_id", "proposal_value")

    def __init__(self, from_uid: Any, proposal_id: ProposalID, proposal_value: Any) -> None:
        self.from_uid = from_uid
        self.proposal_id = proposal_id
        self.proposal_value = proposal_value


class Resolution(PaxosMessage):
    """A learner's announcement that ``value`` is chosen."""

    __slots__ = ("value",)
    _fields = ("from_uid", "value")

    def __init__(self, from_uid: Any, value: Any) -> None:
        self.from_uid = from_uid
        self.value = value


Reply = Union[Prepare, Nack, Promise, Accept, Accepted, Resolution, None]


# -- roles ------------------------------------------------------------------------------------


class MessageHandler:
    """``receive(msg)`` calls ``receive_<message class name in lower case>``."""

    def receive(self, msg: PaxosMessage) -> Reply:
        """Dispatch ``msg`` to its handler; ``InvalidMessageError`` if this role has none."""
        for cls in type(msg).__mro__:
            handler = getattr(self, "receive_" + cls.__name__.lower(), None)
            if handler is not None:
                return handler(msg)  # type: ignore[no-any-return]
        raise InvalidMessageError(
            f"{type(self).__name__} does not handle {type(msg).__name__} messages"
        )


class Proposer(MessageHandler):
    """Drives proposals. ``leader`` is this proposer's belief that a quorum promised its current
    ``proposal_id`` (several proposers may believe it at once; safety never depends on it)."""

    def __init__(self, network_uid: Any, quorum_size: int) -> None:
        self.network_uid = network_uid
        self.quorum_size = quorum_size
        self.leader = False
        self.proposed_value: Any = None
        self.proposal_id = ProposalID(0, network_uid)
        self.highest_proposal_id = ProposalID(0, network_uid)
        self.highest_accepted_id: ProposalID | None = None
        self.promises_received: set[Any] | None = None
        self.nacks_received: set[Any] | None = None
        self.current_prepare_msg: Prepare | None = None
        self.current_accept_msg: Accept | None = None

    def propose_value(self, value: Any) -> Accept | None:
        """Set the value to propose unless one is already known (our own or one adopted from a
        promise). If this proposer is the leader, returns the ``Accept`` to broadcast."""
        if self.proposed_value is not None:
            return None
        self.proposed_value = value
        if not self.leader:
            return None
        self.current_accept_msg = Accept(self.network_uid, self.proposal_id, value)
        return self.current_accept_msg

    def prepare(self) -> Prepare:
        """Start a new proposal numbered above every proposal seen; returns the ``Prepare`` to
        broadcast. Clears the leader flag and the promises and nacks counted so far."""
        self.leader = False
        self.promises_received = set()
        self.nacks_received = set()
        self.proposal_id = ProposalID(self.highest_proposal_id.number + 1, self.network_uid)
        self.highest_proposal_id = self.proposal_id
        self.current_prepare_msg = Prepare(self.network_uid, self.proposal_id)
        return self.current_prepare_msg

    def observe_proposal(self, proposal_id: ProposalID | None) -> None:
        """Raise the floor for the next ``prepare()`` to above ``proposal_id`` (called for every
        ``Promise`` and ``Nack``; call it for proposals seen elsewhere too)."""
        pid = _as_pid(proposal_id)
        if pid is not None and _compare(pid, self.highest_proposal_id) > 0:
            self.highest_proposal_id = pid

    def receive_nack(self, msg: Nack) -> Prepare | None:
        """Count a refusal of the current proposal; once a quorum refused it, returns the
        ``Prepare`` of a new, higher proposal."""
        self.observe_proposal(msg.promised_proposal_id)
        if self.nacks_received is None or msg.proposal_id != self.proposal_id:
            return None
        self.nacks_received.add(msg.from_uid)
        if len(self.nacks_received) == self.quorum_size:
            return self.prepare()
        return None

    def receive_promise(self, msg: Promise) -> Accept | None:
        """Count a promise for the current proposal and adopt the value of the highest proposal
        it reports. With a quorum this proposer becomes the leader and, if it has a value,
        returns the ``Accept`` to broadcast."""
        self.observe_proposal(msg.proposal_id)
        if (
            self.leader
            or self.promises_received is None
            or msg.proposal_id != self.proposal_id
            or msg.from_uid in self.promises_received
        ):
            return None
        self.promises_received.add(msg.from_uid)
        if _compare(msg.last_accepted_id, self.highest_accepted_id) > 0:
            self.highest_accepted_id = _as_pid(msg.last_accepted_id)
            if msg.last_accepted_value is not None:
                self.proposed_value = msg.last_accepted_value
        if len(self.promises_received) != self.quorum_size:
            return None
        self.leader = True
        if self.proposed_value is None:
            return None
        self.current_accept_msg = Accept(self.network_uid, self.proposal_id, self.proposed_value)
        return self.current_accept_msg


class Acceptor(MessageHandler):
    """The fault-tolerant memory of Paxos. ``promised_id``, ``accepted_id`` and
    ``accepted_value`` must be persisted before a reply is sent, and passed back to the
    constructor after a restart. The rules are the core acceptor's: promise or accept at or above
    the promised id, otherwise ``Nack``."""

    def __init__(
        self,
        network_uid: Any,
        promised_id: ProposalID | None = None,
        accepted_id: ProposalID | None = None,
        accepted_value: Any = None,
    ) -> None:
        self.network_uid = network_uid
        self.promised_id = promised_id
        self.accepted_id = accepted_id
        self.accepted_value = accepted_value

    def receive_prepare(self, msg: Prepare) -> Promise | Nack:
        """Returns a ``Promise`` (reporting the last accepted proposal) or a ``Nack``."""
        kind, promised = _native.paxos_acceptor_receive(
            self.promised_id, self.accepted_id, msg.proposal_id, False
        )
        if kind == "promise":
            self.promised_id = promised
            return Promise(self.network_uid, msg.from_uid, promised, self.accepted_id,
                           self.accepted_value)
        return Nack(self.network_uid, msg.from_uid, msg.proposal_id, self.promised_id)

    def receive_accept(self, msg: Accept) -> Accepted | Nack:
        """Returns ``Accepted`` (after accepting) or a ``Nack``."""
        kind, _ = _native.paxos_acceptor_receive(
            self.promised_id, self.accepted_id, msg.proposal_id, True
        )
        if kind == "accepted":
            self.promised_id = msg.proposal_id
            self.accepted_id = msg.proposal_id
            self.accepted_value = msg.proposal_value
            return Accepted(self.network_uid, msg.proposal_id, msg.proposal_value)
        return Nack(self.network_uid, msg.from_uid, msg.proposal_id, self.promised_id)


class Learner(MessageHandler):
    """Watches ``Accepted`` messages and learns the final value once a quorum of acceptors
    accepted one proposal. Each acceptor counts for its newest proposal only; older messages
    from it are ignored."""

    class ProposalStatus:
        """Acceptances of one proposal: how many ever (``accept_count``), how many acceptors
        still have it as their newest (``retain_count``, ``acceptors``), and its ``value``."""

        __slots__ = ("accept_count", "retain_count", "acceptors", "value")

        def __init__(self, value: Any) -> None:
            self.accept_count = 0
            self.retain_count = 0
            self.acceptors: set[Any] = set()
            self.value = value

    def __init__(self, network_uid: Any, quorum_size: int) -> None:
        self.network_uid = network_uid
        self.quorum_size = quorum_size
        self.proposals: dict[ProposalID, Learner.ProposalStatus] | None = {}
        self.acceptors: dict[Any, ProposalID] | None = {}
        self.final_value: Any = None
        self.final_acceptors: set[Any] | None = None
        self.final_proposal_id: ProposalID | None = None

    def receive_accepted(self, msg: Accepted) -> Resolution | None:
        """Count one acceptance; returns a ``Resolution`` when it completes a quorum and for every
        ``Accepted`` after that (adding acceptors of the final value to ``final_acceptors``)."""
        if self.final_proposal_id is not None:
            if (
                _compare(msg.proposal_id, self.final_proposal_id) >= 0
                and msg.proposal_value == self.final_value
                and self.final_acceptors is not None
            ):
                self.final_acceptors.add(msg.from_uid)
            return Resolution(self.network_uid, self.final_value)
        assert self.proposals is not None and self.acceptors is not None
        pid = _as_pid(msg.proposal_id)
        assert pid is not None
        last = self.acceptors.get(msg.from_uid)
        if _compare(pid, last) <= 0:
            return None  # an older proposal than this acceptor's newest
        status = self.proposals.get(pid)
        if status is not None and status.value != msg.proposal_value:
            raise InvalidMessageError(
                f"proposal {pid} carries two values: {status.value!r} and "
                f"{msg.proposal_value!r}"
            )
        self.acceptors[msg.from_uid] = pid
        if last is not None:
            old = self.proposals[last]
            old.retain_count -= 1
            old.acceptors.discard(msg.from_uid)
            if old.retain_count == 0:
                del self.proposals[last]
        if status is None:
            status = self.proposals[pid] = Learner.ProposalStatus(msg.proposal_value)
        status.accept_count += 1
        status.retain_count += 1
        status.acceptors.add(msg.from_uid)
        if status.accept_count != self.quorum_size:
            return None
        self.final_proposal_id = pid
        self.final_value = status.value
        self.final_acceptors = status.acceptors
        self.proposals = None
        self.acceptors = None
        return Resolution(self.network_uid, self.final_value)


class PaxosInstance(Proposer, Acceptor, Learner):
    """Proposer, acceptor and learner of one node. Prepares and accepts it receives also raise
    its proposer's floor (``observe_proposal``)."""

    def __init__(
        self,
        network_uid: Any,
        quorum_size: int,
        promised_id: ProposalID | None = None,
        accepted_id: ProposalID | None = None,
        accepted_value: Any = None,
    ) -> None:
        Proposer.__init__(self, network_uid, quorum_size)
        Acceptor.__init__(self, network_uid, promised_id, accepted_id, accepted_value)
        Learner.__init__(self, network_uid, quorum_size)

    def receive_prepare(self, msg: Prepare) -> Promise | Nack:
        self.observe_proposal(msg.proposal_id)
        return Acceptor.receive_prepare(self, msg)

    def receive_accept(self, msg: Accept) -> Accepted | Nack:
        self.observe_proposal(msg.proposal_id)
        return Acceptor.receive_accept(self, msg)
