"""composable_paxos-compatible roles: scenarios written from composable_paxos 1.0's documented
behaviour, Python 3 decisions (where composable_paxos itself fails on None comparisons), the core
ballot order, and randomised message schedules checked for safety."""

from __future__ import annotations

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringpax import InvalidArgumentError, InvalidMessageError
from ringpax.paxos import (
    Accept,
    Accepted,
    Acceptor,
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

PID = ProposalID


# -- ProposalID: the core's ballot order ------------------------------------------------------


def test_proposal_ids_order_by_number_then_uid_with_none_lowest() -> None:
    assert PID(4, "C") > PID(4, "B") > PID(3, "Z")
    assert PID(1, "A") == (1, "A") and hash(PID(1, "A")) == hash((1, "A"))
    assert PID(0, "A") > None and not PID(0, "A") < None
    assert None < PID(0, "A") and None <= PID(0, "A")  # type: ignore[operator]
    assert PID(2, "A") >= (2, "A") and PID(2, "A") <= (2, "A")
    assert sorted([PID(2, "b"), None, PID(2, "a"), PID(1, "z")],
                  key=lambda p: (p is not None, p)) == [None, PID(1, "z"), PID(2, "a"),
                                                        PID(2, "b")]
    assert PID(1, 7) < PID(1, 9)  # any comparable uids
    with pytest.raises(TypeError):
        PID(1, "A") < 3  # noqa: B015
    with pytest.raises(TypeError):
        PID(1, "A") < PID(1, 2)  # noqa: B015  uids that cannot be compared
    with pytest.raises(InvalidArgumentError):
        PID(-1, "A") < PID(1, "A")  # noqa: B015  numbers are the core's u64 rounds


@given(a=st.one_of(st.none(), st.tuples(st.integers(0, 2**64 - 1), st.text(max_size=3))),
       b=st.one_of(st.none(), st.tuples(st.integers(0, 2**64 - 1), st.text(max_size=3))))
def test_order_matches_tuple_order_with_none_below(a: Any, b: Any) -> None:
    def key(x: Any) -> tuple[int, Any]:
        return (0, ()) if x is None else (1, tuple(x))

    pa = None if a is None else PID(*a)
    pb = None if b is None else PID(*b)
    if pa is not None:
        assert (pa < pb) == (key(a) < key(b))
        assert (pa <= pb) == (key(a) <= key(b))
        assert (pa > pb) == (key(a) > key(b))
        assert (pa >= pb) == (key(a) >= key(b))
    if pb is not None:
        assert (pa < pb) == (key(a) < key(b))  # reflected when pa is None


# -- messages ---------------------------------------------------------------------------------


def test_messages_have_composable_paxos_fields() -> None:
    assert vars_of(Prepare("A", PID(1, "A"))) == {"from_uid": "A", "proposal_id": (1, "A")}
    assert vars_of(Nack("B", "A", PID(1, "A"), PID(2, "B"))) == {
        "from_uid": "B", "proposer_uid": "A", "proposal_id": (1, "A"),
        "promised_proposal_id": (2, "B")}
    assert vars_of(Promise("B", "A", PID(1, "A"), None, None)) == {
        "from_uid": "B", "proposer_uid": "A", "proposal_id": (1, "A"),
        "last_accepted_id": None, "last_accepted_value": None}
    assert vars_of(Accept("A", PID(1, "A"), "v")) == {
        "from_uid": "A", "proposal_id": (1, "A"), "proposal_value": "v"}
    assert vars_of(Accepted("B", PID(1, "A"), "v")) == {
        "from_uid": "B", "proposal_id": (1, "A"), "proposal_value": "v"}
    assert vars_of(Resolution("A", "v")) == {"from_uid": "A", "value": "v"}
    m = Accept("A", PID(1, "A"), "v")
    assert m == Accept("A", PID(1, "A"), "v") and m != Accepted("A", PID(1, "A"), "v")
    assert repr(m) == "Accept(from_uid='A', proposal_id=ProposalID(number=1, uid='A'), " \
                      "proposal_value='v')"
    m.proposal_value = "w"  # mutable, like composable_paxos' messages
    assert isinstance(m, PaxosMessage)


def vars_of(msg: PaxosMessage) -> dict[str, Any]:
    return {f: getattr(msg, f) for f in msg._fields}


def test_receive_dispatches_by_message_class_and_rejects_others() -> None:
    p = Proposer("A", 2)
    with pytest.raises(InvalidMessageError, match="Proposer does not handle Accept"):
        p.receive(Accept("B", PID(1, "B"), "v"))
    with pytest.raises(InvalidMessageError):
        Acceptor("A").receive(Resolution("B", "v"))
    with pytest.raises(InvalidMessageError):
        Learner("A", 2).receive(Prepare("B", PID(1, "B")))
    assert isinstance(InvalidMessageError("x"), ValueError)

    class MyPrepare(Prepare):
        pass

    assert isinstance(Acceptor("A").receive(MyPrepare("B", PID(1, "B"))), Promise)
    assert isinstance(PaxosInstance("A", 2), MessageHandler)


# -- Proposer ---------------------------------------------------------------------------------


def test_new_proposer() -> None:
    p = Proposer("A", 2)
    assert (p.network_uid, p.quorum_size, p.leader) == ("A", 2, False)
    assert p.proposal_id == PID(0, "A") and p.proposed_value is None
    assert p.highest_accepted_id is None and p.promises_received is None


def test_propose_value_sticks_and_needs_leadership_to_send() -> None:
    p = Proposer("A", 2)
    assert p.propose_value("foo") is None and p.proposed_value == "foo"
    assert p.propose_value("bar") is None and p.proposed_value == "foo"
    q = Proposer("A", 2)
    q.leader = True
    assert q.propose_value("foo") == Accept("A", PID(0, "A"), "foo")
    assert q.current_accept_msg == Accept("A", PID(0, "A"), "foo")


def test_prepare_numbers_above_everything_seen_and_resets_counts() -> None:
    p = Proposer("A", 2)
    assert p.prepare() == Prepare("A", PID(1, "A"))
    p.receive(Promise("B", "A", PID(1, "A"), None, None))
    assert p.promises_received == {"B"}
    assert p.prepare() == Prepare("A", PID(2, "A"))
    assert p.promises_received == set() and p.current_prepare_msg == Prepare("A", PID(2, "A"))
    p.observe_proposal(PID(9, "Z"))
    assert p.prepare().proposal_id == PID(10, "A")
    p.observe_proposal(PID(3, "Z"))  # lower: no effect
    assert p.prepare().proposal_id == PID(11, "A")


def test_a_quorum_of_nacks_starts_a_higher_proposal() -> None:
    p = Proposer("A", 2)
    p.prepare()
    p.leader = True
    assert p.receive(Nack("B", "A", PID(1, "A"), PID(5, "B"))) is None
    assert p.receive(Nack("B", "A", PID(1, "A"), PID(5, "B"))) is None  # same acceptor twice
    assert p.leader and p.proposal_id == PID(1, "A")
    assert p.receive(Nack("C", "A", PID(0, "A"), PID(6, "C"))) is None  # stale proposal
    m = p.receive(Nack("D", "A", PID(1, "A"), PID(6, "B")))
    assert m == Prepare("A", PID(7, "A")) and not p.leader


def test_promises_make_a_leader_that_sends_its_value() -> None:
    p = Proposer("A", 3)
    p.propose_value("mine")
    p.prepare()
    assert p.receive(Promise("A", "A", PID(1, "A"), None, None)) is None
    assert p.receive(Promise("A", "A", PID(1, "A"), None, None)) is None  # duplicate
    assert p.receive(Promise("B", "B", PID(1, "B"), None, None)) is None  # someone else's
    assert p.promises_received == {"A"}
    assert p.receive(Promise("B", "A", PID(1, "A"), None, None)) is None
    m = p.receive(Promise("C", "A", PID(1, "A"), None, None))
    assert m == Accept("A", PID(1, "A"), "mine") and p.leader
    assert p.receive(Promise("D", "A", PID(1, "A"), None, None)) is None  # already leader


def test_leader_without_a_value_sends_accept_on_propose_value() -> None:
    p = Proposer("A", 2)
    p.prepare()
    p.receive(Promise("B", "A", PID(1, "A"), None, None))
    assert p.receive(Promise("C", "A", PID(1, "A"), None, None)) is None
    assert p.leader
    assert p.propose_value("late") == Accept("A", PID(1, "A"), "late")


def test_promises_adopt_the_value_of_the_highest_accepted_proposal() -> None:
    p = Proposer("A", 3)
    p.propose_value("mine")
    for _ in range(4):
        p.prepare()
    p.receive(Promise("B", "A", PID(4, "A"), PID(1, "B"), "foo"))
    assert (p.highest_accepted_id, p.proposed_value) == (PID(1, "B"), "foo")
    p.receive(Promise("C", "A", PID(4, "A"), PID(3, "C"), "bar"))
    assert (p.highest_accepted_id, p.proposed_value) == (PID(3, "C"), "bar")
    m = p.receive(Promise("D", "A", PID(4, "A"), PID(2, "D"), "baz"))  # lower: ignored
    assert m == Accept("A", PID(4, "A"), "bar")


def test_promise_before_any_prepare_is_ignored() -> None:
    p = Proposer("A", 1)
    assert p.receive(Promise("B", "A", PID(0, "A"), None, None)) is None
    assert not p.leader


# -- Acceptor ---------------------------------------------------------------------------------


def test_acceptor_promises_then_nacks_lower_prepares() -> None:
    a = Acceptor("A")
    assert (a.promised_id, a.accepted_id, a.accepted_value) == (None, None, None)
    assert a.receive(Prepare("B", PID(5, "B"))) == Promise("A", "B", PID(5, "B"), None, None)
    assert a.receive(Prepare("B", PID(5, "B"))) == Promise("A", "B", PID(5, "B"), None, None)
    assert a.receive(Prepare("C", PID(5, "A"))) == Nack("A", "C", PID(5, "A"), PID(5, "B"))
    assert a.receive(Prepare("C", PID(1, "C"))) == Nack("A", "C", PID(1, "C"), PID(5, "B"))
    assert a.promised_id == PID(5, "B")


def test_acceptor_accepts_at_or_above_its_promise_and_reports_it() -> None:
    a = Acceptor("A")
    a.receive(Prepare("B", PID(1, "B")))
    assert a.receive(Accept("B", PID(1, "B"), "foo")) == Accepted("A", PID(1, "B"), "foo")
    assert a.receive(Prepare("C", PID(2, "C"))) == Promise("A", "C", PID(2, "C"), PID(1, "B"),
                                                           "foo")
    assert a.receive(Accept("C", PID(7, "C"), "bar")) == Accepted("A", PID(7, "C"), "bar")
    assert (a.promised_id, a.accepted_id, a.accepted_value) == (PID(7, "C"), PID(7, "C"), "bar")


def test_acceptor_accepts_without_a_prior_prepare() -> None:
    a = Acceptor("A")
    assert a.receive(Accept("B", PID(1, "B"), "foo")) == Accepted("A", PID(1, "B"), "foo")
    assert a.promised_id == PID(1, "B")


def test_acceptor_nacks_an_accept_below_its_promise_and_keeps_its_state() -> None:
    a = Acceptor("A")
    a.receive(Prepare("B", PID(5, "B")))
    assert a.receive(Accept("C", PID(1, "C"), "foo")) == Nack("A", "C", PID(1, "C"), PID(5, "B"))
    assert (a.promised_id, a.accepted_id, a.accepted_value) == (PID(5, "B"), None, None)


def test_acceptor_restarts_from_its_persisted_state() -> None:
    a = Acceptor("A", promised_id=PID(4, "B"), accepted_id=PID(3, "C"), accepted_value="x")
    assert isinstance(a.receive(Prepare("D", PID(4, "A"))), Nack)
    assert a.receive(Prepare("D", PID(5, "D"))) == Promise("A", "D", PID(5, "D"), PID(3, "C"), "x")


def test_acceptor_takes_plain_tuples_and_rejects_garbage() -> None:
    a = Acceptor("A")
    assert isinstance(a.receive(Prepare("B", (3, "B"))), Promise)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="ProposalID"):
        a.receive(Prepare("B", "not an id"))  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="no proposal_id"):
        a.receive(Prepare("B", None))  # type: ignore[arg-type]
    assert a.promised_id == (3, "B")


