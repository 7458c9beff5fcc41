"""``python -m ringpax soak --seeds N``: run many seeded random Paxos fault mixes offline and print
a summary.

Each seed is one run of the core's ``Scenario::random(seed)``, the mixes of the Rust 10,000-seed
suite: 3, 5 or 7 nodes; 2 or 3 competing proposers; up to 40% message loss, duplication in half
the runs, reordering delays; crashes and restarts of up to a minority, partitions, all healed
after a fault window. Every step of every run is checked for safety (one value chosen, it was
proposed, learners agree, acceptors keep their promises, persisted state never goes back), and
every run must decide. A failing seed replays exactly: ``Scenario::random(seed).run()`` in Rust.

``--mutation`` switches on a deliberate safety bug to show the checker catching it.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from ringpax import _native
from ringpax._progress import Progress, chunks

MUTATIONS = ["acceptor_ignores_promise", "proposer_ignores_accepted"]
CHUNK = 250


def _parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("--seeds", type=int, default=10_000, help="number of seeds (10000)")
    parser.add_argument("--first-seed", type=int, default=0, help="first seed (0)")
    parser.add_argument("--jobs", type=int, default=1,
                        help="threads running seeds in parallel (1; the GIL is released)")
    parser.add_argument("--mutation", choices=MUTATIONS,
                        help="switch on a deliberate safety bug (tests the checker)")
    parser.add_argument("--show", type=int, default=10, help="failing seeds to list (10)")
    return parser


def add_parser(sub: Any) -> None:
    """Add the ``soak`` subcommand to ``python -m ringpax``'s subparsers."""
    p = sub.add_parser("soak", help="run many seeded random Paxos fault mixes and summarise")
    _parser(p).set_defaults(func=lambda args: run(args))


def run(args: argparse.Namespace, print_fn: Callable[..., None] = print) -> int:
    """Run the seeds of ``args``; 0 when every run decided safely, 1 otherwise."""
    say = print_fn
    if args.seeds < 1 or args.jobs < 1 or args.first_seed < 0:
        say("--seeds and --jobs must be >= 1 and --first-seed >= 0", file=sys.stderr)
        return 2
    totals: dict[str, int] = {}
    failures: list[tuple[int, str, str]] = []
    first = args.first_seed
    label = "soak" + (f" ({args.mutation})" if args.mutation else "")
    t0 = time.perf_counter()
    with Progress(label, args.seeds) as bar, ThreadPoolExecutor(args.jobs) as pool:
        jobs = [
            pool.submit(_native.paxos_soak, first + r.start, len(r), mutation=args.mutation)
            for r in chunks(args.seeds, CHUNK)
        ]
        for job in jobs:
            result = job.result()
            for key, value in result.items():
                if key != "failures":
                    totals[key] = totals.get(key, 0) + value
            failures.extend(result["failures"])
            bar.advance(result["seeds"])
    elapsed = time.perf_counter() - t0

    kinds = {k: sum(1 for f in failures if f[1] == k) for k in ("violation", "no decision", "check")}
    sent = totals["sent"]
    decisions = totals["decisions"]
    say(f"soak: {args.seeds:,} seeds ({first}..{first + args.seeds - 1}) in {elapsed:.2f} s"
        f" on {args.jobs} thread{'s' if args.jobs > 1 else ''}"
        + (f", mutation {args.mutation}" if args.mutation else ""))
    say(f"  {decisions:,} decisions, {kinds['violation']:,} violations, "
        f"{kinds['no decision']:,} runs without a decision, {kinds['check']:,} failed checks")
    counted = " (runs that completed)" if failures else ""
    say(f"  messages{counted}: {sent:,} sent, {totals['dropped']:,} dropped, "
        f"{totals['duplicated']:,} duplicated; {totals['crashes']:,} crashes; "
        f"{totals['rounds'] / max(decisions, 1):.2f} ballots per decision")
    say(f"  {sent / elapsed:,.0f} messages/s, {args.seeds / elapsed:,.0f} seeds/s")
    if failures:
        say("  failing seeds (replay with Scenario::random(seed) in Rust):")
        for seed, kind, detail in failures[: args.show]:
            say(f"    seed {seed}: {kind}: {detail}")
        if len(failures) > args.show:
            say(f"    ... and {len(failures) - args.show:,} more")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m ringpax soak [--seeds N] [--first-seed S] [--jobs J] [--mutation M]``."""
    parser = _parser(argparse.ArgumentParser(prog="python -m ringpax soak", description=__doc__,
                                             formatter_class=argparse.RawDescriptionHelpFormatter))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
