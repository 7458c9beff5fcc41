//! Thousands of seeded random schedules, every one checked; and the checker's self-test: each
//! safety mutation must be caught within the seeds run.
use ringpax_core::paxos::Mutation;
use ringpax_core::sim::{Fault, Scenario, SimError, ViolationKind};

const SEEDS: u64 = 10_000;

#[test]
fn ten_thousand_random_fault_mixes_are_safe_and_decide() {
    let mut failures = Vec::new();
    let (mut crashes, mut partitions, mut duplicated, mut heavy_loss, mut three, mut dueled) =
        (0, 0, 0, 0, 0, 0);
    for seed in 0..SEEDS {
        let scenario = Scenario::random(seed);
        let report = match scenario.run() {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("seed {seed}: {e}"));
                continue;
            }
        };
        let values: Vec<u64> = scenario.proposals.iter().map(|p| p.2).collect();
        let st = report.stats;
        if !values.contains(&report.chosen) {
            failures.push(format!(
                "seed {seed}: chose {} not in {values:?}",
                report.chosen
            ));
        }
        if !report.all_proposers_learned {
            failures.push(format!("seed {seed}: a proposer never learned"));
        }
        if st.delivered + st.dropped != st.sent + st.duplicated {
            failures.push(format!("seed {seed}: unbalanced stats {st}"));
        }
        crashes += (st.crashes > 0) as u32;
        partitions += scenario
            .faults
            .iter()
            .any(|(_, f)| matches!(f, Fault::Partition(_))) as u32;
        duplicated += (st.duplicated > 0) as u32;
        heavy_loss += (scenario.config.network.drop > 0.3) as u32;
        three += (scenario.proposals.len() == 3) as u32;
        dueled += (st.rounds > scenario.proposals.len() as u64) as u32;
    }
    assert!(
        failures.is_empty(),
        "{} of {SEEDS} seeds failed (replay with Scenario::random(seed)):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The mix really exercises every fault.
    let n = SEEDS as u32;
    for (what, count) in [
        ("crashes", crashes),
        ("partitions", partitions),
        ("duplication", duplicated),
        ("loss above 30%", heavy_loss),
        ("three proposers", three),
        ("retried ballots", dueled),
    ] {
        assert!(count > n / 10, "only {count} runs with {what}");
    }
}

fn first_violation(mutation: Mutation, seeds: u64) -> Option<(u64, ViolationKind)> {
    (0..seeds).find_map(
        |seed| match Scenario::random(seed).with_mutation(mutation).run() {
            Err(SimError::Violation(v)) => {
                assert_eq!(v.seed, seed);
                Some((seed, v.kind))
            }
            _ => None,
        },
    )
}

#[test]
fn checker_catches_an_acceptor_that_ignores_its_promise() {
    let (seed, kind) = first_violation(Mutation::AcceptorIgnoresPromise, SEEDS)
        .expect("AcceptorIgnoresPromise went unnoticed");
    assert_eq!(kind, ViolationKind::AcceptedBelowPromise, "seed {seed}");
}

#[test]
fn checker_catches_a_proposer_that_ignores_accepted_values() {
    let (seed, kind) = first_violation(Mutation::ProposerIgnoresAccepted, SEEDS)
        .expect("ProposerIgnoresAccepted went unnoticed");
    assert_eq!(kind, ViolationKind::TwoValuesChosen, "seed {seed}");
}

#[test]
fn mutations_are_caught_often_not_by_luck() {
    for mutation in [
        Mutation::AcceptorIgnoresPromise,
        Mutation::ProposerIgnoresAccepted,
    ] {
        let caught = (0..1_000u64)
            .filter(|&seed| {
                matches!(
                    Scenario::random(seed).with_mutation(mutation).run(),
                    Err(SimError::Violation(_))
                )
            })
            .count();
        assert!(
            caught >= 100,
            "{mutation:?} caught in only {caught} of 1000 seeds"
        );
    }
}
