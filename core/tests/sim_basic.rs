//! Scripted simulator scenarios: message counts, the control API, bounds, replay and the trace.
use ringpax_core::paxos::{Ballot, Mutation};
use ringpax_core::sim::{
    Fault, Network, NodeStatus, Scenario, Sim, SimConfig, SimError, TraceKind,
};

fn sim(n: u32, seed: u64) -> Sim<u64> {
    Sim::new(SimConfig::new(n, seed)).unwrap()
}

#[test]
fn fault_free_decision_costs_exactly_4_times_n_minus_1_messages() {
    for n in [1u32, 3, 5, 7] {
        let mut s = sim(n, 1);
        assert_eq!(s.propose(0, 42).unwrap(), 42);
        assert_eq!(s.run_until_quiet().unwrap(), Some(42));
        let st = s.stats();
        let expected = 4 * (n as u64 - 1);
        assert_eq!(st.sent, expected, "n={n}: {st}");
        assert_eq!(st.delivered, expected, "n={n}");
        assert_eq!(st.rounds, 1, "n={n}");
        assert_eq!((st.dropped, st.duplicated), (0, 0));
    }
}

#[test]
fn message_count_holds_with_delays_and_reordering() {
    for n in [3u32, 5, 7] {
        for seed in 0..50 {
            let mut cfg = SimConfig::new(n, seed);
            cfg.network = Network {
                delay_min: 1,
                delay_max: 9,
                ..Network::reliable()
            };
            let mut s = Sim::new(cfg).unwrap();
            let node = (seed % n as u64) as u32;
            assert_eq!(s.propose(node, seed).unwrap(), seed);
            s.run_until_quiet().unwrap();
            assert_eq!(s.stats().sent, 4 * (n as u64 - 1), "n={n} seed={seed}");
            assert_eq!(s.stats().rounds, 1);
        }
    }
}

#[test]
fn only_the_proposer_learns_and_others_learn_by_proposing() {
    let mut s = sim(5, 2);
    assert_eq!(s.propose(1, 7).unwrap(), 7);
    s.run_until_quiet().unwrap();
    assert_eq!(s.learned(1).unwrap(), Some(&7));
    assert_eq!(s.learned(0).unwrap(), None);
    // Node 3 proposes something else and learns the chosen value instead.
    assert_eq!(s.propose(3, 99).unwrap(), 7);
    assert_eq!(s.learned(3).unwrap(), Some(&7));
    assert_eq!(s.chosen(), Some(&7));
}

#[test]
fn status_reports_idle_promised_accepted_and_down() {
    let mut s = sim(3, 3);
    assert_eq!(s.status(2).unwrap(), NodeStatus::Idle);
    s.propose(0, 5).unwrap();
    s.run_until_quiet().unwrap();
    for n in 0..3 {
        assert_eq!(
            s.status(n).unwrap(),
            NodeStatus::Accepted(Ballot::new(1, 0), 5)
        );
    }
    s.crash(1).unwrap();
    assert_eq!(s.status(1).unwrap(), NodeStatus::Down);
    assert!(matches!(s.status(9), Err(SimError::UnknownNode(9))));

    let mut s = sim(3, 3);
    s.partition(&[vec![0], vec![1, 2]]).unwrap();
    s.submit(0, 1).unwrap();
    s.run_until_tick(1).unwrap();
    assert_eq!(
        s.status(0).unwrap(),
        NodeStatus::Promised(Ballot::new(1, 0))
    );
}

#[test]
fn crash_keeps_only_persisted_state_and_restart_recovers_it() {
    let mut s = sim(3, 4);
    s.propose(0, 11).unwrap();
    s.run_until_quiet().unwrap();
    let before = s.persisted(2).unwrap().clone();
    s.crash(2).unwrap();
    assert!(!s.is_up(2).unwrap());
    s.restart(2).unwrap();
    assert_eq!(s.node(2).unwrap().unwrap().acceptor().state(), &before);
    // The restarted node has forgotten it learned nothing (it never did) but the decision stands.
    assert_eq!(s.propose(2, 12).unwrap(), 11);
}

#[test]
fn minority_partition_gives_no_quorum_within_the_bound_then_heals() {
    let mut cfg = SimConfig::new(5, 5);
    cfg.max_rounds = 50;
    let mut s = Sim::new(cfg).unwrap();
    s.partition(&[vec![0, 1]]).unwrap();
    match s.propose(0, 1) {
        Err(SimError::NoQuorum { seed, rounds, .. }) => {
            assert_eq!(seed, 5);
            assert!(rounds > 50);
        }
        other => panic!("expected NoQuorum, got {other:?}"),
    }
    s.heal();
    assert_eq!(s.run_until_decided(&[0]).unwrap(), 1);
    assert_eq!(s.run_until_quiet().unwrap(), Some(1));
}

#[test]
fn majority_side_of_a_partition_decides() {
    let mut s = sim(5, 6);
    s.partition(&[vec![0, 1], vec![2, 3, 4]]).unwrap();
    assert_eq!(s.propose(3, 33).unwrap(), 33);
    s.heal();
    assert_eq!(s.propose(0, 10).unwrap(), 33);
}

#[test]
fn crashed_majority_means_no_quorum_and_restart_brings_progress() {
    let mut cfg = SimConfig::new(3, 7);
    cfg.max_ticks = 2_000;
    let mut s = Sim::new(cfg).unwrap();
    s.crash(1).unwrap();
    s.crash(2).unwrap();
    assert!(matches!(s.propose(0, 1), Err(SimError::NoQuorum { .. })));
    s.restart(2).unwrap();
    assert_eq!(s.run_until_decided(&[0]).unwrap(), 1);
    assert!(matches!(s.submit(1, 3), Err(SimError::NodeDown(1))));
}

