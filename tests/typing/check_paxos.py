"""Type-checked with `mypy --strict` by `make test`: the public Paxos API as users write it."""

from __future__ import annotations

from typing import Any, Optional

from paxos import Paxos as Article

import ringpax
from ringpax.paxos import (
    WIRE_VERSION,
    Accept,
    Accepted,
    Acceptor,
    Learner,
    Nack,
    Node,
    NodeOutput,
    PaxosInstance,
    PaxosStats,
    Prepare,
    Promise,
    ProposalID,
    Proposer,
    Resolution,
    Timeout,
)

# The article's snippet.
paxos = Article(3)
paxos.add_node('node1'); paxos.add_node('node2'); paxos.add_node('node3')  # noqa: E702
chosen: Any = paxos.propose('value1')
status: dict[str, str] = paxos.status()

sim = Article(5, seed=1, drop=0.2, duplicate=0.1, reorder=0.5, max_rounds=100, trace=False)
for i in range(1, 6):
    sim.add_node(f"n{i}")
sim.crash("n5")
sim.restart("n5")
sim.partition(["n1", "n2"], "n3")
sim.heal()
sim.set_network(drop=0.0)
winner: Any = sim.contend({"n1": 1, "n2": [2]})
again: Any = sim.propose("x", proposer="n3")
stats: PaxosStats = sim.stats
sent: int = stats.sent + stats.rounds + stats.ticks
chart: str = sim.trace()
names: list[str] = sim.nodes
learned: dict[str, Any] = sim.learned()
quorum: int = sim.quorum + sim.n + sim.seed
violations: list[str] = sim.violations
try:
    sim.propose("y", proposer="nope")
except ringpax.UnknownNodeError as e:
    key_error: KeyError = e
except ringpax.NoQuorumError as e:
    paxos_error: ringpax.PaxosError = e
except ringpax.NodeDownError as e:
    down: ringpax.PaxosError = e
except ringpax.ClusterIncompleteError as e:
    incomplete: ringpax.PaxosError = e

# The sans-IO node over the wire format.
node = Node(0, [0, 1, 2])
out: NodeOutput = node.propose(b"value")
persist: Optional[bytes] = out.persist
for to, message in out.send:
    dest: int = to
    wire: bytes = message
timer: Optional[Timeout] = out.timeout
if timer is not None:
    node.timeout(timer.token)
restarted = Node(0, [0, 1, 2], quorum=2, state=node.state)
reply: NodeOutput = restarted.receive(b"\x01\x01")
value: Optional[bytes] = restarted.learned
version: int = WIRE_VERSION

# composable_paxos compatibility.
pid = ProposalID(1, "A")
newer: bool = pid > None and pid < ProposalID(2, "A")
proposer = Proposer("A", 2)
prepare: Prepare = proposer.prepare()
accept: Optional[Accept] = proposer.propose_value("v")
acceptor = Acceptor("B", promised_id=None)
promise = acceptor.receive_prepare(prepare)
if isinstance(promise, Promise):
    accept = proposer.receive_promise(promise)
nack: Optional[Prepare] = proposer.receive_nack(Nack("C", "A", pid, ProposalID(5, "C")))
learner = Learner("A", 2)
resolution: Optional[Resolution] = learner.receive_accepted(Accepted("B", pid, "v"))
final: Any = learner.final_value
instance = PaxosInstance("A", 2)
reply_msg = instance.receive(instance.prepare())
flag: bool = instance.leader
