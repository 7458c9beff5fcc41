use std::fmt::Debug;

use super::config::Votes;
use super::{Ballot, Config, Envelope, Message, Mutation, NodeId, Output, PaxosError, Timeout};

/// Where a proposer is in its current ballot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ProposerPhase {
    /// Never started.
    Idle = 0,
    /// Phase 1: `Prepare` sent, collecting promises.
    Preparing = 1,
    /// Phase 2: `Accept` sent, collecting acceptances.
    Accepting = 2,
    /// A ballot was refused; waiting out a randomised backoff before the next one.
    Backoff = 3,
    /// The value is known to be chosen; nothing more to do.
    Chosen = 4,
}

/// The proposer role.
///
/// 1. [`propose`](Proposer::propose) (or [`prepare`](Proposer::prepare)) picks a ballot with a
///    round above every round it has seen and sends `Prepare` to every member (itself
///    included).
/// 2. With promises from a quorum, it sends `Accept` with the value of the highest-ballot
///    acceptance reported in those promises, or its own value if none reported one.
/// 3. With `Accepted` from a quorum for that ballot, the value is chosen.
///
/// A `Nack` for the current ballot abandons it: the proposer remembers the higher round and asks
/// for a randomised backoff timer ([`Output::timeout`]); when it fires it tries again with a
/// higher ballot. A phase that does not finish before its timer fires is also retried with a
/// higher ballot. Stale and duplicate messages are ignored, except that every ballot seen raises
/// the round floor.
///
/// # Ballot uniqueness across restarts
/// A ballot must never carry two values, and a restarted proposer has forgotten its rounds. In
/// a [`Node`](super::Node) the proposer's `Prepare` to its own acceptor is handled locally in
/// the same step, so the persisted acceptor state already covers every ballot the proposer has
/// sent; [`Node::restore`](super::Node::restore) starts the proposer above it. A stand-alone
/// proposer must get the same guarantee from its caller ([`observe`](Proposer::observe) the
/// highest ballot it may have used before proposing again).
#[derive(Debug, Clone)]
pub struct Proposer<V> {
    id: NodeId,
    config: Config,
    phase: ProposerPhase,
    /// Our own value, if we were asked to propose one.
    value: Option<V>,
    ballot: Option<Ballot>,
    /// Highest round seen in any ballot.
    max_round: u64,
    /// Promises (phase 1) or acceptances (phase 2) for `ballot`.
    votes: Votes,
    /// Highest accepted (ballot, value) reported by the promises for `ballot`.
    highest: Option<(Ballot, V)>,
    /// The value sent in phase 2, or the chosen value.
    proposal: Option<V>,
    /// Consecutive failed ballots, for the backoff range.
    attempts: u32,
    /// Token of the live timer.
    timer: u64,
    /// Ballots started.
    rounds: u64,
}

impl<V: Clone + Eq + Debug> Proposer<V> {
    /// An idle proposer on node `id`, which must be a member of `config`.
    pub fn new(id: NodeId, config: Config) -> Result<Proposer<V>, PaxosError> {
        config.require(id)?;
        Ok(Proposer::new_member(id, config))
    }

    /// [`new`](Proposer::new) for an `id` known to be a member of `config`.
    #[inline]
    pub(crate) fn new_member(id: NodeId, config: Config) -> Proposer<V> {
        debug_assert!(config.index_of(id).is_some());
        Proposer {
            id,
            config,
            phase: ProposerPhase::Idle,
            value: None,
            ballot: None,
            max_round: 0,
            votes: Votes::default(),
            highest: None,
            proposal: None,
            attempts: 0,
            timer: 0,
            rounds: 0,
        }
    }

    /// The node this proposer runs on.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The cluster configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Where the proposer is.
    pub fn phase(&self) -> ProposerPhase {
        self.phase
    }

    /// The current (or last) ballot.
    pub fn ballot(&self) -> Option<Ballot> {
        self.ballot
    }

    /// The value this proposer was asked to propose.
    pub fn value(&self) -> Option<&V> {
        self.value.as_ref()
    }

