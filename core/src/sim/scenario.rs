use super::{Fault, Network, Sim, SimConfig, SimError, SimRng, Stats};
use crate::paxos::{Mutation, NodeId};

/// A complete, replayable simulation plan: cluster, network, client requests and faults. [`Scenario::random`] derives one from a seed, which is how the randomised
/// test suites and benchmarks explore fault mixes; the seed is all it takes to replay one.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// Cluster, seed and network.
    pub config: SimConfig,
    /// `(tick, node, value)` client requests (a request to a node that is down then waits for
    /// its restart).
    pub proposals: Vec<(u64, NodeId, u64)>,
    /// Faults and the tick each is applied at.
    pub faults: Vec<(u64, Fault)>,
    /// By this tick every crashed node has restarted and every partition is healed.
    pub heal_at: u64,
}

/// What a [`Scenario`] run produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// The value chosen.
    pub chosen: u64,
    /// Counters at the end (after the network went quiet).
    pub stats: Stats,
    /// True if a node learned the value before `heal_at`.
    pub decided_before_heal: bool,
    /// Ballots started between `heal_at` and the first node learning (0 if decided before).
    pub rounds_after_heal: u64,
    /// Ticks between `heal_at` and the first node learning (0 if decided before).
    pub ticks_after_heal: u64,
    /// True if every proposing node had learned the chosen value by the end.
    pub all_proposers_learned: bool,
}

impl Scenario {
    /// A random fault mix derived from `seed` alone:
    /// - 3, 5 or 7 nodes; 2 or 3 proposers with distinct values (`100 + node id`), the first
    ///   at tick 0, the others at random ticks in the first half of the fault window;
    /// - loss up to 40%, duplication up to 20% in half the runs, one-way delays `1..=d` with
    ///   `d` up to 8 (reordering);
    /// - during a fault window: crash and restart of up to a minority of nodes, and in half the
    ///   runs a partition into two random groups (sometimes replaced later by another); all
    ///   healed by `heal_at`. Loss and duplication continue after it.
    pub fn random(seed: u64) -> Scenario {
        let mut rng = SimRng::new(seed ^ 0x5EED_5CE7_A410_0001);
        let n = [3u32, 5, 7][rng.below(3) as usize];
        let delay_max = rng.between(1, 8);
        let network = Network {
            drop: rng.unit() * 0.4,
            duplicate: if rng.chance(0.5) {
                rng.unit() * 0.2
            } else {
                0.0
            },
            delay_min: 1,
            delay_max,
        };
        let rtt = 2 * delay_max + 1;
        let window = rtt * rng.between(2, 20);
        let mut order: Vec<NodeId> = (0..n).collect();
        for i in (1..order.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
        let proposers = rng.between(2, 3) as usize;
        let proposals = order[..proposers]
            .iter()
            .enumerate()
            .map(|(i, &node)| {
                let at = if i == 0 { 0 } else { rng.below(window / 2 + 1) };
                (at, node, 100 + node as u64)
            })
            .collect();
        let mut faults = Vec::new();
        let crashes = rng.between(0, (n as u64 - 1) / 2) as usize;
        for _ in 0..crashes {
            let node = order[rng.below(n as u64) as usize];
            let at = rng.below(window);
            let back = (at + rng.between(1, window)).min(window);
            faults.push((at, Fault::Crash(node)));
            faults.push((back, Fault::Restart(node)));
        }
        if rng.chance(0.5) {
            // One partition, and in half of those runs a different one later.
            let splits = rng.between(1, 2);
            let mut at = rng.below(window);
            for _ in 0..splits {
                let (a, b): (Vec<NodeId>, Vec<NodeId>) = (0..n).partition(|_| rng.chance(0.5));
                faults.push((at, Fault::Partition(vec![a, b])));
                at = rng.between(at, window);
            }
        }
        faults.push((window, Fault::Heal));
        let mut config = SimConfig::new(n, seed);
        config.network = network;
        config.trace = false;
        Scenario {
            config,
            proposals,
            faults,
            heal_at: window,
        }
    }

    /// The same scenario with a safety [`Mutation`] (for testing the checker).
    pub fn with_mutation(mut self, mutation: Mutation) -> Scenario {
        self.config.mutation = mutation;
        self
    }

    /// The same scenario with a loss-free, duplicate-free network from `heal_at` on (delays
    /// unchanged): the setting of the liveness bound.
    pub fn calm_after_heal(mut self) -> Scenario {
        let net = Network {
            drop: 0.0,
            duplicate: 0.0,
            ..self.config.network
        };
        self.faults.push((self.heal_at, Fault::Network(net)));
        self
    }

    /// The same scenario with tracing on.
    pub fn traced(mut self) -> Scenario {
        self.config.trace = true;
        self
    }

    /// Build the simulator with the faults scheduled and the proposals submitted.
    pub fn start(&self) -> Result<Sim<u64>, SimError> {
        let mut sim = Sim::new(self.config.clone())?;
        for (at, fault) in &self.faults {
            sim.schedule(*at, fault.clone());
        }
        for &(at, node, value) in &self.proposals {
            sim.schedule_submit(at, node, value)?;
        }
        Ok(sim)
    }

    /// Run it: up to `heal_at`, then until a decision, then until quiet. Any safety violation
    /// or missed bound is an error naming the seed.
    pub fn run(&self) -> Result<RunReport, SimError> {
        self.run_sim().map(|(report, _)| report)
    }

    /// Like [`run`](Scenario::run), also handing back the simulator for inspection.
    pub fn run_sim(&self) -> Result<(RunReport, Sim<u64>), SimError> {
        let mut sim = self.start()?;
        sim.run_until_tick(self.heal_at)?;
        let decided_before_heal = sim.chosen().is_some()
            && (0..sim.size() as NodeId).any(|n| matches!(sim.learned(n), Ok(Some(_))));
        let at_heal = sim.stats();
        let chosen = sim.run_until_decided(&[])?;
        let at_decision = sim.stats();
        sim.run_until_quiet()?;
        let all_proposers_learned = self
            .proposals
            .iter()
            .all(|&(_, n, _)| matches!(sim.learned(n), Ok(Some(v)) if *v == chosen));
        let (rounds_after_heal, ticks_after_heal) = if decided_before_heal {
            (0, 0)
        } else {
            (
                at_decision.rounds - at_heal.rounds,
                at_decision.ticks - at_heal.ticks,
            )
        };
        let report = RunReport {
            seed: self.config.seed,
            chosen,
            stats: sim.stats(),
            decided_before_heal,
            rounds_after_heal,
            ticks_after_heal,
            all_proposers_learned,
        };
        Ok((report, sim))
    }
}
