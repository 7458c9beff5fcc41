use std::fmt;

/// A node's id. Ids are opaque; a cluster lists its members in a [`Config`](super::Config).
pub type NodeId = u32;

/// A proposal number: totally ordered by `round`, then by `node`.
///
/// Every ballot belongs to the node that made it (`node`), so two proposers never share one and a
/// ballot names at most one value (a proposer sends one value per ballot; see
/// [`Proposer`](super::Proposer) for how that survives restarts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Ballot {
    /// The round, compared first. Proposers start at 1; round 0 is never used.
    pub round: u64,
    /// The proposer's node id; breaks ties between equal rounds.
    pub node: NodeId,
}

impl Ballot {
    /// The ballot `(round, node)`.
    pub const fn new(round: u64, node: NodeId) -> Ballot {
        Ballot { round, node }
    }
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.node)
    }
}
