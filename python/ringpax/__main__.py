"""``python -m ringpax demo`` (what ringpax does, in a few seconds) and ``python -m ringpax soak``
(many seeded Paxos simulations with random faults, all checked)."""

from __future__ import annotations

import argparse
import sys


def _demo(args: argparse.Namespace) -> int:
    sections = args.section or ["ring", "paxos", "lock"]
    ok = True
    if "ring" in sections:
        from ringpax import _demo_ring

        _demo_ring.run(nodes=args.nodes, keys=args.keys, replicas=args.replicas)
    if "paxos" in sections:
        from ringpax import _demo_paxos

        ok = _demo_paxos.run() is not False and ok
    if "lock" in sections:
        from ringpax import _demo_lock

        _demo_lock.run()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ringpax")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="show what ringpax does, in a few seconds")
    demo.add_argument("--nodes", type=int, default=100)
    demo.add_argument("--keys", type=int, default=1_000_000)
    demo.add_argument("--replicas", type=int, default=160)
    demo.add_argument("--section", action="append", choices=["ring", "paxos", "lock"],
                      help="run only this section (repeatable)")
    demo.set_defaults(func=_demo)
    from ringpax import _soak

    _soak.add_parser(sub)
    args = parser.parse_args(argv)
    for name in ("nodes", "keys", "replicas"):
        if getattr(args, name, 1) < 1:
            parser.error(f"--{name} must be >= 1")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
