"""The sans-IO Paxos node from Python: a decision over an in-memory network of wire-format bytes,
the persistence contract across a crash, timeouts, and malformed or misdirected bytes."""

from __future__ import annotations

import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ringpax import (
    DuplicateNodeError,
    InvalidArgumentError,
    InvalidMessageError,
    UnknownNodeError,
    WireFormatError,
)
from ringpax.paxos import WIRE_VERSION, Node, NodeOutput, Timeout


class Net:
    """Nodes 0..n-1, an in-memory queue of (to, bytes), and each node's 'disk'."""

    def __init__(self, n: int) -> None:
        self.members = list(range(n))
        self.nodes = [Node(i, self.members) for i in self.members]
        self.disk: list[bytes | None] = [None] * n
        self.queue: list[tuple[int, bytes]] = []
        self.timers: dict[int, Timeout] = {}
        self.learned: dict[int, bytes] = {}
        self.sent = 0

    def apply(self, who: int, out: NodeOutput) -> None:
        if out.persist is not None:
            self.disk[who] = out.persist  # before any message leaves
        self.queue.extend(out.send)
        self.sent += len(out.send)
        if out.timeout is not None:
            self.timers[who] = out.timeout
        if out.learned is not None:
            self.learned[who] = out.learned

    def run(self, drop: float = 0.0, rng: random.Random | None = None) -> None:
        while self.queue:
            to, msg = self.queue.pop(0 if rng is None else rng.randrange(len(self.queue)))
            if rng is not None and rng.random() < drop:
                continue
            self.apply(to, self.nodes[to].receive(msg))


def test_three_nodes_decide_over_wire_bytes_in_4_n_minus_1_messages() -> None:
    net = Net(3)
    out = net.nodes[0].propose(b"value1")
    assert out.persist is not None  # the node's own promise
    assert {to for to, _ in out.send} == {1, 2} and all(m[0] == WIRE_VERSION for _, m in out.send)
    assert out.timeout is not None and out.timeout.min_ticks <= out.timeout.max_ticks
    net.apply(0, out)
    net.run()
    assert net.sent == 4 * (3 - 1)
    assert net.learned == {0: b"value1"} and net.nodes[0].learned == b"value1"
    assert net.nodes[1].learned is None  # only the proposer learns...
    net.apply(1, net.nodes[1].propose(b"other"))
    net.run()
    assert net.learned[1] == b"value1"  # ...others learn by proposing
    assert all(d is not None for d in net.disk)


def test_state_survives_a_crash_and_restart() -> None:
    net = Net(3)
    net.apply(0, net.nodes[0].propose(b"v"))
    net.run()
    disk = net.disk[2]
    assert disk is not None and disk == net.nodes[2].state
    reborn = Node(2, [0, 1, 2], state=disk)
    assert reborn.state == disk
    # The restarted node's next ballot is above everything it promised before the crash.
    out = reborn.propose(b"w")
    net.nodes[2] = reborn
    net.apply(2, out)
    net.run()
    assert net.learned[2] == b"v"


def test_lost_messages_and_timeouts_retry_with_higher_ballots() -> None:
    net = Net(3)
    out = net.nodes[0].propose(b"v")
    net.apply(0, out)
    net.queue.clear()  # the network loses every Prepare
    timer = net.timers[0]
    assert net.nodes[0].active
    assert net.nodes[0].timeout(timer.token + 100).send == []  # a stale token does nothing
    retry = net.nodes[0].timeout(timer.token)
    assert len(retry.send) == 2 and retry.persist is not None  # a new, higher ballot
    net.apply(0, retry)
    net.run()
    assert net.learned == {0: b"v"} and not net.nodes[0].active