#[test]
fn request_to_a_crashed_proposer_is_resubmitted_on_restart() {
    let mut s = sim(3, 8);
    s.schedule(1, Fault::Crash(0));
    s.schedule(40, Fault::Restart(0));
    s.submit(0, 77).unwrap();
    assert_eq!(s.run_until_decided(&[0]).unwrap(), 77);
    assert!(s.now() >= 40);
}

#[test]
fn contend_decides_one_of_the_values_and_everyone_agrees() {
    for seed in 0..200 {
        let mut cfg = SimConfig::new(5, seed);
        cfg.network = Network {
            delay_min: 1,
            delay_max: 4,
            ..Network::reliable()
        };
        let mut s = Sim::new(cfg).unwrap();
        let v = s.contend(&[(0, 100), (2, 200), (4, 400)]).unwrap();
        assert!([100, 200, 400].contains(&v));
        s.run_until_quiet().unwrap();
        for n in [0, 2, 4] {
            assert_eq!(s.learned(n).unwrap(), Some(&v), "seed {seed}");
        }
    }
}

#[test]
fn invalid_inputs_are_errors() {
    assert!(matches!(
        Sim::<u64>::new(SimConfig::new(0, 0)),
        Err(SimError::Paxos(_))
    ));
    let mut cfg = SimConfig::new(3, 0);
    cfg.quorum = Some(1);
    assert!(Sim::<u64>::new(cfg).is_err());
    let mut cfg = SimConfig::new(3, 0);
    cfg.network.drop = 1.5;
    assert!(matches!(
        Sim::<u64>::new(cfg),
        Err(SimError::InvalidConfig(_))
    ));
    let mut cfg = SimConfig::new(3, 0);
    cfg.network.delay_min = 0;
    assert!(Sim::<u64>::new(cfg).is_err());
    let mut s = sim(3, 0);
    assert!(matches!(s.crash(3), Err(SimError::UnknownNode(3))));
    assert!(matches!(
        s.partition(&[vec![0, 1], vec![1]]),
        Err(SimError::DuplicateInPartition(1))
    ));
    assert!(matches!(s.propose(5, 1), Err(SimError::UnknownNode(5))));
}

#[test]
fn add_node_before_the_first_proposal_only() {
    let mut s = sim(2, 0);
    assert_eq!(s.add_node().unwrap(), 2);
    assert_eq!(s.size(), 3);
    assert_eq!(s.paxos_config().quorum(), 2);
    s.propose(2, 9).unwrap();
    assert_eq!(s.add_node(), Err(SimError::MembershipFrozen));
}

#[test]
fn same_seed_replays_byte_for_byte() {
    for seed in [1u64, 0xDEAD_BEEF, 42_424_242] {
        let a = Scenario::random(seed).traced().run_sim().unwrap().1;
        let b = Scenario::random(seed).traced().run_sim().unwrap().1;
        assert_eq!(a.stats(), b.stats());
        assert_eq!(a.render_trace(), b.render_trace());
        assert_eq!(a.trace(), b.trace());
        assert!(!a.trace().is_empty());
    }
    let a = Scenario::random(1).traced().run_sim().unwrap().1;
    let c = Scenario::random(2).traced().run_sim().unwrap().1;
    assert_ne!(a.render_trace(), c.render_trace());
}

#[test]
fn render_trace_draws_a_message_sequence_chart() {
    let mut s = sim(3, 0);
    s.propose(0, 5).unwrap();
    s.run_until_quiet().unwrap();
    let chart = s.render_trace();
    let lines: Vec<&str> = chart.lines().collect();
    assert!(lines[0].contains("n0") && lines[0].contains("n2"));
    assert!(chart.contains("n0 propose 5"));
    assert!(chart.contains("o----->") && chart.contains("<-----o"));
    assert!(chart.contains("Prepare 1.0"));
    assert!(chart.contains("Accepted 1.0=5"));
    assert!(chart.contains("n0 learns 5"));
    let delivers = s
        .trace()
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Deliver { .. }))
        .count();
    assert_eq!(delivers, 8);

    let mut s = sim(3, 0);
    s.partition(&[vec![0, 1]]).unwrap();
    s.crash(1).unwrap();
    s.submit(0, 1).unwrap();
    s.run_until_tick(2).unwrap();
    let chart = s.render_trace();
    assert!(
        chart.contains("receiver down") && chart.contains("partitioned"),
        "{chart}"
    );
    assert!(chart.contains("X"), "{chart}");
}

#[test]
fn stats_balance_once_quiet() {
    for seed in 0..200 {
        let (report, sim) = Scenario::random(seed).run_sim().unwrap();
        let st = report.stats;
        assert_eq!(sim.in_flight(), 0);
        assert_eq!(
            st.delivered + st.dropped,
            st.sent + st.duplicated,
            "seed {seed}: {st}"
        );
    }
}

#[test]
fn violations_carry_the_seed() {
    // Find one violating seed quickly, then check its message names the seed.
    for seed in 0..5_000u64 {
        let s = Scenario::random(seed).with_mutation(Mutation::AcceptorIgnoresPromise);
        if let Err(SimError::Violation(v)) = s.run() {
            assert_eq!(v.seed, seed);
            assert!(v.to_string().contains(&format!("{seed:#x}")));
            return;
        }
    }
    panic!("no violation found");
}
