use std::fmt::Debug;

use super::config::Votes;
use super::small::OneOrMore;
use super::{Ballot, Config, Envelope, Message, PaxosError};

#[derive(Debug, Clone)]
struct Tally<V> {
    ballot: Ballot,
    value: V,
    votes: Votes,
}

/// The learner role: counts `Accepted` messages per ballot and learns a value when a quorum of
/// distinct acceptors accepted the same ballot. Duplicates are counted once; acceptances of
/// different ballots never add up.
///
/// # Who learns
/// Acceptors send `Accepted` to the proposer of the ballot only, so in a [`Node`](super::Node)
/// the learner of the proposing node learns; no extra messages are spent on telling the others.
/// Any other node learns the decision by proposing: its ballot adopts the chosen value and
/// completes. That is why a fault-free decision costs exactly `4 (n - 1)` messages.
#[derive(Debug, Clone)]
pub struct Learner<V> {
    config: Config,
    tallies: OneOrMore<Tally<V>>,
    learned: Option<V>,
}

impl<V: Clone + Eq + Debug> Learner<V> {
    /// A learner for the cluster `config` that has learned nothing.
    pub fn new(config: Config) -> Learner<V> {
        Learner {
            config,
            tallies: OneOrMore::default(),
            learned: None,
        }
    }

    /// The chosen value, once learned.
    pub fn learned(&self) -> Option<&V> {
        self.learned.as_ref()
    }

    /// Count one message; returns the value if this message made the learner learn it. Only
    /// `Accepted` counts; other messages are ignored. Errors if the sender is not a member.
    pub fn handle(&mut self, env: &Envelope<V>) -> Result<Option<V>, PaxosError> {
        let from = self.config.require(env.from)?;
        Ok(self.receive(from, &env.msg))
    }

    /// `from` is the sender's member index.
    pub(crate) fn receive(&mut self, from: usize, msg: &Message<V>) -> Option<V> {
        let Message::Accepted { ballot, value } = msg else {
            return None;
        };
        if self.learned.is_some() {
            return None;
        }
        let found = self.tallies.iter().position(|t| t.ballot == *ballot);
        let at = match found {
            Some(i) => i,
            None => {
                self.tallies.push(Tally {
                    ballot: *ballot,
                    value: value.clone(),
                    votes: Votes::default(),
                });
                self.tallies.len() - 1
            }
        };
        let tally = self.tallies.get_mut(at)?;
        if tally.value != *value {
            // Two values in one ballot can only come from a broken proposer; do not mix them.
            return None;
        }
        if tally.votes.insert(from) && tally.votes.count() >= self.config.quorum() {
            let v = tally.value.clone();
            self.learned = Some(v.clone());
            self.tallies = OneOrMore::default();
            return Some(v);
        }
        None
    }
}
