"""A tiny progress bar for the command line (stderr, only when it is a terminal or forced)."""

from __future__ import annotations

import sys
import time
from typing import Iterator, TextIO


class Progress:
    """``with Progress("tracking keys", total) as p: p.advance(n)``; draws after 0.5 s."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.perf_counter()
        self._drawn = False
        self._last = 0.0

    def __enter__(self) -> "Progress":
        return self

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        # On a terminal redraw in place; elsewhere (logs, CI) print a line every few seconds.
        interval = 0.1 if self.stream.isatty() else 3.0
        if now - self.start >= 0.5 and now - self._last >= interval:
            self._last = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        frac = min(self.done / self.total, 1.0)
        width = 30
        bar = "#" * int(frac * width)
        self.stream.write(
            ("\r" if self.stream.isatty() else "")
            + f"  {self.label:<24} [{bar:<{width}}] {frac * 100:5.1f}%  {now - self.start:5.1f}s"
        )
        if not self.stream.isatty():
            self.stream.write("\n")
        self.stream.flush()
        self._drawn = True

    def __exit__(self, *exc: object) -> None:
        if self._drawn:
            self._draw(time.perf_counter())
            if self.stream.isatty():
                self.stream.write("\n")
            self.stream.flush()


def chunks(total: int, size: int) -> Iterator[range]:
    """Consecutive ranges of at most ``size`` covering ``range(total)``."""
    for lo in range(0, total, size):
        yield range(lo, min(lo + size, total))
