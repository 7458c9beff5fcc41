"""ringpax: consistent hashing, Paxos and distributed locks, in Rust, for Python and C.

- :mod:`ringpax.consistent_hashing` (also importable as top-level ``consistent_hashing``)
- :mod:`ringpax.algorithms` (JumpHash, Rendezvous, Maglev)
- :mod:`ringpax.paxos` (also importable as top-level ``paxos``)
- :mod:`ringpax.lock` (Redis locks with fencing tokens; needs the ``redis`` package)
"""

from __future__ import annotations

from ringpax.errors import *  # noqa: F401,F403
from ringpax.errors import __all__ as _errors_all
from ringpax.consistent_hashing import ConsistentHash, Move
from ringpax.algorithms import JumpHash, Maglev, Rendezvous

__version__: str
from ringpax._native import __version__  # noqa: E402

__all__ = [
    "ConsistentHash",
    "Move",
    "JumpHash",
    "Rendezvous",
    "Maglev",
    "__version__",
    *_errors_all,
]