    /// The value sent in phase 2 of the current ballot (after adoption), if it got that far.
    pub fn proposal(&self) -> Option<&V> {
        self.proposal.as_ref()
    }

    /// The chosen value, once a quorum accepted this proposer's ballot (or it was told with
    /// [`learned`](Proposer::learned)).
    pub fn chosen(&self) -> Option<&V> {
        match self.phase {
            ProposerPhase::Chosen => self.proposal.as_ref(),
            _ => None,
        }
    }

    /// Number of ballots started so far.
    pub fn rounds(&self) -> u64 {
        self.rounds
    }

    /// True while the proposer still has work to do (a ballot in flight or a backoff pending).
    pub fn is_active(&self) -> bool {
        matches!(
            self.phase,
            ProposerPhase::Preparing | ProposerPhase::Accepting | ProposerPhase::Backoff
        )
    }

    /// Raise the round floor: the next ballot's round will exceed `ballot.round`.
    pub fn observe(&mut self, ballot: Ballot) {
        self.max_round = self.max_round.max(ballot.round);
    }

    /// Replace the proposer's timing (e.g. when the network got slower). Timers already
    /// requested keep their range.
    pub fn set_timing(&mut self, timing: super::Timing) -> Result<(), PaxosError> {
        self.config = self.config.clone().with_timing(timing)?;
        Ok(())
    }

    /// Tell the proposer the decided value (learned elsewhere), so it stops retrying.
    pub fn learned(&mut self, value: V) {
        self.phase = ProposerPhase::Chosen;
        self.proposal = Some(value);
        self.timer += 1;
    }

    /// Ask this proposer to get `value` chosen. The first value given sticks; later calls only
    /// (re)start the protocol if it is idle. Starts a ballot unless one is in flight, a backoff
    /// is pending or a value is already chosen.
    pub fn propose(&mut self, value: V) -> Output<V> {
        let mut out = Output::new();
        self.propose_into(value, &mut out);
        out
    }

    /// Start a new ballot now, abandoning the current one (even without a value of its own the
    /// proposer can finish a ballot by adopting an accepted value). Does nothing once a value is
    /// chosen.
    pub fn prepare(&mut self) -> Output<V> {
        let mut out = Output::new();
        self.prepare_into(&mut out);
        out
    }

    /// Handle a `Promise`, `Nack` or `Accepted` addressed to this proposer; other messages are
    /// ignored. Errors if it is not addressed here or the sender is not a member.
    pub fn handle(&mut self, env: &Envelope<V>) -> Result<Output<V>, PaxosError> {
        if env.to != self.id {
            return Err(PaxosError::Misaddressed {
                node: self.id,
                to: env.to,
            });
        }
        let from = self.config.require(env.from)?;
        let mut out = Output::new();
        self.receive(from, &env.msg, &mut out);
        Ok(out)
    }

    /// A timer fired. Stale tokens are ignored; a live one retries with a higher ballot.
    pub fn timeout(&mut self, token: u64) -> Output<V> {
        let mut out = Output::new();
        self.timeout_into(token, &mut out);
        out
    }

    pub(crate) fn propose_into(&mut self, value: V, out: &mut Output<V>) {
        if self.value.is_none() {
            self.value = Some(value);
        }
        match self.phase {
            ProposerPhase::Idle => self.prepare_into(out),
            ProposerPhase::Preparing if self.votes.count() >= self.config.quorum() => {
                self.start_accept(out)
            }
            _ => {}
        }
    }

    pub(crate) fn prepare_into(&mut self, out: &mut Output<V>) {
        if self.phase == ProposerPhase::Chosen {
            return;
        }
        self.max_round += 1;
        let ballot = Ballot::new(self.max_round, self.id);
        self.ballot = Some(ballot);
        self.rounds += 1;
        self.phase = ProposerPhase::Preparing;
        self.votes.clear();
        self.highest = None;
        self.proposal = None;
        for &to in self.config.members() {
            out.send
                .push(Envelope::new(self.id, to, Message::Prepare { ballot }));
        }
        self.arm_round_timer(out);
    }

