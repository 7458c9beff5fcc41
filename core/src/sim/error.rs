use std::fmt;

use super::Violation;
use crate::paxos::{NodeId, PaxosError};

/// Everything that can go wrong driving the simulator.
#[derive(Debug, Clone, PartialEq)]
pub enum SimError {
    /// No decision within the run's bound on rounds or ticks (a majority unreachable, every
    /// proposer down, or simply too many faults). The simulation is left as it was and may be
    /// driven further.
    NoQuorum {
        /// The run's seed.
        seed: u64,
        /// Ballots started during the call.
        rounds: u64,
        /// Ticks elapsed during the call.
        ticks: u64,
    },
    /// A node id outside the cluster.
    UnknownNode(NodeId),
    /// The node is crashed.
    NodeDown(NodeId),
    /// A bad configuration value (the message says which).
    InvalidConfig(String),
    /// Nodes can only be added before the first proposal.
    MembershipFrozen,
    /// A node listed twice in a partition.
    DuplicateInPartition(NodeId),
    /// The roles rejected something.
    Paxos(PaxosError),
    /// The checker caught a safety violation (only possible with a [`Mutation`](crate::paxos::Mutation)
    /// or a bug).
    Violation(Box<Violation>),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::NoQuorum {
                seed,
                rounds,
                ticks,
            } => write!(
                f,
                "no decision after {rounds} rounds and {ticks} ticks (seed {seed:#x})"
            ),
            SimError::UnknownNode(n) => write!(f, "node {n} is not in the cluster"),
            SimError::NodeDown(n) => write!(f, "node {n} is down"),
            SimError::InvalidConfig(m) => write!(f, "invalid simulator config: {m}"),
            SimError::MembershipFrozen => {
                write!(f, "nodes can only be added before the first proposal")
            }
            SimError::DuplicateInPartition(n) => {
                write!(f, "node {n} appears in more than one partition group")
            }
            SimError::Paxos(e) => write!(f, "{e}"),
            SimError::Violation(v) => write!(f, "{v}"),
        }
    }
}

impl std::error::Error for SimError {}

impl From<PaxosError> for SimError {
    fn from(e: PaxosError) -> SimError {
        SimError::Paxos(e)
    }
}
