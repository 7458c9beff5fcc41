//! The liveness bound documented on `Sim`: once faults stop, a decision follows within a few
//! ballots.
use ringpax_core::sim::{Fault, Network, Scenario, Sim, SimConfig};

/// Documented bound: at most this many ballots (all proposers together) between the heal and
/// the first decision.
const K: u64 = 8;

#[test]
fn decision_within_k_ballots_after_a_total_partition_heals() {
    let mut worst = (0, 0);
    let mut within_two = 0;
    for seed in 0..2_000u64 {
        let mut s = Scenario::random(seed).calm_after_heal();
        // Every node alone until the heal: nothing can be decided before it.
        s.faults.retain(|(_, f)| !matches!(f, Fault::Partition(_)));
        let n = s.config.nodes;
        s.faults
            .insert(0, (0, Fault::Partition((0..n).map(|i| vec![i]).collect())));
        let r = s.run().unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert!(!r.decided_before_heal, "seed {seed}");
        assert!(r.all_proposers_learned, "seed {seed}");
        assert!(
            r.rounds_after_heal <= K,
            "seed {seed}: {} ballots after the heal",
            r.rounds_after_heal
        );
        worst = worst.max((r.rounds_after_heal, seed));
        within_two += (r.rounds_after_heal <= 2) as u32;
    }
    assert!(
        within_two >= 1_500,
        "only {within_two} of 2000 within 2 ballots"
    );
    println!("worst: {} ballots (seed {})", worst.0, worst.1);
}

#[test]
fn dueling_proposers_on_a_clean_network_decide_quickly() {
    for seed in 0..1_000u64 {
        let mut cfg = SimConfig::new(5, seed);
        cfg.network = Network {
            delay_min: 1,
            delay_max: 5,
            ..Network::reliable()
        };
        let mut sim = Sim::new(cfg).unwrap();
        sim.contend(&[(0, 1u64), (1, 2), (2, 3)]).unwrap();
        assert!(sim.stats().rounds <= 3 + K, "seed {seed}: {}", sim.stats());
    }
}
