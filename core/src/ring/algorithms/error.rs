use std::fmt;

/// Everything that can go wrong with [`JumpHash`](super::JumpHash),
/// [`Rendezvous`](super::Rendezvous) and [`Maglev`](super::Maglev). Each face maps these once:
/// Python to the `ringpax.RingpaxError` hierarchy, C to `ringpax_status` codes. Only [`Empty`],
/// [`DuplicateNode`] and [`UnknownNode`] are not bad arguments.
///
/// [`Empty`]: AlgorithmError::Empty
/// [`DuplicateNode`]: AlgorithmError::DuplicateNode
/// [`UnknownNode`]: AlgorithmError::UnknownNode
#[derive(Debug, Clone, PartialEq)]
pub enum AlgorithmError {
    /// A lookup (or a removal) with no nodes or buckets; the payload names the structure.
    Empty(&'static str),
    /// A node name of zero length.
    EmptyNodeName,
    /// A node name that is already a member.
    DuplicateNode(String),
    /// A node name that is not a member.
    UnknownNode(String),
    /// A weight that is not a number in `MIN_WEIGHT..=MAX_WEIGHT`.
    InvalidWeight(f64),
    /// A bucket count above [`MAX_BUCKETS`](super::MAX_BUCKETS).
    TooManyBuckets(u64),
    /// A named jump hash was asked to add a bucket without a name.
    NameRequired,
    /// An unnamed jump hash was given a bucket name.
    UnnamedBuckets,
    /// Jump hash can only remove its last bucket.
    NotLastBucket {
        /// The bucket that was asked for.
        name: String,
        /// The last bucket, the only one that may go.
        last: String,
    },
    /// A Maglev table size that is not prime.
    TableSizeNotPrime {
        /// The size asked for.
        size: u64,
        /// The largest prime below it (0 if none).
        below: u64,
        /// The smallest prime above it (0 if above the limit).
        above: u64,
    },
    /// A Maglev table size outside `2..=MAX_TABLE_SIZE`.
    TableSizeOutOfRange(u64),
    /// A Maglev table must be larger than the number of nodes.
    TableTooSmall {
        /// The table size.
        table_size: u64,
        /// The number of nodes it would have to hold.
        nodes: usize,
    },
    /// More nodes asked for than there are (`get_nodes(key, k)` with `k > node_count`).
    TooManyRequested {
        /// `k`.
        requested: usize,
        /// The number of nodes.
        nodes: usize,
    },
}

impl fmt::Display for AlgorithmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AlgorithmError::Empty(what) => write!(f, "the {what} has no nodes"),
            AlgorithmError::EmptyNodeName => write!(f, "node name must not be empty"),
            AlgorithmError::DuplicateNode(n) => write!(f, "node {n:?} is already a member"),
            AlgorithmError::UnknownNode(n) => write!(f, "node {n:?} is not a member"),
            AlgorithmError::InvalidWeight(w) => write!(
                f,
                "weight must be a number between {:e} and {:e}, got {w}",
                super::MIN_WEIGHT,
                super::MAX_WEIGHT
            ),
            AlgorithmError::TooManyBuckets(n) => write!(
                f,
                "jump hash supports at most {} buckets, got {n}",
                super::MAX_BUCKETS
            ),
            AlgorithmError::NameRequired => write!(
                f,
                "this jump hash names its buckets: the new bucket needs a (non-empty) name"
            ),
            AlgorithmError::UnnamedBuckets => write!(
                f,
                "this jump hash has unnamed buckets (numbers only): do not pass a name"
            ),
            AlgorithmError::NotLastBucket { name, last } => write!(
                f,
                "jump hash can only remove its last bucket ({last:?}), not {name:?}"
            ),
            AlgorithmError::TableSizeNotPrime { size, below, above } => {
                write!(f, "Maglev table_size must be prime, {size} is not")?;
                match (*below, *above) {
                    (0, 0) => Ok(()),
                    (0, a) => write!(f, " (nearest prime: {a})"),
                    (b, 0) => write!(f, " (nearest prime: {b})"),
                    (b, a) => write!(f, " (nearest primes: {b} and {a})"),
                }
            }
            AlgorithmError::TableSizeOutOfRange(m) => write!(
                f,
                "Maglev table_size must be a prime between 2 and {}, got {m}",
                super::MAX_TABLE_SIZE
            ),
            AlgorithmError::TableTooSmall { table_size, nodes } => write!(
                f,
                "Maglev table_size ({table_size}) must be larger than the number of nodes \
                 ({nodes}); about 100 x nodes keeps the imbalance near 1%"
            ),
            AlgorithmError::TooManyRequested { requested, nodes } => write!(
                f,
                "asked for {requested} distinct nodes but there are only {nodes}"
            ),
        }
    }
}

impl std::error::Error for AlgorithmError {}
