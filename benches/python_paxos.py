#!/usr/bin/env python3
"""ringpax's Paxos vs composable_paxos 1.0, side by side in one process. Prints ratios.

    .venv/bin/python benches/python_paxos.py [--nodes 5] [--decisions 20000]

One "complete decision" on n nodes:

- ringpax: ``Paxos(n)``, n ``add_node`` calls, ``propose`` (returns once the simulated network is
  quiet). That is a whole simulated run in Rust: an event queue with per-message delays, the
  persistence contract, the safety checker on every step and the trace, 4(n-1) network messages.
- composable_paxos: n ``PaxosInstance`` objects, the leader's ``propose_value`` and ``prepare``,
  then the same messages delivered by hand: Prepare to every node, every Promise to the leader,
  Accept to every node, every Accepted to the leader's learner (as in ringpax, where only the
  proposer learns). A second row also broadcasts every Accepted to every learner, the way
  composable_paxos documents it ("Accepted messages should be sent to all Learners").

composable_paxos 1.0 compares ``None`` with proposal ids, which raises ``TypeError`` on Python 3;
the bench patches that (its ``ProposalID`` treats ``None`` as lowest, and the proposer's initial
``highest_accepted_id`` is a proposal id below every real one) and changes nothing else.

A third row drives ringpax's composable_paxos-compatible classes (``ringpax.paxos``) through the
first drive, for reference. Timing is the best of several repeats (time.perf_counter) to damp
noise on shared machines; quote the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Any, Callable

import composable_paxos as cp

import ringpax.paxos as rp
from ringpax.paxos import Paxos


class _NoneSafeProposalID(cp.ProposalID):  # type: ignore[misc,valid-type]
    __slots__ = ()

    def __gt__(self, other: Any) -> bool:
        return True if other is None else tuple.__gt__(self, other)

    def __ge__(self, other: Any) -> bool:
        return True if other is None else tuple.__ge__(self, other)

    def __lt__(self, other: Any) -> bool:
        return False if other is None else tuple.__lt__(self, other)

    def __le__(self, other: Any) -> bool:
        return False if other is None else tuple.__le__(self, other)


cp.ProposalID = _NoneSafeProposalID
cp.Proposer.highest_accepted_id = _NoneSafeProposalID(-1, "")


def drive(module: Any, names: list[str], value: Any, every_learner: bool) -> Any:
    """One decision through composable_paxos-style classes, messages delivered by hand."""
    quorum = len(names) // 2 + 1
    nodes = [module.PaxosInstance(uid, quorum) for uid in names]
    leader = nodes[0]
    leader.propose_value(value)
    prepare = leader.prepare()
    accept = None
    for node in nodes:
        reply = leader.receive(node.receive(prepare))
        if reply is not None:
            accept = reply
    resolution = None
    for node in nodes:
        accepted = node.receive(accept)
        for learner in nodes if every_learner else (leader,):
            r = learner.receive(accepted)
            if r is not None and resolution is None:
                resolution = r
    assert resolution is not None
    return resolution.value


def ringpax_decision(names: list[str], value: Any) -> Any:
    paxos = Paxos(len(names))
    for name in names:
        paxos.add_node(name)
    return paxos.propose(value)


def best(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    """Best seconds per call over `repeat` runs of `number` calls."""
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=5)
    ap.add_argument("--decisions", type=int, default=20_000)
    args = ap.parse_args()
    names = [f"node{i}" for i in range(1, args.nodes + 1)]
    n, k = args.nodes, args.decisions

    # Same answer from all three before timing anything.
    assert ringpax_decision(names, "v") == "v"
    assert drive(cp, names, "v", every_learner=False) == "v"
    assert drive(cp, names, "v", every_learner=True) == "v"
    assert drive(rp, names, "v", every_learner=False) == "v"
    paxos = Paxos(n)
    for name in names:
        paxos.add_node(name)
    paxos.propose("v")
    assert paxos.stats.sent == 4 * (n - 1), paxos.stats

    t_ours = best(lambda: ringpax_decision(names, "v"), k)
    rows = [
        ("composable_paxos, same messages", best(lambda: drive(cp, names, "v", False), k)),
        ("composable_paxos, Accepted to all", best(lambda: drive(cp, names, "v", True), k)),
        ("ringpax.paxos compat classes", best(lambda: drive(rp, names, "v", False), k)),
    ]
    print(f"complete {n}-node decision (ringpax: Paxos({n}), {n} x add_node, propose; "
          f"{4 * (n - 1)} simulated messages)")
    print(f"  {'ringpax Paxos simulator':<36} {t_ours * 1e6:>8.2f} us")
    for name, t in rows:
        print(f"  {name:<36} {t * 1e6:>8.2f} us   {t / t_ours:5.1f}x the simulator's time")


if __name__ == "__main__":
    main()