    pub(crate) fn timeout_into(&mut self, token: u64, out: &mut Output<V>) {
        if token != self.timer {
            return;
        }
        match self.phase {
            ProposerPhase::Preparing | ProposerPhase::Accepting => {
                self.attempts = self.attempts.saturating_add(1);
                self.prepare_into(out);
            }
            ProposerPhase::Backoff => self.prepare_into(out),
            ProposerPhase::Idle | ProposerPhase::Chosen => {}
        }
    }

    /// `from` is the sender's member index.
    pub(crate) fn receive(&mut self, from: usize, msg: &Message<V>, out: &mut Output<V>) {
        let current = self.ballot;
        match msg {
            Message::Promise { ballot, accepted } => {
                self.observe(*ballot);
                if let Some((b, _)) = accepted {
                    self.observe(*b);
                }
                if self.phase != ProposerPhase::Preparing || Some(*ballot) != current {
                    return;
                }
                if !self.votes.insert(from) {
                    return;
                }
                if let Some((b, v)) = accepted {
                    if self.highest.as_ref().is_none_or(|(h, _)| b > h) {
                        self.highest = Some((*b, v.clone()));
                    }
                }
                if self.votes.count() >= self.config.quorum() {
                    self.start_accept(out);
                }
            }
            Message::Accepted { ballot, value } => {
                self.observe(*ballot);
                if self.phase != ProposerPhase::Accepting || Some(*ballot) != current {
                    return;
                }
                if self.proposal.as_ref() != Some(value) {
                    // Not what we sent in this ballot: a confused acceptor; do not count it.
                    return;
                }
                if self.votes.insert(from) && self.votes.count() >= self.config.quorum() {
                    self.phase = ProposerPhase::Chosen;
                    self.attempts = 0;
                    self.timer += 1;
                    out.timeout = None;
                }
            }
            Message::Nack { ballot, promised } => {
                self.observe(*promised);
                let in_flight = matches!(
                    self.phase,
                    ProposerPhase::Preparing | ProposerPhase::Accepting
                );
                if in_flight && Some(*ballot) == current {
                    self.phase = ProposerPhase::Backoff;
                    self.attempts = self.attempts.saturating_add(1);
                    let t = self.config.timing();
                    let shift = self.attempts.min(32);
                    let hi = t
                        .backoff_base
                        .saturating_mul(1u64 << shift)
                        .min(t.backoff_max)
                        .max(1);
                    self.arm(1, hi, out);
                }
            }
            Message::Prepare { .. } | Message::Accept { .. } => {}
        }
    }

    fn start_accept(&mut self, out: &mut Output<V>) {
        let adopt =
            self.config.mutation() != Mutation::ProposerIgnoresAccepted || self.value.is_none();
        let value = match (&self.highest, &self.value) {
            (Some((_, v)), _) if adopt => v.clone(),
            (_, Some(own)) => own.clone(),
            // No value of our own and nothing to adopt: wait for `propose`.
            _ => return,
        };
        let ballot = self.ballot.unwrap_or_default();
        self.phase = ProposerPhase::Accepting;
        self.votes.clear();
        self.proposal = Some(value.clone());
        for &to in self.config.members() {
            out.send.push(Envelope::new(
                self.id,
                to,
                Message::Accept {
                    ballot,
                    value: value.clone(),
                },
            ));
        }
        self.arm_round_timer(out);
    }

    fn arm_round_timer(&mut self, out: &mut Output<V>) {
        let t = self.config.timing();
        self.arm(
            t.round_timeout,
            t.round_timeout.saturating_add(t.round_jitter),
            out,
        );
    }

    fn arm(&mut self, min_ticks: u64, max_ticks: u64, out: &mut Output<V>) {
        self.timer += 1;
        out.timeout = Some(Timeout {
            token: self.timer,
            min_ticks,
            max_ticks,
        });
    }
}
