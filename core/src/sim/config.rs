use crate::paxos::{Mutation, Timing};

use super::SimError;

/// Network fault knobs. Each message sent is lost with probability `drop`, otherwise delivered
/// after a delay drawn uniformly from `delay_min..=delay_max` ticks, and with probability
/// `duplicate` a second copy is delivered after its own independent delay. A spread between
/// `delay_min` and `delay_max` reorders messages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Network {
    /// Probability in `[0, 1]` that a message is lost.
    pub drop: f64,
    /// Probability in `[0, 1]` that a delivered message arrives twice.
    pub duplicate: f64,
    /// Shortest one-way delay, at least 1 tick.
    pub delay_min: u64,
    /// Longest one-way delay, `>= delay_min`.
    pub delay_max: u64,
}

impl Network {
    /// No loss, no duplication, every message takes exactly one tick.
    pub const fn reliable() -> Network {
        Network {
            drop: 0.0,
            duplicate: 0.0,
            delay_min: 1,
            delay_max: 1,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), SimError> {
        let prob = |p: f64| (0.0..=1.0).contains(&p);
        if !prob(self.drop) || !prob(self.duplicate) {
            return Err(SimError::InvalidConfig(
                "drop and duplicate must be probabilities in [0, 1]".into(),
            ));
        }
        if self.delay_min == 0 || self.delay_max < self.delay_min {
            return Err(SimError::InvalidConfig(
                "delays must satisfy 1 <= delay_min <= delay_max".into(),
            ));
        }
        Ok(())
    }
}

impl Default for Network {
    fn default() -> Network {
        Network::reliable()
    }
}

/// Everything that defines a simulation. Same config (seed included) and same calls give a
/// byte-identical run.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Number of nodes; they get ids `0..nodes`.
    pub nodes: u32,
    /// Seed of the run's one PRNG.
    pub seed: u64,
    /// Network faults (changeable later with [`Sim::set_network`](super::Sim::set_network)).
    pub network: Network,
    /// Quorum size; `None` for a majority.
    pub quorum: Option<usize>,
    /// Proposer timing; `None` derives it from the network's `delay_max`
    /// ([`Timing::for_max_delay`]) and follows later network changes.
    pub timing: Option<Timing>,
    /// A deliberate safety bug (tests of the checker only).
    pub mutation: Mutation,
    /// A run call (`propose`, `contend`, `run_until_*`) gives up with
    /// [`SimError::NoQuorum`] after starting this many ballots...
    pub max_rounds: u64,
    /// ...or after this many ticks.
    pub max_ticks: u64,
    /// Record an event trace for [`Sim::render_trace`](super::Sim::render_trace).
    pub trace: bool,
    /// Stop recording after this many trace events.
    pub trace_limit: usize,
}

impl SimConfig {
    /// `nodes` nodes, a reliable network, majority quorum, tracing on.
    pub fn new(nodes: u32, seed: u64) -> SimConfig {
        SimConfig {
            nodes,
            seed,
            network: Network::reliable(),
            quorum: None,
            timing: None,
            mutation: Mutation::None,
            max_rounds: 10_000,
            max_ticks: 10_000_000,
            trace: true,
            trace_limit: 100_000,
        }
    }
}
