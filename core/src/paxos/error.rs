use std::fmt;

use super::NodeId;

/// Everything that can go wrong when building or driving the Paxos roles. Each face maps these
/// once: Python to the `ringpax.RingpaxError` hierarchy, C to `ringpax_status` codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaxosError {
    /// A cluster with no members.
    NoMembers,
    /// A member listed twice.
    DuplicateMember(NodeId),
    /// A quorum that is 0, larger than the cluster, or so small that two quorums need not
    /// intersect (`2 * quorum <= members`), which would let two values be chosen.
    InvalidQuorum {
        /// The quorum asked for.
        quorum: usize,
        /// The number of members.
        members: usize,
    },
    /// A node id that is not a member of the cluster.
    UnknownNode(NodeId),
    /// A message delivered to a node it is not addressed to.
    Misaddressed {
        /// The node that received it.
        node: NodeId,
        /// The node it was addressed to.
        to: NodeId,
    },
    /// Timing with a zero round timeout or backoff, or `backoff_max < backoff_base`.
    InvalidTiming,
    /// Bytes that are not a valid encoded message or state (see [`wire`](super::wire)).
    Wire(WireError),
}

/// Why bytes failed to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// No bytes at all.
    Empty,
    /// A version byte this build does not understand.
    UnsupportedVersion(u8),
    /// A message or record kind byte that does not exist.
    UnknownKind(u8),
    /// An option flag other than 0 or 1.
    InvalidFlag(u8),
    /// The input ended in the middle of a field.
    Truncated,
    /// Bytes left over after a complete record.
    TrailingBytes(usize),
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Empty => write!(f, "no bytes"),
            WireError::UnsupportedVersion(v) => write!(f, "unsupported wire version {v}"),
            WireError::UnknownKind(k) => write!(f, "unknown record kind {k}"),
            WireError::InvalidFlag(b) => write!(f, "invalid option flag {b}"),
            WireError::Truncated => write!(f, "input ends in the middle of a field"),
            WireError::TrailingBytes(n) => write!(f, "{n} trailing bytes after the record"),
        }
    }
}

impl fmt::Display for PaxosError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PaxosError::NoMembers => write!(f, "a cluster needs at least one member"),
            PaxosError::DuplicateMember(n) => write!(f, "node {n} is listed twice"),
            PaxosError::InvalidQuorum { quorum, members } => write!(
                f,
                "quorum {quorum} is invalid for {members} members (it must be more than half \
                 and at most all of them)"
            ),
            PaxosError::UnknownNode(n) => write!(f, "node {n} is not a member of the cluster"),
            PaxosError::Misaddressed { node, to } => {
                write!(f, "node {node} received a message addressed to node {to}")
            }
            PaxosError::InvalidTiming => write!(
                f,
                "round timeout and backoff must be at least 1 tick and backoff_max >= backoff_base"
            ),
            PaxosError::Wire(e) => write!(f, "malformed wire bytes: {e}"),
        }
    }
}

impl std::error::Error for PaxosError {}
impl std::error::Error for WireError {}

impl From<WireError> for PaxosError {
    fn from(e: WireError) -> PaxosError {
        PaxosError::Wire(e)
    }
}
