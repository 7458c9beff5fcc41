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
/// Cheap to clone (the member list is shared).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    members: Arc<[NodeId]>,
    /// True when `members == [0, 1, ..., n-1]`, so a node id is its own index.
    dense: bool,
    quorum: usize,
    timing: Timing,
    mutation: Mutation,
}

impl Config {
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
        let quorum = ids.len() / 2 + 1;
        Ok(Config {
            members: ids.into(),
            dense,
            quorum,
            timing: Timing::default(),
            mutation: Mutation::None,
        })
    }

    /// Nodes `0..n` with a majority quorum.
    pub fn with_size(n: u32) -> Result<Config, PaxosError> {
        Config::new(0..n)
    }

    /// The same cluster with an explicit quorum size. It must be more than half of the members
    /// (so any two quorums intersect) and at most all of them.
    pub fn with_quorum(mut self, quorum: usize) -> Result<Config, PaxosError> {
        let n = self.members.len();
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
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }

    /// Number of members.
    pub fn size(&self) -> usize {
        self.members.len()
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
            ((node as usize) < self.members.len()).then_some(node as usize)
        } else {
            self.members.binary_search(&node).ok()
        }
    }

    pub(crate) fn require(&self, node: NodeId) -> Result<usize, PaxosError> {
        self.index_of(node).ok_or(PaxosError::UnknownNode(node))
    }
}

/// The set of members that voted (promised or accepted) for one ballot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Votes {
    words: Vec<u64>,
    count: usize,
}

impl Votes {
    /// Add the member at `index`; false if it had already voted.
    #[inline]
    pub(crate) fn insert(&mut self, index: usize) -> bool {
        let (w, bit) = (index / 64, 1u64 << (index % 64));
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        if self.words[w] & bit != 0 {
            return false;
        }
        self.words[w] |= bit;
        self.count += 1;
        true
    }

    #[inline]
    pub(crate) fn count(&self) -> usize {
        self.count
    }

    pub(crate) fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
        self.count = 0;
    }
}
