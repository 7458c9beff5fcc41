//! Single-decree Paxos as sans-IO state machines (work in progress).
