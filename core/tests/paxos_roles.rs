//! Scripted scenarios for each role: promise and nack rules, value adoption, quorum counting,
//! duplicate and stale messages, timers, restarts and configuration errors.
use ringpax_core::paxos::{
    Acceptor, AcceptorState, Ballot, Config, Envelope, Input, Learner, Message, Mutation, Node,
    Output, PaxosError, Proposer, ProposerPhase, Timing,
};

fn b(round: u64, node: u32) -> Ballot {
    Ballot::new(round, node)
}

fn env<V>(from: u32, to: u32, msg: Message<V>) -> Envelope<V> {
    Envelope::new(from, to, msg)
}

fn prepare(ballot: Ballot) -> Message<u64> {
    Message::Prepare { ballot }
}

fn accept(ballot: Ballot, value: u64) -> Message<u64> {
    Message::Accept { ballot, value }
}

fn promise(ballot: Ballot, accepted: Option<(Ballot, u64)>) -> Message<u64> {
    Message::Promise { ballot, accepted }
}

fn accepted(ballot: Ballot, value: u64) -> Message<u64> {
    Message::Accepted { ballot, value }
}

fn only_reply(out: &Output<u64>) -> &Envelope<u64> {
    assert_eq!(out.send.len(), 1, "{out:?}");
    &out.send[0]
}

// ---- ballots and config ------------------------------------------------------------------

#[test]
fn ballots_order_by_round_then_node() {
    assert!(b(1, 9) < b(2, 0));
    assert!(b(2, 1) < b(2, 2));
    assert_eq!(b(3, 4), b(3, 4));
    let mut v = vec![b(2, 0), b(1, 5), b(2, 3), b(1, 0)];
    v.sort();
    assert_eq!(v, [b(1, 0), b(1, 5), b(2, 0), b(2, 3)]);
    assert_eq!(b(7, 2).to_string(), "7.2");
}

#[test]
fn config_validation() {
    assert_eq!(Config::new([]).unwrap_err(), PaxosError::NoMembers);
    assert_eq!(
        Config::new([1, 2, 1]).unwrap_err(),
        PaxosError::DuplicateMember(1)
    );
    let c = Config::new([30, 10, 20]).unwrap();
    assert_eq!(c.members(), [10, 20, 30]);
    assert_eq!(c.quorum(), 2);
    assert_eq!(c.index_of(20), Some(1));
    assert_eq!(c.index_of(15), None);
    for bad in [0usize, 1, 4] {
        assert_eq!(
            c.clone().with_quorum(bad).unwrap_err(),
            PaxosError::InvalidQuorum {
                quorum: bad,
                members: 3
            }
        );
    }
    assert_eq!(c.clone().with_quorum(3).unwrap().quorum(), 3);
    assert_eq!(Config::with_size(4).unwrap().quorum(), 3);
    assert!(Config::with_size(4).unwrap().with_quorum(2).is_err());
    let bad = Timing {
        round_timeout: 0,
        ..Timing::default()
    };
    assert_eq!(
        c.clone().with_timing(bad).unwrap_err(),
        PaxosError::InvalidTiming
    );
    let bad = Timing {
        backoff_max: 1,
        backoff_base: 2,
        ..Timing::default()
    };
    assert_eq!(c.with_timing(bad).unwrap_err(), PaxosError::InvalidTiming);
    assert_eq!(
        Proposer::<u64>::new(7, Config::with_size(3).unwrap()).unwrap_err(),
        PaxosError::UnknownNode(7)
    );
    assert!(Node::<u64>::new(3, Config::with_size(3).unwrap()).is_err());
}

// ---- acceptor ------------------------------------------------------------------------------

#[test]
fn acceptor_promises_the_first_prepare_and_persists_before_replying() {
    let mut a = Acceptor::<u64>::new(1);
    let out = a.handle(&env(0, 1, prepare(b(1, 0)))).unwrap();
    assert_eq!(
        out.persist,
        Some(AcceptorState {
            promised: Some(b(1, 0)),
            accepted: None
        })
    );
    assert_eq!(only_reply(&out), &env(1, 0, promise(b(1, 0), None)));
    assert_eq!(a.promised(), Some(b(1, 0)));
}

