"""The Paxos section of ``python -m ringpax demo``."""

from __future__ import annotations

import time
from typing import Callable

from ringpax.paxos import Paxos


def run(print_fn: Callable[..., None] = print, seed: int = 2024) -> bool:
    """Decide one value on 5 nodes under 20% message loss with a crashed node; print the chosen
    value, rounds, messages and the safety check. Returns the safety check result."""
    say = print_fn
    n = 5
    say(f"== Paxos: {n} nodes, 20% message loss, node{n} crashed ==")
    paxos = Paxos(n, seed=seed, drop=0.2)
    for i in range(1, n + 1):
        paxos.add_node(f"node{i}")
    paxos.crash(f"node{n}")
    proposals = {"node1": "apple", "node2": "banana"}
    t0 = time.perf_counter()
    chosen = paxos.contend(proposals)
    ms = (time.perf_counter() - t0) * 1e3
    s = paxos.stats
    say(f"chosen: {chosen!r} (node1 proposed 'apple' and node2 'banana' at the same time)")
    say(f"rounds: {s.rounds} ballots; messages: {s.sent} sent, {s.dropped} lost "
        f"(to the loss or to the crashed node), {s.delivered} delivered; "
        f"{s.ticks} ticks of simulated time, {ms:.2f} ms of real time")
    say(f"status: {paxos.status()}")

    later = paxos.propose("cherry", proposer="node3")
    learned = paxos.learned()
    checks = {
        "checker found no violation": paxos.violations == [],
        "chosen value was proposed": chosen in proposals.values(),
        "both proposers learned it": all(learned[p] == chosen for p in proposals),
        "a later proposal returns it": later == chosen,
    }
    safe = all(checks.values())
    say("safety: " + ", ".join(f"{k} {'✓' if ok else '✗'}" for k, ok in checks.items())
        + f" -> {'OK' if safe else 'VIOLATED'}")

    clean = Paxos(n)
    for i in range(1, n + 1):
        clean.add_node(f"node{i}")
    clean.propose("apple")
    say(f"fault-free, one decision costs 4(n-1) = {4 * (n - 1)} messages in 1 round "
        f"(measured: {clean.stats.sent} messages, {clean.stats.rounds} round)")

    article = Paxos(3)
    for name in ("node1", "node2", "node3"):
        article.add_node(name)
    article.propose("value1")
    say("the article's 3-node decision as a message-sequence chart:")
    for line in article.trace().splitlines():
        say("  " + line.rstrip())
    say("")
    return safe