# -- Learner ----------------------------------------------------------------------------------


def test_learner_resolves_on_a_quorum_of_one_proposal() -> None:
    le = Learner("A", 2)
    assert (le.quorum_size, le.final_value) == (2, None)
    assert le.receive(Accepted("A", PID(1, "A"), "foo")) is None
    m = le.receive(Accepted("B", PID(1, "A"), "foo"))
    assert m == Resolution("A", "foo")
    assert (le.final_value, le.final_proposal_id, le.final_acceptors) == ("foo", PID(1, "A"),
                                                                        {"A", "B"})


def test_learner_after_resolution_keeps_answering_and_collects_acceptors() -> None:
    le = Learner("A", 2)
    le.receive(Accepted("A", PID(1, "A"), "foo"))
    le.receive(Accepted("B", PID(1, "A"), "foo"))
    assert le.receive(Accepted("C", PID(5, "A"), "bar")) == Resolution("A", "foo")
    assert le.final_acceptors == {"A", "B"}
    assert le.receive(Accepted("C", PID(5, "A"), "foo")) == Resolution("A", "foo")
    assert le.final_acceptors == {"A", "B", "C"}


def test_learner_counts_duplicates_once_and_ignores_older_messages() -> None:
    le = Learner("A", 2)
    le.receive(Accepted("A", PID(1, "A"), "foo"))
    le.receive(Accepted("A", PID(1, "A"), "foo"))
    assert le.final_value is None
    le.receive(Accepted("A", PID(5, "A"), "bar"))
    le.receive(Accepted("A", PID(1, "A"), "foo"))  # older than A's newest: ignored
    le.receive(Accepted("B", PID(1, "A"), "foo"))
    assert le.final_value is None  # A's vote moved to proposal 5
    assert le.receive(Accepted("B", PID(5, "A"), "bar")) == Resolution("A", "bar")