#[test]
fn acceptor_nacks_a_prepare_below_its_promise_with_the_higher_ballot() {
    let mut a = Acceptor::<u64>::new(1);
    a.handle(&env(2, 1, prepare(b(5, 2)))).unwrap();
    let out = a.handle(&env(0, 1, prepare(b(4, 0)))).unwrap();
    assert_eq!(out.persist, None);
    assert_eq!(
        only_reply(&out),
        &env(
            1,
            0,
            Message::Nack {
                ballot: b(4, 0),
                promised: b(5, 2)
            }
        )
    );
    // Same round, lower node id: still below.
    let out = a.handle(&env(0, 1, prepare(b(5, 0)))).unwrap();
    assert!(matches!(only_reply(&out).msg, Message::Nack { .. }));
}

#[test]
fn acceptor_answers_a_duplicate_prepare_without_a_new_write() {
    let mut a = Acceptor::<u64>::new(1);
    a.handle(&env(0, 1, prepare(b(1, 0)))).unwrap();
    let out = a.handle(&env(0, 1, prepare(b(1, 0)))).unwrap();
    assert_eq!(out.persist, None);
    assert_eq!(only_reply(&out), &env(1, 0, promise(b(1, 0), None)));
}

#[test]
fn acceptor_accepts_at_or_above_its_promise_and_reports_it_in_later_promises() {
    let mut a = Acceptor::<u64>::new(2);
    a.handle(&env(0, 2, prepare(b(1, 0)))).unwrap();
    let out = a.handle(&env(0, 2, accept(b(1, 0), 7))).unwrap();
    assert_eq!(
        out.persist,
        Some(AcceptorState {
            promised: Some(b(1, 0)),
            accepted: Some((b(1, 0), 7))
        })
    );
    assert_eq!(only_reply(&out), &env(2, 0, accepted(b(1, 0), 7)));
    // A duplicate Accept is acknowledged again without a write.
    let out = a.handle(&env(0, 2, accept(b(1, 0), 7))).unwrap();
    assert_eq!(out.persist, None);
    assert_eq!(only_reply(&out), &env(2, 0, accepted(b(1, 0), 7)));
    // A higher Prepare learns about the accepted value.
    let out = a.handle(&env(1, 2, prepare(b(2, 1)))).unwrap();
    assert_eq!(
        only_reply(&out),
        &env(2, 1, promise(b(2, 1), Some((b(1, 0), 7))))
    );
    // An Accept above the promise without a Prepare is fine and raises the promise.
    let out = a.handle(&env(0, 2, accept(b(3, 0), 8))).unwrap();
    assert_eq!(
        out.persist,
        Some(AcceptorState {
            promised: Some(b(3, 0)),
            accepted: Some((b(3, 0), 8))
        })
    );
}

#[test]
fn acceptor_nacks_an_accept_below_its_promise() {
    let mut a = Acceptor::<u64>::new(1);
    a.handle(&env(2, 1, prepare(b(2, 2)))).unwrap();
    let out = a.handle(&env(0, 1, accept(b(1, 0), 5))).unwrap();
    assert_eq!(out.persist, None);
    assert_eq!(
        only_reply(&out).msg,
        Message::Nack {
            ballot: b(1, 0),
            promised: b(2, 2)
        }
    );
    assert_eq!(a.accepted(), None);
}

#[test]
fn acceptor_ignores_messages_for_other_roles_and_rejects_misaddressed_ones() {
    let mut a = Acceptor::<u64>::new(1);
    for msg in [
        promise(b(1, 0), None),
        accepted(b(1, 0), 1),
        Message::Nack {
            ballot: b(1, 0),
            promised: b(2, 0),
        },
    ] {
        assert!(a.handle(&env(0, 1, msg)).unwrap().is_empty());
    }
    assert_eq!(
        a.handle(&env(0, 2, prepare(b(1, 0)))).unwrap_err(),
        PaxosError::Misaddressed { node: 1, to: 2 }
    );
}

#[test]
fn restored_acceptor_keeps_its_promise() {
    let state = AcceptorState {
        promised: Some(b(4, 1)),
        accepted: Some((b(3, 0), 9u64)),
    };
    let mut a = Acceptor::restore(2, state.clone());
    assert_eq!(a.state(), &state);
    let out = a.handle(&env(0, 2, accept(b(3, 0), 9))).unwrap();
    assert!(matches!(only_reply(&out).msg, Message::Nack { .. }));
}

#[test]
fn mutated_acceptor_accepts_below_its_promise() {
    let mut a = Acceptor::<u64>::new(1).with_mutation(Mutation::AcceptorIgnoresPromise);
    a.handle(&env(2, 1, prepare(b(2, 2)))).unwrap();
    let out = a.handle(&env(0, 1, accept(b(1, 0), 5))).unwrap();
    assert_eq!(only_reply(&out).msg, accepted(b(1, 0), 5));
    assert_eq!(a.promised(), Some(b(2, 2)));
    assert_eq!(a.accepted(), Some(&(b(1, 0), 5)));
}