@pytest.mark.parametrize("seed", range(25))
def test_dueling_proposers_over_a_lossy_reordering_network(seed: int) -> None:
    rng = random.Random(seed)
    net = Net(5)
    for i in (0, 2, 4):
        net.apply(i, net.nodes[i].propose(f"v{i}".encode()))
    for _ in range(200):
        net.run(drop=0.2, rng=rng)
        pending = [i for i in (0, 2, 4) if net.nodes[i].active]
        if not pending:
            break
        i = rng.choice(pending)
        net.apply(i, net.nodes[i].timeout(net.timers[i].token))
    values = set(net.learned.values())
    assert len(values) == 1 and values <= {b"v0", b"v2", b"v4"}


def test_malformed_bytes_are_errors_and_leave_the_node_unchanged() -> None:
    node = Node(1, [0, 1, 2])
    node.propose(b"x")
    before = node.state
    prepare = Node(0, [0, 1, 2]).propose(b"y").send[0][1]
    for bad in [b"", b"\x01", bytes([9, 1]) + prepare[2:], prepare[:-1], prepare + b"\x00",
                bytes([1, 99]) + prepare[2:], b"\xff" * 40]:
        with pytest.raises(WireFormatError) as exc:
            node.receive(bad)
        assert isinstance(exc.value, ValueError)
    assert node.state == before
    with pytest.raises(TypeError):
        node.receive("not bytes")  # type: ignore[arg-type]


def test_misaddressed_and_foreign_messages() -> None:
    a = Node(0, [0, 1, 2])
    prepare_for_2 = next(m for to, m in a.propose(b"x").send if to == 2)
    with pytest.raises(InvalidMessageError, match="addressed to node 2"):
        Node(1, [0, 1, 2]).receive(prepare_for_2)
    stranger = Node(7, [7, 1, 2])
    msg_from_7 = next(m for to, m in stranger.propose(b"x").send if to == 1)
    with pytest.raises(UnknownNodeError):
        Node(1, [0, 1, 2]).receive(msg_from_7)


def test_constructor_errors() -> None:
    with pytest.raises(InvalidArgumentError):
        Node(0, [])
    with pytest.raises(DuplicateNodeError):
        Node(0, [0, 1, 1])
    with pytest.raises(UnknownNodeError):
        Node(5, [0, 1, 2])
    with pytest.raises(InvalidArgumentError, match="quorum"):
        Node(0, [0, 1, 2], quorum=1)
    with pytest.raises(WireFormatError):
        Node(0, [0, 1, 2], state=b"\x01\x10\x05")
    with pytest.raises(InvalidArgumentError):
        Node(-1, [0])
    with pytest.raises(TypeError):
        Node(0, [0, "1"])  # type: ignore[list-item]
    n = Node(2, (2, 0, 1), quorum=3)
    assert (n.id, n.members, n.quorum, n.learned, n.active) == (2, [0, 1, 2], 3, None, False)
    assert "Node(id=2" in repr(n)
    with pytest.raises(TypeError):
        n.propose("text")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError):
        n.timeout(-1)


def test_wire_layout_of_a_prepare() -> None:
    out = Node(3, [3, 4]).propose(b"v")
    (to, msg), = out.send
    version, kind, frm, dest, rnd, bnode = struct.unpack("<BBIIQI", msg)
    assert (to, version, kind, frm, dest, rnd, bnode) == (4, WIRE_VERSION, 1, 3, 4, 1, 3)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_never_crash_the_node(data: bytes) -> None:
    node = Node(1, [0, 1, 2])
    before = node.state
    try:
        node.receive(data)
    except (WireFormatError, InvalidMessageError, UnknownNodeError):
        assert node.state == before


@settings(max_examples=200, deadline=None)
@given(at=st.integers(0, 200), byte=st.integers(0, 255))
def test_corrupted_real_messages_never_crash_the_node(at: int, byte: int) -> None:
    a = Node(0, [0, 1, 2])
    msg = bytearray(a.propose(b"payload").send[0][1])
    msg[at % len(msg)] = byte
    node = Node(1, [0, 1, 2])
    try:
        node.receive(bytes(msg))
    except (WireFormatError, InvalidMessageError, UnknownNodeError):
        pass
