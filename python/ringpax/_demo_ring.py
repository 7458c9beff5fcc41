"""The consistent-hashing section of ``python -m ringpax demo``."""

from __future__ import annotations

import time
from collections import Counter
from typing import Callable

from ringpax._progress import Progress, chunks
from ringpax.consistent_hashing import ConsistentHash


def run(nodes: int = 100, keys: int = 1_000_000, replicas: int = 160,
        print_fn: Callable[..., None] = print) -> None:
    say = print_fn
    say(f"== Consistent hashing: {nodes} nodes x {replicas} replicas, {keys:,} keys ==")
    t0 = time.perf_counter()
    ring = ConsistentHash(replicas, *[f"10.0.{i // 256}.{i % 256}:6379" for i in range(nodes)])
    build_ms = (time.perf_counter() - t0) * 1e3
    say(f"built the ring in {build_ms:.1f} ms ({nodes * replicas:,} points)")

    key_list = [f"user:{i}" for i in range(keys)]
    t0 = time.perf_counter()
    owners = ring.get_many(key_list)
    batch_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sample = key_list[: min(keys, 200_000)]
    get = ring.get
    for k in sample:
        get(k)
    single_s = time.perf_counter() - t0
    say(f"lookup rate: get_many {keys / batch_s / 1e6:.1f} M keys/s, "
        f"get() in a Python loop {len(sample) / single_s / 1e6:.2f} M keys/s")

    load = Counter(owners)
    counts = sorted(load.get(n, 0) for n in ring.nodes)
    mean = keys / nodes
    say("load per node:  min {:,}  median {:,}  max {:,}  mean {:,.0f}  peak/avg {:.3f}".format(
        counts[0], counts[len(counts) // 2], counts[-1], mean, counts[-1] / mean))
    shares = ring.distribution()
    say(f"hash-space share: peak/avg {max(shares.values()) * nodes:.3f}")

    with Progress("tracking keys", keys) as bar:
        add = ring.add
        for r in chunks(keys, 50_000):
            for i in r:
                add(key_list[i])
            bar.advance(len(r))

    newcomer = "10.0.99.1:6379"
    t0 = time.perf_counter()
    moves = ring.add_node(newcomer)
    add_ms = (time.perf_counter() - t0) * 1e3
    ideal = keys / (nodes + 1)
    say(f"add_node({newcomer!r}): {len(moves):,} keys move "
        f"({len(moves) / keys:.3%}; ideal 1/(n+1) = {1 / (nodes + 1):.3%}, "
        f"ratio {len(moves) / ideal:.2f}) in {add_ms:.1f} ms; "
        f"all to the new node: {all(m.target == newcomer for m in moves)}")
    gone = ring.nodes[0]
    t0 = time.perf_counter()
    moves = ring.remove_node(gone)
    rm_ms = (time.perf_counter() - t0) * 1e3
    say(f"remove_node({gone!r}): {len(moves):,} keys move ({len(moves) / keys:.3%}) "
        f"in {rm_ms:.1f} ms; all from it: {all(m.source == gone for m in moves)}")

    # Bounded loads: the same nodes with few replicas, where plain hashing is lumpy.
    few = min(keys, 100_000)
    lumpy = ConsistentHash(10, *ring.nodes)
    bounded = ConsistentHash(10, *ring.nodes, load_factor=1.25)
    with Progress("bounded loads", few) as bar:
        for r in chunks(few, 20_000):
            for i in r:
                bounded.add(key_list[i])
            bar.advance(len(r))
    plain_peak = max(Counter(lumpy.get_many(key_list[:few])).values())
    avg = few / len(ring)
    bmoves = bounded.add_node("10.0.99.2:6379")
    pmoves = sum(1 for a, b in zip(lumpy.get_many(key_list[:few]),
                                   ConsistentHash(10, *ring.nodes, "10.0.99.2:6379")
                                   .get_many(key_list[:few])) if a != b)
    say(f"bounded loads (10 replicas, load_factor=1.25, {few:,} keys): peak/avg "
        f"{max(bounded.loads().values()) / (few / len(bounded)):.2f} "
        f"(bound {bounded.load_bound}) vs plain hashing {plain_peak / avg:.2f}; adding a node "
        f"moved {len(bmoves):,} keys (plain hashing: {pmoves:,})")
    say("")