// ---- proposer ------------------------------------------------------------------------------

fn proposer(n: u32) -> Proposer<u64> {
    Proposer::new(0, Config::with_size(n).unwrap()).unwrap()
}

fn deliver(p: &mut Proposer<u64>, from: u32, msg: Message<u64>) -> Output<u64> {
    p.handle(&env(from, p.id(), msg)).unwrap()
}

#[test]
fn proposer_prepares_to_every_member_and_asks_for_a_timer() {
    let mut p = proposer(3);
    let out = p.propose(10);
    let to: Vec<u32> = out.send.iter().map(|e| e.to).collect();
    assert_eq!(to, [0, 1, 2]);
    assert!(out.send.iter().all(|e| e.msg == prepare(b(1, 0))));
    let t = out.timeout.unwrap();
    assert!(t.min_ticks >= 1 && t.max_ticks >= t.min_ticks);
    assert_eq!(p.phase(), ProposerPhase::Preparing);
    assert_eq!(p.ballot(), Some(b(1, 0)));
    // A second propose does not restart or change the value.
    assert!(p.propose(11).is_empty());
    assert_eq!(p.value(), Some(&10));
}

#[test]
fn proposer_sends_its_own_value_when_no_promise_reports_one() {
    let mut p = proposer(3);
    p.propose(10);
    assert!(deliver(&mut p, 0, promise(b(1, 0), None)).send.is_empty());
    let out = deliver(&mut p, 1, promise(b(1, 0), None));
    assert_eq!(out.send.len(), 3);
    assert!(out.send.iter().all(|e| e.msg == accept(b(1, 0), 10)));
    assert_eq!(p.phase(), ProposerPhase::Accepting);
}

#[test]
fn proposer_adopts_the_value_of_the_highest_accepted_ballot() {
    for order in [[1u32, 2, 3], [3, 2, 1], [2, 3, 1]] {
        let mut p = proposer(5);
        p.propose(10);
        p.observe(b(5, 4));
        let out = p.prepare();
        let ballot = out.send[0].msg.ballot();
        assert_eq!(ballot, b(6, 0));
        let reports = [
            (1u32, Some((b(2, 1), 21u64))),
            (2, Some((b(4, 3), 43))),
            (3, None),
        ];
        let mut last = Output::new();
        for from in order {
            let acc = reports.iter().find(|r| r.0 == from).unwrap().1;
            last = deliver(&mut p, from, promise(ballot, acc));
        }
        assert!(
            last.send.iter().all(|e| e.msg == accept(ballot, 43)),
            "{order:?}: {last:?}"
        );
        assert_eq!(p.proposal(), Some(&43));
    }
}

#[test]
fn mutated_proposer_ignores_accepted_values() {
    let config = Config::with_size(3)
        .unwrap()
        .with_mutation(Mutation::ProposerIgnoresAccepted);
    let mut p = Proposer::new(0, config).unwrap();
    p.propose(10);
    deliver(&mut p, 1, promise(b(1, 0), Some((b(0, 2), 99))));
    let out = deliver(&mut p, 2, promise(b(1, 0), None));
    assert!(out.send.iter().all(|e| e.msg == accept(b(1, 0), 10)));
}

#[test]
fn proposer_counts_each_acceptor_once_and_ignores_stale_ballots() {
    let mut p = proposer(5);
    p.propose(10);
    deliver(&mut p, 0, promise(b(1, 0), None));
    // Duplicates of the same promise do not make a quorum of 3.
    assert!(deliver(&mut p, 1, promise(b(1, 0), None)).send.is_empty());
    assert!(deliver(&mut p, 1, promise(b(1, 0), None)).send.is_empty());
    // A promise for another ballot does not count either.
    assert!(deliver(&mut p, 2, promise(b(0, 0), None)).send.is_empty());
    let out = deliver(&mut p, 2, promise(b(1, 0), None));
    assert_eq!(out.send.len(), 5);
    // Late promises are ignored once in phase 2.
    assert!(deliver(&mut p, 3, promise(b(1, 0), None)).is_empty());
    // Acceptances: duplicates once, wrong value or ballot not at all.
    deliver(&mut p, 0, accepted(b(1, 0), 10));
    deliver(&mut p, 1, accepted(b(1, 0), 10));
    deliver(&mut p, 1, accepted(b(1, 0), 10));
    deliver(&mut p, 2, accepted(b(1, 0), 11));
    deliver(&mut p, 3, accepted(b(0, 3), 10));
    assert_eq!(p.chosen(), None);
    deliver(&mut p, 4, accepted(b(1, 0), 10));
    assert_eq!(p.chosen(), Some(&10));
    assert_eq!(p.phase(), ProposerPhase::Chosen);
    assert!(!p.is_active());
    // Nothing moves a decided proposer.
    assert!(p.prepare().is_empty());
    assert!(
        deliver(
            &mut p,
            1,
            Message::Nack {
                ballot: b(1, 0),
                promised: b(9, 9)
            }
        )
        .is_empty()
    );
}

