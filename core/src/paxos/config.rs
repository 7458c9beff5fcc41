use std::fmt;
use std::sync::Arc;

use super::{NodeId, PaxosError};

/// A deliberate safety bug, for testing that checkers catch broken Paxos. Never use anything but
/// [`Mutation::None`] outside tests.
///
/// It is a runtime flag (not a cargo feature) so integration tests and the Python and C test
/// suites can switch it on through the same [`Config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Mutation {
    /// Correct Paxos.
    #[default]
    None = 0,
    /// Acceptors accept an `Accept` even when they promised a higher ballot.
    AcceptorIgnoresPromise = 1,
    /// Proposers send their own value in phase 2 even when a promise reported an accepted value.
    ProposerIgnoresAccepted = 2,
}

/// How long a proposer waits, in caller-defined ticks. The proposer never reads a clock: it asks
/// for a timer with a range `[min_ticks, max_ticks]` (a [`Timeout`](super::Timeout)) and the
/// caller picks the delay in that range with its own RNG, which is what makes dueling proposers
/// drift apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Timing {
    /// Shortest wait for a phase to finish before starting a new ballot. Should exceed the
    /// network round trip, or fault-free rounds time out.
    pub round_timeout: u64,
    /// The phase timer is drawn from `[round_timeout, round_timeout + round_jitter]`.
    pub round_jitter: u64,
    /// After a `Nack`, the proposer backs off for a delay drawn from
    /// `[1, min(backoff_base * 2^attempt, backoff_max)]`, where `attempt` counts consecutive
    /// failed ballots.
    pub backoff_base: u64,
    /// Cap on the backoff range.
    pub backoff_max: u64,
}

impl Timing {
    /// Timing for a network whose one-way delay is at most `max_delay` ticks: phase timeout just
    /// above a round trip, backoff starting at a round trip and capped at 32 of them.
    pub fn for_max_delay(max_delay: u64) -> Timing {
        let rtt = 2 * max_delay.max(1) + 1;
        Timing {
            round_timeout: rtt,
            round_jitter: rtt,
            backoff_base: rtt,
            backoff_max: 32 * rtt,
        }
    }

    fn validate(&self) -> Result<(), PaxosError> {
        if self.round_timeout == 0 || self.backoff_base == 0 || self.backoff_max < self.backoff_base
        {
            return Err(PaxosError::InvalidTiming);
        }
        Ok(())
    }
}

impl Default for Timing {
    /// [`Timing::for_max_delay(1)`](Timing::for_max_delay).
    fn default() -> Timing {
        Timing::for_max_delay(1)
    }
}

/// A validated cluster description shared by every role: the members, the quorum size, the
/// proposer timing and the test-only [`Mutation`].
///
/// Cheap to clone: a cluster of ids `0..n` with `n <= 64` needs no member list at all, and a
/// larger or sparse one shares its list.
#[derive(Clone)]
pub struct Config {
    members: Members,
    /// True when `members == [0, 1, ..., n-1]`, so a node id is its own index.
    dense: bool,
    quorum: usize,
    timing: Timing,
    mutation: Mutation,
}

/// Ids `0..DENSE_MAX`, which [`Members::Dense`] lends its member slices from.
const DENSE_MAX: usize = 64;
static DENSE_IDS: [NodeId; DENSE_MAX] = {
    let mut ids = [0; DENSE_MAX];
    let mut i = 0;
    while i < DENSE_MAX {
        ids[i] = i as NodeId;
        i += 1;
    }
    ids
};

/// The member list: `0..n` for small dense clusters (no allocation, no reference count), else a
/// shared sorted list.
#[derive(Clone)]
enum Members {
    Dense(u8),
    Listed(Arc<[NodeId]>),
}

impl Members {
    #[inline]
    fn as_slice(&self) -> &[NodeId] {
        match self {
            Members::Dense(n) => &DENSE_IDS[..*n as usize],
            Members::Listed(ids) => ids,
        }
    }
}

impl PartialEq for Config {
    fn eq(&self, other: &Config) -> bool {
        self.members() == other.members()
            && self.dense == other.dense
            && self.quorum == other.quorum
            && self.timing == other.timing
            && self.mutation == other.mutation
    }
}

impl Eq for Config {}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("members", &self.members())
            .field("dense", &self.dense)
            .field("quorum", &self.quorum)
            .field("timing", &self.timing)
            .field("mutation", &self.mutation)
            .finish()
    }
}

impl Config {
    fn from_sorted(ids: Members, dense: bool) -> Config {
        let quorum = ids.as_slice().len() / 2 + 1;
        Config {
            members: ids,
            dense,
            quorum,
            timing: Timing::default(),
            mutation: Mutation::None,
        }
    }

