//! C ABI for the Paxos simulator and the sans-IO node (work in progress).