#[test]
fn nack_backs_off_then_retries_above_the_promised_round() {
    let mut p = proposer(3);
    p.propose(10);
    let out = deliver(
        &mut p,
        2,
        Message::Nack {
            ballot: b(1, 0),
            promised: b(7, 2),
        },
    );
    assert!(out.send.is_empty());
    assert_eq!(p.phase(), ProposerPhase::Backoff);
    let t = out.timeout.unwrap();
    assert_eq!(t.min_ticks, 1);
    assert!(t.max_ticks > 1);
    // A stale token does nothing; the live one starts ballot 8.0.
    assert!(p.timeout(t.token - 1).is_empty());
    let out = p.timeout(t.token);
    assert!(out.send.iter().all(|e| e.msg == prepare(b(8, 0))));
    // A stale Nack (for the old ballot) is ignored.
    let out = deliver(
        &mut p,
        1,
        Message::Nack {
            ballot: b(1, 0),
            promised: b(7, 2),
        },
    );
    assert!(out.is_empty());
    assert_eq!(p.phase(), ProposerPhase::Preparing);
}

#[test]
fn backoff_range_grows_with_consecutive_failures_up_to_the_cap() {
    let timing = Timing {
        round_timeout: 5,
        round_jitter: 5,
        backoff_base: 4,
        backoff_max: 40,
    };
    let mut p = Proposer::<u64>::new(
        0,
        Config::with_size(3).unwrap().with_timing(timing).unwrap(),
    )
    .unwrap();
    p.propose(1);
    let mut highs = Vec::new();
    for _ in 0..5 {
        let ballot = p.ballot().unwrap();
        let out = deliver(
            &mut p,
            1,
            Message::Nack {
                ballot,
                promised: Ballot::new(ballot.round, 9),
            },
        );
        let t = out.timeout.unwrap();
        highs.push(t.max_ticks);
        p.timeout(t.token);
    }
    assert_eq!(highs, [8, 16, 32, 40, 40]);
}

#[test]
fn round_timeout_retries_with_a_higher_ballot() {
    let mut p = proposer(3);
    let t = p.propose(10).timeout.unwrap();
    deliver(&mut p, 1, promise(b(1, 0), Some((b(3, 1), 5))));
    let out = p.timeout(t.token);
    assert!(out.send.iter().all(|e| e.msg == prepare(b(4, 0))));
    assert_eq!(p.rounds(), 2);
}

#[test]
fn proposer_without_a_value_finishes_by_adoption_or_waits_for_one() {
    let mut p = proposer(3);
    p.prepare();
    deliver(&mut p, 1, promise(b(1, 0), None));
    assert!(deliver(&mut p, 2, promise(b(1, 0), None)).send.is_empty());
    let out = p.propose(4);
    assert!(out.send.iter().all(|e| e.msg == accept(b(1, 0), 4)));

    let mut p = proposer(3);
    p.prepare();
    deliver(&mut p, 1, promise(b(1, 0), Some((b(0, 1), 8))));
    let out = deliver(&mut p, 2, promise(b(1, 0), None));
    assert!(out.send.iter().all(|e| e.msg == accept(b(1, 0), 8)));
}

#[test]
fn proposer_rejects_unknown_senders_and_misaddressed_messages() {
    let mut p = proposer(3);
    assert_eq!(
        p.handle(&env(5, 0, promise(b(1, 0), None))).unwrap_err(),
        PaxosError::UnknownNode(5)
    );
    assert_eq!(
        p.handle(&env(1, 2, promise(b(1, 0), None))).unwrap_err(),
        PaxosError::Misaddressed { node: 0, to: 2 }
    );
}

// ---- learner -------------------------------------------------------------------------------

