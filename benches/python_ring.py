#!/usr/bin/env python3
"""ringpax vs uhashring 2.5, side by side in one process, same nodes and keys. Prints ratios.

    .venv/bin/python benches/python_ring.py [--nodes 100] [--keys 1000000]

Timing uses the best of several repeats (time.perf_counter) to damp noise on shared machines;
quote the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import gc
import time
from typing import Callable

from uhashring import HashRing

from ringpax import ConsistentHash


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    return race(fn, repeat=repeat)[0]


def race(*fns: Callable[[], object], repeat: int = 5) -> list[float]:
    """Best time of each function over `repeat` rounds, the functions taking turns within each
    round, so that a change in the machine's load hits every side alike."""
    times = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            gc.collect()
            t0 = time.perf_counter()
            fn()
            times[i] = min(times[i], time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=100)
    ap.add_argument("--keys", type=int, default=1_000_000)
    ap.add_argument("--single-keys", type=int, default=100_000)
    args = ap.parse_args()
    nodes = [f"10.0.{i // 256}.{i % 256}:11211" for i in range(args.nodes)]
    keys = [f"user:{i}" for i in range(args.keys)]
    single = keys[: args.single_keys]

    ours = ConsistentHash(160, *nodes)
    theirs = HashRing(nodes=nodes, vnodes=160)
    rows = []

    # The same with hash='xxh3' (for trusted keys), against the same uhashring timings.
    fast = ConsistentHash(160, *nodes, hash="xxh3")
    get, fast_get, get_node = ours.get, fast.get, theirs.get_node
    t_ours, t_fast, t_get = race(
        lambda: [get(k) for k in single],
        lambda: [fast_get(k) for k in single],
        lambda: [get_node(k) for k in single],
        repeat=5,
    )
    rows.append(("get(key), Python loop", len(single), t_ours, t_get))
    rows.append(("get(key), hash='xxh3'", len(single), t_fast, t_get))

    t_ours, t_fast, t_many = race(
        lambda: ours.get_many(keys),
        lambda: fast.get_many(keys),
        lambda: [get_node(k) for k in keys],
        repeat=2,
    )
    rows.append((f"get_many({args.keys:,} keys) vs loop", len(keys), t_ours, t_many))
    rows.append(("get_many, hash='xxh3'", len(keys), t_fast, t_many))

    t_ours, t_theirs = race(
        lambda: ConsistentHash(160, *nodes), lambda: HashRing(nodes=nodes, vnodes=160), repeat=3
    )
    rows.append((f"build {args.nodes} nodes x 160", 1, t_ours, t_theirs))

    big = [f"10.1.{i // 256}.{i % 256}:11211" for i in range(1000)]
    ours_big = ConsistentHash(160, *big)
    theirs_big = HashRing(nodes=big, vnodes=160)
    # Back to back, each side's ring stays in the caches between its own changes; taking
    # turns, the other side's work evicts it first, as an application's work would between
    # two membership changes. Both are reported.
    warm = [float("inf"), float("inf")]
    cold = [float("inf"), float("inf")]
    for side, ring in enumerate((ours_big, theirs_big)):
        for i in range(3):
            t0 = time.perf_counter()
            ring.add_node(f"newcomer{i}")
            warm[side] = min(warm[side], time.perf_counter() - t0)
            ring.remove_node(f"newcomer{i}")
    for i in range(3):
        for side, ring in enumerate((ours_big, theirs_big)):
            t0 = time.perf_counter()
            ring.add_node(f"joiner{i}")
            cold[side] = min(cold[side], time.perf_counter() - t0)
            ring.remove_node(f"joiner{i}")
    rows.append(("add_node to 1000 nodes, back to back", 1, warm[0], warm[1]))
    rows.append(("add_node to 1000 nodes, taking turns", 1, cold[0], cold[1]))

    # Bounded loads: how many tracked keys move when a node joins, against plain hashing, and
    # how lumpy each is (peak load / average).
    few = keys[:100_000]
    plain = ConsistentHash(160, *nodes)
    bounded = ConsistentHash(160, *nodes, load_factor=1.25)
    for k in few:
        plain.add(k)
        bounded.add(k)
    plain_peak = max(plain.loads().values()) / (len(few) / len(nodes))
    bounded_peak = max(bounded.loads().values()) / (len(few) / len(nodes))
    plain_moves = len(plain.add_node("joiner"))
    bounded_moves = len(bounded.add_node("joiner"))

    print(f"{'operation':<38} {'ringpax':>12} {'uhashring':>12} {'speed-up':>9}")
    for name, n, a, b in rows:
        unit = "ns/key" if n > 1 else "ms"
        scale = 1e9 / n if n > 1 else 1e3
        print(f"{name:<38} {a * scale:>9.1f} {unit:<2} {b * scale:>9.1f} {unit:<2} {b / a:>8.1f}x")

    print(
        f"bounded loads (load_factor=1.25, {len(few):,} tracked keys, {len(nodes)} nodes): "
        f"peak/avg {bounded_peak:.2f} vs plain {plain_peak:.2f}; adding a node moved "
        f"{bounded_moves:,} keys vs {plain_moves:,} with plain hashing "
        f"({bounded_moves / max(plain_moves, 1):.2f}x; ideal {len(few) / (len(nodes) + 1):,.0f})"
    )


if __name__ == "__main__":
    main()
