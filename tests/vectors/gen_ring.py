#!/usr/bin/env python3
"""Generate tests/vectors/ring.json (and its flat twin ring.tsv for the C test).

This is an independent, deliberately plain reference implementation of the ringpax placement
spec (README, "Placement spec"), using the `blake3` package from PyPI rather than ringpax, so
the vectors check ringpax's Rust, C and Python faces against something ringpax did not compute.

    python tests/vectors/gen_ring.py          # rewrite the vectors
    python tests/vectors/gen_ring.py --check  # exit 1 if the committed files differ
"""

from __future__ import annotations

import argparse
import bisect
import json
import pathlib
import sys

import blake3

HERE = pathlib.Path(__file__).resolve().parent


def h(data: bytes) -> int:
    return int.from_bytes(blake3.blake3(data).digest()[:8], "little")


def build(replicas: int, nodes: list[tuple[str, int]]) -> list[tuple[int, bytes, str]]:
    points = []
    for name, weight in nodes:
        for i in range(replicas * weight):
            points.append((h(name.encode() + b"#" + str(i).encode()), name.encode(), name))
    points.sort()  # by value, then node name bytewise: the first of a tie wins
    return points


def lookup(points: list[tuple[int, bytes, str]], key: bytes, n: int) -> list[str]:
    values = [p[0] for p in points]
    start = bisect.bisect_left(values, h(key)) % len(points)
    out: list[str] = []
    for step in range(len(points)):
        name = points[(start + step) % len(points)][2]
        if name not in out:
            out.append(name)
            if len(out) == n:
                break
    return out


CASES = [
    {"replicas": 160, "nodes": [("127.0.0.1", 1), ("127.0.0.2", 1), ("127.0.0.3", 1)]},
    {"replicas": 7, "nodes": [("127.0.0.1", 1), ("127.0.0.2", 1), ("127.0.0.3", 1)]},
    {"replicas": 40, "nodes": [("a", 1), ("b", 2), ("c", 3), ("ümlaut-节点", 1)]},
    {"replicas": 1, "nodes": [(f"node-{i}", 1) for i in range(10)]},
    {"replicas": 160, "nodes": [(f"10.0.0.{i}:11211", 1 + i % 3) for i in range(25)]},
]


def keys() -> list[bytes]:
    ks = [b"", b"key1", b"key2", b"key3", "ключ".encode(), bytes(range(32)), b"\xff\xfe\x00"]
    ks += [f"user:{i}".encode() for i in range(60)]
    return ks


def generate() -> tuple[str, str]:
    cases = []
    tsv = ["# replicas\tnodes(name:weight,...)\tkey_hex\thash\tpreference(name,...)"]
    for case in CASES:
        points = build(case["replicas"], case["nodes"])
        entries = []
        for k in keys():
            pref = lookup(points, k, 3)
            entries.append({"key_hex": k.hex(), "hash": h(k), "node": pref[0], "preference": pref})
            tsv.append("\t".join([
                str(case["replicas"]),
                ",".join(f"{n}:{w}" for n, w in case["nodes"]),
                k.hex(), str(h(k)), ",".join(pref)]))
        cases.append({
            "replicas": case["replicas"],
            "nodes": [{"name": n, "weight": w} for n, w in case["nodes"]],
            "preference_length": 3,
            "lookups": entries,
        })
    doc = {
        "spec": "ringpax ring v1: h(b) = BLAKE3(b)[0..8] little-endian; node N weight w has "
                "points h(UTF-8(N) + '#' + decimal(i)) for i < replicas*w; key -> first point "
                ">= h(key), wrapping; ties by node name bytewise; preference = distinct nodes "
                "clockwise",
        "generator": "tests/vectors/gen_ring.py",
        "cases": cases,
    }
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n", "\n".join(tsv) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    js, tsv = generate()
    targets = {HERE / "ring.json": js, HERE / "ring.tsv": tsv}
    if args.check:
        stale = [p.name for p, text in targets.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            print(f"stale vectors: {stale}; run python tests/vectors/gen_ring.py", file=sys.stderr)
            return 1
        return 0
    for p, text in targets.items():
        p.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