def test_learner_resolves_with_mixed_proposal_versions() -> None:
    le = Learner("A", 2)
    le.receive(Accepted("A", PID(5, "A"), "foo"))
    le.receive(Accepted("B", PID(1, "A"), "foo"))
    le.receive(Accepted("C", PID(1, "A"), "foo"))
    assert le.final_value == "foo" and le.final_acceptors == {"B", "C"}
    le.receive(Accepted("A", PID(5, "A"), "foo"))
    assert le.final_acceptors == {"A", "B", "C"}


def test_learner_rejects_two_values_for_one_proposal_without_changing() -> None:
    le = Learner("A", 2)
    le.receive(Accepted("A", PID(1, "A"), "foo"))
    with pytest.raises(InvalidMessageError, match="two values"):
        le.receive(Accepted("B", PID(1, "A"), "bar"))
    assert le.acceptors == {"A": PID(1, "A")}
    assert le.receive(Accepted("B", PID(1, "A"), "foo")) == Resolution("A", "foo")


# -- PaxosInstance and whole decisions --------------------------------------------------------


def test_paxos_instance_observes_prepares_and_accepts() -> None:
    pi = PaxosInstance("A", 2)
    pi.receive(Prepare("B", PID(5, "B")))
    assert pi.prepare() == Prepare("A", PID(6, "A"))
    pi.receive(Accept("C", PID(9, "C"), "v"))
    assert pi.prepare() == Prepare("A", PID(10, "A"))
    restored = PaxosInstance("A", 2, PID(3, "B"), PID(2, "B"), "old")
    assert (restored.promised_id, restored.accepted_id, restored.accepted_value) == (
        PID(3, "B"), PID(2, "B"), "old")


