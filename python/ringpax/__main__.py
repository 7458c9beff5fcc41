"""``python -m ringpax demo`` and friends."""

from __future__ import annotations

import argparse
import sys


def _demo(args: argparse.Namespace) -> int:
    sections = args.section or ["ring", "paxos", "lock"]
    if "ring" in sections:
        from ringpax import _demo_ring

        _demo_ring.run(nodes=args.nodes, keys=args.keys, replicas=args.replicas)
    if "paxos" in sections:
        try:
            from ringpax import _demo_paxos  # type: ignore[attr-defined]
        except ImportError:
            print("== Paxos: not built yet ==\n")
        else:
            _demo_paxos.run()
    if "lock" in sections:
        try:
            from ringpax import _demo_lock  # type: ignore[attr-defined]
        except ImportError:
            print("== Distributed lock: not built yet ==\n")
        else:
            _demo_lock.run()
    return 0


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
    args = parser.parse_args(argv)
    for name in ("nodes", "keys", "replicas"):
        if getattr(args, name, 1) < 1:
            parser.error(f"--{name} must be >= 1")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