    /// A cluster of `members` (any order, no duplicates) with a majority quorum.
    pub fn new(members: impl IntoIterator<Item = NodeId>) -> Result<Config, PaxosError> {
        let mut ids: Vec<NodeId> = members.into_iter().collect();
        if ids.is_empty() {
            return Err(PaxosError::NoMembers);
        }
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(PaxosError::DuplicateMember(w[0]));
        }
        let dense = ids.iter().enumerate().all(|(i, &id)| i as u64 == id as u64);
        let members = if dense && ids.len() <= DENSE_MAX {
            Members::Dense(ids.len() as u8)
        } else {
            Members::Listed(ids.into())
        };
        Ok(Config::from_sorted(members, dense))
    }

    /// Nodes `0..n` with a majority quorum.
    pub fn with_size(n: u32) -> Result<Config, PaxosError> {
        if n == 0 || n as usize > DENSE_MAX {
            return Config::new(0..n);
        }
        Ok(Config::from_sorted(Members::Dense(n as u8), true))
    }

    /// The same cluster with an explicit quorum size. It must be more than half of the members
    /// (so any two quorums intersect) and at most all of them.
    pub fn with_quorum(mut self, quorum: usize) -> Result<Config, PaxosError> {
        let n = self.size();
        if quorum == 0 || quorum > n || 2 * quorum <= n {
            return Err(PaxosError::InvalidQuorum { quorum, members: n });
        }
        self.quorum = quorum;
        Ok(self)
    }

    /// The same cluster with other proposer timing.
    pub fn with_timing(mut self, timing: Timing) -> Result<Config, PaxosError> {
        timing.validate()?;
        self.timing = timing;
        Ok(self)
    }

    /// The same cluster with a safety [`Mutation`] switched on (tests only).
    pub fn with_mutation(mut self, mutation: Mutation) -> Config {
        self.mutation = mutation;
        self
    }

    /// Members in ascending id order.
    #[inline]
    pub fn members(&self) -> &[NodeId] {
        self.members.as_slice()
    }

    /// Number of members.
    #[inline]
    pub fn size(&self) -> usize {
        match &self.members {
            Members::Dense(n) => *n as usize,
            Members::Listed(ids) => ids.len(),
        }
    }

    /// Acceptances (or promises) needed for a decision (or to start phase 2).
    pub fn quorum(&self) -> usize {
        self.quorum
    }

    /// Proposer timing.
    pub fn timing(&self) -> Timing {
        self.timing
    }

    /// The mutation switched on, if any.
    pub fn mutation(&self) -> Mutation {
        self.mutation
    }

    /// Position of `node` in [`members`](Config::members), or `None` if it is not a member.
    #[inline]
    pub fn index_of(&self, node: NodeId) -> Option<usize> {
        if self.dense {
            ((node as usize) < self.size()).then_some(node as usize)
        } else {
            self.members().binary_search(&node).ok()
        }
    }

    pub(crate) fn require(&self, node: NodeId) -> Result<usize, PaxosError> {
        self.index_of(node).ok_or(PaxosError::UnknownNode(node))
    }
}

/// The set of members that voted (promised or accepted) for one ballot. Members `0..64` live in
/// one inline word, so a ballot of a cluster that small never allocates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Votes {
    low: u64,
    /// Words for member indexes `64..`.
    high: Vec<u64>,
    count: usize,
}

impl Votes {
    /// Add the member at `index`; false if it had already voted.
    #[inline]
    pub(crate) fn insert(&mut self, index: usize) -> bool {
        let bit = 1u64 << (index % 64);
        let word = if index < 64 {
            &mut self.low
        } else {
            let w = index / 64 - 1;
            if w >= self.high.len() {
                self.high.resize(w + 1, 0);
            }
            &mut self.high[w]
        };
        if *word & bit != 0 {
            return false;
        }
        *word |= bit;
        self.count += 1;
        true
    }

    #[inline]
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    #[inline]
    pub(crate) fn clear(&mut self) {
        self.low = 0;
        self.high.iter_mut().for_each(|w| *w = 0);
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_count_each_member_once_across_the_inline_word() {
        let mut v = Votes::default();
        for i in [0, 63, 64, 130, 63, 130, 5] {
            v.insert(i);
        }
        assert_eq!(v.count(), 5);
        assert!(!v.insert(64));
        v.clear();
        assert_eq!(v.count(), 0);
        assert!(v.insert(130) && v.insert(0));
    }

    #[test]
    fn small_dense_configs_equal_listed_ones() {
        for n in [1, 5, 64, 65, 200] {
            let sized = Config::with_size(n).unwrap();
            let listed = Config::new((0..n).rev()).unwrap();
            assert_eq!(sized, listed);
            assert_eq!(sized.members(), (0..n).collect::<Vec<_>>());
            assert_eq!(sized.index_of(n - 1), Some(n as usize - 1));
            assert_eq!(sized.index_of(n), None);
            assert_eq!(format!("{sized:?}"), format!("{listed:?}"));
        }
        let sparse = Config::new([7, 3, 11]).unwrap();
        assert_eq!(sparse.members(), &[3, 7, 11]);
        assert_eq!(sparse.index_of(11), Some(2));
        assert_ne!(sparse, Config::with_size(3).unwrap());
    }
}
