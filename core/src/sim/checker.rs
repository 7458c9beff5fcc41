use std::fmt::{self, Debug};

use crate::paxos::{AcceptorState, Ballot, Config, NodeId, OneOrMore, Votes};

/// Which safety rule was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ViolationKind {
    /// Two different values were each accepted by a quorum in some ballot.
    TwoValuesChosen = 1,
    /// The chosen value is not one that any client proposed.
    ChosenNotProposed = 2,
    /// A learner learned a value that is not the chosen one.
    LearnedNotChosen = 3,
    /// An acceptor accepted a ballot below the one it had promised.
    AcceptedBelowPromise = 4,
    /// An acceptor's persisted promise or accepted ballot went down.
    PersistedStateRegressed = 5,
    /// Two acceptors accepted different values in the same ballot.
    TwoValuesInOneBallot = 6,
}

/// A safety violation found by the [`Checker`], with everything needed to replay it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub kind: ViolationKind,
    /// The simulation's seed: the same seed and config replay the run exactly.
    pub seed: u64,
    /// Simulated time of the offending step.
    pub tick: u64,
    /// The node whose step revealed it.
    pub node: NodeId,
    /// Human-readable specifics (ballots and values).
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "safety violation {:?} on node {} at tick {} (seed {:#x}): {}",
            self.kind, self.node, self.tick, self.seed, self.detail
        )
    }
}

#[derive(Debug, Clone)]
struct BallotRecord<V> {
    ballot: Ballot,
    value: V,
    votes: Votes,
}

/// Checks Paxos safety from the outside, on every step of a run.
///
/// It sees each acceptor state handed out for persisting (old and new), every proposed value
/// and every learned value, and keeps the history of acceptances per ballot. "Chosen" means a
/// quorum of acceptors accepted the same ballot at some point in the run (not necessarily at
/// the same time).
#[derive(Debug, Clone)]
pub struct Checker<V> {
    seed: u64,
    config: Config,
    proposed: OneOrMore<V>,
    ballots: OneOrMore<BallotRecord<V>>,
    chosen: Option<(Ballot, V)>,
}

impl<V: Clone + Eq + Debug> Checker<V> {
    /// A checker for a run of cluster `config` with seed `seed` (quoted in violations).
    pub fn new(seed: u64, config: Config) -> Checker<V> {
        Checker {
            seed,
            config,
            proposed: OneOrMore::default(),
            ballots: OneOrMore::default(),
            chosen: None,
        }
    }

    /// The chosen value and the lowest ballot it was chosen in, if any.
    pub fn chosen(&self) -> Option<&(Ballot, V)> {
        self.chosen.as_ref()
    }

    /// A client proposed `value`.
    pub fn on_propose(&mut self, value: &V) {
        if !self.proposed.iter().any(|p| p == value) {
            self.proposed.push(value.clone());
        }
    }

    fn violation(&self, kind: ViolationKind, tick: u64, node: NodeId, detail: String) -> Violation {
        Violation {
            kind,
            seed: self.seed,
            tick,
            node,
            detail,
        }
    }

    /// Acceptor `node` moved from persisted state `old` to `new`.
    pub fn on_persist(
        &mut self,
        tick: u64,
        node: NodeId,
        old: &AcceptorState<V>,
        new: &AcceptorState<V>,
    ) -> Result<(), Violation> {
        let old_acc = old.accepted.as_ref().map(|(b, _)| *b);
        let new_acc = new.accepted.as_ref().map(|(b, _)| *b);
        if new.accepted != old.accepted {
            if let (Some(p), Some(b)) = (old.promised, new_acc) {
                if b < p {
                    return Err(self.violation(
                        ViolationKind::AcceptedBelowPromise,
                        tick,
                        node,
                        format!("accepted ballot {b} after promising {p}"),
                    ));
                }
            }
        }
        if new.promised < old.promised || new_acc < old_acc {
            return Err(self.violation(
                ViolationKind::PersistedStateRegressed,
                tick,
                node,
                format!(
                    "persisted state went from (promised {:?}, accepted {:?}) to (promised {:?}, \
                     accepted {:?})",
                    old.promised, old.accepted, new.promised, new.accepted
                ),
            ));
        }
        if new.accepted != old.accepted {
            if let Some((b, v)) = &new.accepted {
                return self.on_accept(tick, node, *b, v);
            }
        }
        Ok(())
    }

    fn on_accept(
        &mut self,
        tick: u64,
        node: NodeId,
        ballot: Ballot,
        value: &V,
    ) -> Result<(), Violation> {
        let index = self.config.index_of(node).unwrap_or(0);
        let found = self.ballots.iter().rev().position(|r| r.ballot == ballot);
        let at = match found {
            Some(from_back) => self.ballots.len() - 1 - from_back,
            None => {
                self.ballots.push(BallotRecord {
                    ballot,
                    value: value.clone(),
                    votes: Votes::default(),
                });
                self.ballots.len() - 1
            }
        };
        let Some(record) = self.ballots.get_mut(at) else {
            return Ok(());
        };
        if record.value != *value {
            let first = record.value.clone();
            return Err(self.violation(
                ViolationKind::TwoValuesInOneBallot,
                tick,
                node,
                format!("ballot {ballot} carried both {first:?} and {value:?}"),
            ));
        }
        if !record.votes.insert(index) || record.votes.count() != self.config.quorum() {
            return Ok(());
        }
        // A quorum just formed for `ballot`: `value` is chosen.
        if let Some((b, v)) = &self.chosen {
            if v != value {
                let detail =
                    format!("{v:?} was chosen in ballot {b}, then {value:?} in ballot {ballot}");
                return Err(self.violation(ViolationKind::TwoValuesChosen, tick, node, detail));
            }
        }
        if !self.proposed.iter().any(|p| p == value) {
            return Err(self.violation(
                ViolationKind::ChosenNotProposed,
                tick,
                node,
                format!("{value:?} was chosen in ballot {ballot} but never proposed"),
            ));
        }
        if self.chosen.as_ref().is_none_or(|(b, _)| ballot < *b) {
            self.chosen = Some((ballot, value.clone()));
        }
        Ok(())
    }

    /// The learner on `node` learned `value`.
    pub fn on_learn(&mut self, tick: u64, node: NodeId, value: &V) -> Result<(), Violation> {
        match &self.chosen {
            Some((_, v)) if v == value => Ok(()),
            other => {
                let detail = format!(
                    "learned {value:?} while the chosen value is {:?}",
                    other.as_ref().map(|(_, v)| v)
                );
                Err(self.violation(ViolationKind::LearnedNotChosen, tick, node, detail))
            }
        }
    }
}