def decide(nodes: dict[str, PaxosInstance], leader: str, value: Any) -> list[Any]:
    """Broadcast every message to every node until nothing is left; returns resolutions."""
    p = nodes[leader]
    p.propose_value(value)
    queue: list[Any] = [p.prepare()]
    resolved = []
    while queue:
        msg = queue.pop(0)
        for node in nodes.values():
            try:
                reply = node.receive(msg)
            except InvalidMessageError:
                continue
            if isinstance(reply, Resolution):
                resolved.append(reply.value)
            elif reply is not None:
                queue.append(reply)
    return resolved


def test_three_instances_decide_on_python_3() -> None:
    # composable_paxos 1.0 raises TypeError here (None > None in receive_promise).
    nodes = {u: PaxosInstance(u, 2) for u in "ABC"}
    resolved = decide(nodes, "A", "x")
    assert resolved and set(resolved) == {"x"}
    assert {n.final_value for n in nodes.values()} == {"x"}
    # A second leader adopts the decided value.
    resolved = decide(nodes, "B", "y")
    assert {n.accepted_value for n in nodes.values()} == {"x"}


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.sampled_from([3, 5]), drop=st.sampled_from([0.0, 0.3]))
def test_random_schedules_never_choose_two_values(seed: int, n: int, drop: float) -> None:
    """Several proposers, messages delivered in random order, some lost, retries: every learner
    that resolves agrees, and the value was proposed."""
    rng = random.Random(seed)
    uids = [f"n{i}" for i in range(n)]
    quorum = n // 2 + 1
    nodes = {u: PaxosInstance(u, quorum) for u in uids}
    pending: list[tuple[str, Any]] = []  # (destination, message)
    proposed = set()

    def broadcast(msg: Any) -> None:
        for u in uids:
            if rng.random() >= drop:
                pending.append((u, msg))

    for step in range(400):
        if not pending or rng.random() < 0.05:
            u = rng.choice(uids)
            v = f"v{u}"
            proposed.add(v)
            nodes[u].propose_value(v)
            broadcast(nodes[u].prepare())
            continue
        dest, msg = pending.pop(rng.randrange(len(pending)))
        try:
            reply = nodes[dest].receive(msg)
        except InvalidMessageError:
            continue
        if reply is not None and not isinstance(reply, Resolution):
            broadcast(reply)
    finals = {node.final_value for node in nodes.values() if node.final_proposal_id is not None}
    assert len(finals) <= 1 and finals <= proposed
    accepted_in: dict[Any, set[Any]] = {}
    for node in nodes.values():
        if node.accepted_id is not None:
            accepted_in.setdefault(node.accepted_id, set()).add(node.accepted_value)
    assert all(len(vs) == 1 for vs in accepted_in.values())
