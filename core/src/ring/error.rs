use std::fmt;

/// Everything that can go wrong with a ring. Each face maps these once: Python to the
/// `ringpax.RingpaxError` hierarchy, C to `ringpax_status` codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RingError {
    /// A lookup on a ring with no nodes.
    EmptyRing,
    /// A node name of zero length.
    EmptyNodeName,
    /// A node name that is already on the ring.
    DuplicateNode(String),
    /// A node name that is not on the ring.
    UnknownNode(String),
    /// A key that is not tracked (the payload is a printable rendering of it).
    UnknownKey(String),
    /// `replicas` outside `1..=MAX_REPLICAS`.
    InvalidReplicas(i64),
    /// A weight outside `1..=MAX_WEIGHT`.
    InvalidWeight(i64),
    /// `replicas * weight` larger than [`MAX_POINTS_PER_NODE`](super::MAX_POINTS_PER_NODE).
    TooManyPoints {
        /// The node that asked for them.
        node: String,
        /// How many points it would get.
        points: u64,
    },
    /// A bounded-loads factor that is not a finite number >= 1.
    InvalidLoadFactor(String),
    /// Removing the last node while keys are still tracked would leave them nowhere.
    WouldOrphanKeys {
        /// The last node.
        node: String,
        /// How many tracked keys it holds.
        keys: usize,
    },
}

impl fmt::Display for RingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RingError::EmptyRing => write!(f, "the ring has no nodes"),
            RingError::EmptyNodeName => write!(f, "node name must not be empty"),
            RingError::DuplicateNode(n) => write!(f, "node {n:?} is already on the ring"),
            RingError::UnknownNode(n) => write!(f, "node {n:?} is not on the ring"),
            RingError::UnknownKey(k) => write!(f, "key {k} is not tracked"),
            RingError::InvalidReplicas(r) => write!(
                f,
                "replicas must be between 1 and {}, got {r}",
                super::MAX_REPLICAS
            ),
            RingError::InvalidWeight(w) => write!(
                f,
                "weight must be between 1 and {}, got {w}",
                super::MAX_WEIGHT
            ),
            RingError::TooManyPoints { node, points } => write!(
                f,
                "node {node:?} would get {points} points (replicas * weight); the limit is {}",
                super::MAX_POINTS_PER_NODE
            ),
            RingError::InvalidLoadFactor(v) => {
                write!(f, "load_factor must be a finite number >= 1, got {v}")
            }
            RingError::WouldOrphanKeys { node, keys } => write!(
                f,
                "removing the last node {node:?} would leave {keys} tracked keys with no node"
            ),
        }
    }
}

impl std::error::Error for RingError {}
