"""The article's ``from paxos import Paxos``: ringpax's Paxos (see :mod:`ringpax.paxos`)."""

from ringpax.paxos import *  # noqa: F401,F403
from ringpax.paxos import __all__ as __all__  # noqa: F401