#[test]
fn learner_learns_when_a_quorum_accepted_the_same_ballot() {
    let mut l = Learner::<u64>::new(Config::with_size(5).unwrap());
    let feed = |l: &mut Learner<u64>, from: u32, bal: Ballot, v: u64| {
        l.handle(&env(from, 0, accepted(bal, v))).unwrap()
    };
    assert_eq!(feed(&mut l, 0, b(1, 0), 1), None);
    assert_eq!(feed(&mut l, 0, b(1, 0), 1), None); // duplicate
    assert_eq!(feed(&mut l, 1, b(2, 1), 1), None); // other ballot: does not add up
    assert_eq!(feed(&mut l, 2, b(2, 1), 1), None);
    assert_eq!(feed(&mut l, 3, b(1, 0), 1), None);
    assert_eq!(l.learned(), None);
    assert_eq!(feed(&mut l, 4, b(1, 0), 1), Some(1));
    assert_eq!(l.learned(), Some(&1));
    // Reported once.
    assert_eq!(feed(&mut l, 1, b(1, 0), 1), None);
    assert_eq!(
        l.handle(&env(9, 0, accepted(b(1, 0), 1))).unwrap_err(),
        PaxosError::UnknownNode(9)
    );
    // Other messages are ignored.
    let mut l = Learner::<u64>::new(Config::with_size(1).unwrap());
    assert_eq!(l.handle(&env(0, 0, prepare(b(1, 0)))).unwrap(), None);
}

// ---- node ----------------------------------------------------------------------------------

#[test]
fn single_node_decides_alone_without_messages() {
    let mut n = Node::new(0, Config::with_size(1).unwrap()).unwrap();
    let out = n.propose(vec![1u8, 2, 3]);
    assert!(out.send.is_empty());
    assert_eq!(out.learned, Some(vec![1, 2, 3]));
    assert_eq!(out.timeout, None);
    assert_eq!(
        out.persist,
        Some(AcceptorState {
            promised: Some(b(1, 0)),
            accepted: Some((b(1, 0), vec![1, 2, 3]))
        })
    );
    assert!(!n.is_active());
}

#[test]
fn node_keeps_self_messages_local_and_persists_its_own_promise() {
    let mut n = Node::new(0, Config::with_size(3).unwrap()).unwrap();
    let out = n.propose(5u64);
    let to: Vec<u32> = out.send.iter().map(|e| e.to).collect();
    assert_eq!(to, [1, 2]);
    assert_eq!(out.persist.unwrap().promised, Some(b(1, 0)));
    // One remote promise completes the quorum with the local one: Accept goes out, the local
    // acceptor accepts in the same step.
    let out = n.handle(env(1, 0, promise(b(1, 0), None))).unwrap();
    assert_eq!(out.send.len(), 2);
    assert!(out.send.iter().all(|e| e.msg == accept(b(1, 0), 5)));
    assert_eq!(out.persist.unwrap().accepted, Some((b(1, 0), 5)));
    let out = n.handle(env(2, 0, accepted(b(1, 0), 5))).unwrap();
    assert_eq!(out.learned, Some(5));
    assert_eq!(n.learned(), Some(&5));
    assert_eq!(n.proposer().chosen(), Some(&5));
}

#[test]
fn node_serves_as_acceptor_for_others() {
    let mut n = Node::<u64>::new(1, Config::with_size(3).unwrap()).unwrap();
    let mut out = Output::new();
    n.step(Input::Message(env(0, 1, prepare(b(1, 0)))), &mut out)
        .unwrap();
    assert_eq!(out.send, [env(1, 0, promise(b(1, 0), None))]);
    assert_eq!(
        n.handle(env(0, 2, prepare(b(1, 0)))).unwrap_err(),
        PaxosError::Misaddressed { node: 1, to: 2 }
    );
    assert_eq!(
        n.handle(env(8, 1, prepare(b(1, 0)))).unwrap_err(),
        PaxosError::UnknownNode(8)
    );
}

#[test]
fn restored_node_never_reuses_a_ballot() {
    let config = Config::with_size(3).unwrap();
    let mut n = Node::new(0, config.clone()).unwrap();
    let out = n.propose(1u64);
    let state = out.persist.unwrap();
    // Crash before anything else: the proposer's round is forgotten, the promise is not.
    let mut n = Node::restore(0, config, state).unwrap();
    let out = n.propose(2);
    assert!(out.send.iter().all(|e| e.msg.ballot() > b(1, 0)));
}
