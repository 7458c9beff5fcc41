//! Property tests of the ring: the consistent-hashing guarantees and exact migration plans.
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use ringpax_core::ring::{Ring, RingError, TrackedRing};

fn node_names() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::btree_set("[a-z0-9.]{1,8}", 1..8).prop_map(|s| s.into_iter().collect())
}

fn keys() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 1..200)
}

fn build(nodes: &[String], replicas: u32) -> TrackedRing<Vec<u8>> {
    let mut r = TrackedRing::new(Ring::new(replicas).unwrap());
    for n in nodes {
        r.add_node(n, 1 + (n.len() as u32 % 3)).unwrap();
    }
    r
}

fn owners(r: &TrackedRing<Vec<u8>>, keys: &[Vec<u8>]) -> BTreeMap<Vec<u8>, String> {
    keys.iter()
        .map(|k| (k.clone(), r.ring().get(k).unwrap().to_owned()))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn add_node_moves_only_to_the_new_node_and_reports_exactly_the_moved_keys(
        nodes in node_names(), ks in keys(), newcomer in "[A-Z]{1,6}", replicas in 1u32..40,
    ) {
        let mut r = build(&nodes, replicas);
        for k in &ks { r.add(k.clone()).unwrap(); }
        let before = owners(&r, &ks);
        let plan = r.add_node(&newcomer, 2).unwrap();
        let after = owners(&r, &ks);
        let changed: BTreeSet<Vec<u8>> =
            ks.iter().filter(|k| before[*k] != after[*k]).cloned().collect();
        let planned: BTreeSet<Vec<u8>> = plan.iter().map(|m| m.key.clone()).collect();
        prop_assert_eq!(planned.len(), plan.len(), "a key appears twice in the plan");
        prop_assert_eq!(&changed, &planned);
        for m in &plan {
            prop_assert_eq!(&*m.target, newcomer.as_str());
            prop_assert_eq!(&*m.source, before[&m.key].as_str());
        }
    }

    #[test]
    fn remove_node_moves_only_keys_of_the_removed_node(
        nodes in node_names(), ks in keys(), pick in any::<prop::sample::Index>(), replicas in 1u32..40,
    ) {
        prop_assume!(nodes.len() >= 2);
        let mut r = build(&nodes, replicas);
        for k in &ks { r.add(k.clone()).unwrap(); }
        let gone = pick.get(&nodes).clone();
        let before = owners(&r, &ks);
        let plan = r.remove_node(&gone).unwrap();
        let after = owners(&r, &ks);
        let changed: BTreeSet<Vec<u8>> =
            ks.iter().filter(|k| before[*k] != after[*k]).cloned().collect();
        let from_gone: BTreeSet<Vec<u8>> =
            ks.iter().filter(|k| before[*k] == gone).cloned().collect();
        prop_assert_eq!(&changed, &from_gone);
        let planned: BTreeSet<Vec<u8>> = plan.iter().map(|m| m.key.clone()).collect();
        prop_assert_eq!(&planned, &changed);
        for m in &plan {
            prop_assert_eq!(&*m.source, gone.as_str());
            prop_assert_eq!(&*m.target, after[&m.key].as_str());
        }
    }

    #[test]
    fn get_nodes_is_a_distinct_preference_list_starting_at_get(
        nodes in node_names(), ks in keys(), n in 0usize..10,
    ) {
        let r = build(&nodes, 16);
        for k in &ks {
            let pref = r.ring().get_nodes(k, n).unwrap();
            prop_assert_eq!(pref.len(), n.min(nodes.len()));
            let distinct: BTreeSet<&str> = pref.iter().copied().collect();
            prop_assert_eq!(distinct.len(), pref.len());
            if n > 0 {
                prop_assert_eq!(pref[0], r.ring().get(k).unwrap());
            }
            // A longer list extends a shorter one.
            let longer = r.ring().get_nodes(k, n + 1).unwrap();
            prop_assert_eq!(&longer[..pref.len()], &pref[..]);
        }
    }

    #[test]
    fn placement_is_independent_of_insertion_order(
        nodes in node_names(), ks in keys(), seed in any::<u64>(),
    ) {
        let mut shuffled = nodes.clone();
        // Fisher-Yates with a tiny LCG: deterministic per seed.
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = build(&nodes, 8);
        let b = build(&shuffled, 8);
        prop_assert_eq!(owners(&a, &ks), owners(&b, &ks));
    }

    #[test]
    fn tracking_is_a_set(ks in keys(), extra in keys()) {
        let mut r = build(&["a".into(), "b".into(), "c".into()], 8);
        for k in ks.iter().chain(ks.iter()) { r.add(k.clone()).unwrap(); }
        let distinct: BTreeSet<Vec<u8>> = ks.iter().cloned().collect();
        prop_assert_eq!(r.tracked_len(), distinct.len());
        let listed: BTreeSet<Vec<u8>> = r.keys(None).unwrap().into_iter().cloned().collect();
        prop_assert_eq!(&listed, &distinct);
        let per_node: usize = ["a", "b", "c"].iter().map(|n| r.keys(Some(n)).unwrap().len()).sum();
        prop_assert_eq!(per_node, distinct.len());
        for k in &extra {
            if !distinct.contains(k) {
                let err = r.remove(k, |k| format!("{k:?}")).unwrap_err();
                prop_assert!(matches!(err, RingError::UnknownKey(_)));
            }
        }
        for k in &distinct { r.remove(k, |k| format!("{k:?}")).unwrap(); }
        prop_assert_eq!(r.tracked_len(), 0);
    }
}

fn hundred_nodes() -> Ring {
    let mut r = Ring::new(160).unwrap();
    for i in 0..100 {
        r.add_node(&format!("node-{i}"), 1).unwrap();
    }
    r
}

#[test]
fn balance_with_100_nodes_of_160_replicas() {
    let r = hundred_nodes();
    let share = r.distribution();
    let sum: f64 = share.iter().sum();
    assert!((sum - 1.0).abs() < 1e-9, "shares sum to {sum}");
    let peak = share.iter().cloned().fold(0.0, f64::max) * share.len() as f64;
    assert!(peak < 1.35, "peak-to-average share {peak:.3} >= 1.35");
}

#[test]
fn adding_a_node_moves_about_one_in_n_plus_one_keys() {
    let mut r = TrackedRing::new(hundred_nodes());
    for i in 0..100_000u32 {
        r.add(i.to_le_bytes().to_vec()).unwrap();
    }
    let moved = r.add_node("newcomer", 1).unwrap().len() as f64 / 100_000.0;
    let ideal = 1.0 / 101.0;
    assert!(
        (moved - ideal).abs() / ideal < 0.30,
        "moved {moved:.5}, ideal {ideal:.5}"
    );
}

/// Large rings changed one node at a time answer like rings built at once, across the sizes
/// where the lookup structures change shape: the summary's density (at 131,072 points) and
/// the owner width (at 512 nodes), with weights of 1 to 3.
#[test]
fn large_rings_changed_node_by_node_equal_rings_built_at_once() {
    let name = |i: u32| format!("10.{}.{}.{}:6379", i / 65536, (i / 256) % 256, i % 256);
    let weight = |i: u32| 1 + i % 3;
    let keys: Vec<Vec<u8>> = (0..3000u32).map(|i| format!("k{i}").into_bytes()).collect();
    let mut members: Vec<u32> = (0..380).collect();
    let mut ring = Ring::new(160).unwrap();
    ring.add_nodes(
        members
            .iter()
            .map(|&i| (name(i), weight(i)))
            .collect::<Vec<_>>()
            .iter()
            .map(|(n, w)| (n.as_str(), *w)),
    )
    .unwrap();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let mut fresh_id = 380u32;
    for step in 0..260 {
        // Mostly joins (about 380 -> 535 nodes, 122k -> 171k points), some leaves.
        if next(5) < 4 {
            ring.add_node(&name(fresh_id), weight(fresh_id)).unwrap();
            members.push(fresh_id);
            fresh_id += 1;
        } else {
            let gone = members.swap_remove(next(members.len() as u64) as usize);
            ring.remove_node(&name(gone)).unwrap();
        }
        if step % 40 == 39 || step == 259 {
            let names: Vec<(String, u32)> = members.iter().map(|&i| (name(i), weight(i))).collect();
            let mut built = Ring::new(160).unwrap();
            built
                .add_nodes(names.iter().map(|(n, w)| (n.as_str(), *w)))
                .unwrap();
            for k in &keys {
                assert_eq!(ring.get(k).unwrap(), built.get(k).unwrap(), "step {step}");
            }
        }
    }
}

#[test]
fn errors_name_the_problem() {
    assert_eq!(Ring::new(0).unwrap_err(), RingError::InvalidReplicas(0));
    let mut r = Ring::new(4).unwrap();
    assert_eq!(r.get(b"k").unwrap_err(), RingError::EmptyRing);
    assert_eq!(r.add_node("", 1).unwrap_err(), RingError::EmptyNodeName);
    assert_eq!(r.add_node("a", 0).unwrap_err(), RingError::InvalidWeight(0));
    r.add_node("a", 1).unwrap();
    assert_eq!(
        r.add_node("a", 1).unwrap_err(),
        RingError::DuplicateNode("a".into())
    );
    assert_eq!(
        r.remove_node("zz").unwrap_err(),
        RingError::UnknownNode("zz".into())
    );
    let mut big = Ring::new(1 << 20).unwrap();
    assert!(
        big.add_node("b", 1 << 10)
            .unwrap_err()
            .to_string()
            .contains("points")
    );
    let mut t = TrackedRing::new(r);
    t.add(b"k".to_vec()).unwrap();
    assert!(matches!(
        t.remove_node("a").unwrap_err(),
        RingError::WouldOrphanKeys { keys: 1, .. }
    ));
}

#[test]
fn locate_many_matches_single_lookups_serial_and_parallel() {
    let r = hundred_nodes();
    for n in [10usize, 100_000] {
        let ks: Vec<Vec<u8>> = (0..n).map(|i| format!("k{i}").into_bytes()).collect();
        let mut out = vec![0u32; n];
        r.locate_many(&ks, &mut out).unwrap();
        for (k, o) in ks.iter().zip(&out) {
            assert_eq!(*o as usize, r.get_index(k).unwrap());
        }
    }
}

mod bounded {
    use super::*;
    use ringpax_core::ring::Move;

    #[derive(Debug, Clone)]
    enum Op {
        Add(u16),
        Remove(u16),
        AddNode(u8, u32),
        RemoveNode(u8),
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        proptest::collection::vec(
            prop_oneof![
                6 => any::<u16>().prop_map(|k| Op::Add(k % 400)),
                3 => any::<u16>().prop_map(|k| Op::Remove(k % 400)),
                1 => (0u8..12, 1u32..3).prop_map(|(n, w)| Op::AddNode(n, w)),
                1 => (0u8..12).prop_map(Op::RemoveNode),
            ],
            1..250,
        )
    }

    fn key(k: u16) -> Vec<u8> {
        format!("key-{k}").into_bytes()
    }

    fn assignment(r: &TrackedRing<Vec<u8>>) -> BTreeMap<Vec<u8>, String> {
        r.keys(None)
            .unwrap()
            .into_iter()
            .map(|k| {
                let i = r.assigned(k).unwrap();
                (k.clone(), r.ring().node_name(i).unwrap().to_owned())
            })
            .collect()
    }

    fn check_plan(
        before: &BTreeMap<Vec<u8>, String>,
        after: &BTreeMap<Vec<u8>, String>,
        plan: &[Move<Vec<u8>>],
    ) {
        let moved: BTreeSet<Vec<u8>> = before
            .iter()
            .filter(|(k, n)| after.get(*k).is_some_and(|m| m != *n))
            .map(|(k, _)| k.clone())
            .collect();
        let planned: BTreeSet<Vec<u8>> = plan.iter().map(|m| m.key.clone()).collect();
        assert_eq!(planned.len(), plan.len(), "a key is reported twice");
        assert_eq!(
            moved, planned,
            "plan differs from the keys whose node changed"
        );
        for m in plan {
            assert_eq!(&*m.source, before[&m.key]);
            assert_eq!(&*m.target, after[&m.key]);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn bound_holds_and_plans_are_exact_after_every_step(ops in ops(), factor in 1.0f64..2.0) {
            let mut r = TrackedRing::with_bounded_loads(Ring::new(16).unwrap(), factor).unwrap();
            r.add_node("seed", 1).unwrap();
            for op in ops {
                let before = assignment(&r);
                let plan = match op {
                    Op::Add(k) => { r.add(key(k)).unwrap(); Vec::new() }
                    Op::Remove(k) => match r.remove(&key(k), |k| format!("{k:?}")) {
                        Ok(p) => p,
                        Err(e) => { prop_assert!(!before.contains_key(&key(k)), "{e}"); Vec::new() }
                    },
                    Op::AddNode(n, w) => r.add_node(&format!("n{n}"), w).unwrap_or_default(),
                    Op::RemoveNode(n) => r.remove_node(&format!("n{n}")).unwrap_or_default(),
                };
                let after = assignment(&r);
                check_plan(&before, &after, &plan);
                let bound = r.load_bound().unwrap();
                let expect = ((factor * r.tracked_len() as f64) / r.ring().node_count() as f64).ceil() as usize;
                prop_assert_eq!(bound, expect);
                let loads = r.loads();
                prop_assert_eq!(loads.iter().sum::<usize>(), r.tracked_len());
                prop_assert!(loads.iter().all(|&l| l <= bound), "loads {:?} over bound {}", loads, bound);
                for n in r.ring().nodes() {
                    let listed = r.keys(Some(n)).unwrap().len();
                    prop_assert_eq!(listed, loads[r.ring().node_index(n).unwrap()]);
                }
            }
        }
    }

    #[test]
    fn moves_stay_close_to_plain_hashing() {
        let mut plain = TrackedRing::new(hundred_nodes());
        let mut bounded = TrackedRing::with_bounded_loads(hundred_nodes(), 1.25).unwrap();
        for i in 0..50_000u32 {
            plain.add(i.to_le_bytes().to_vec()).unwrap();
            bounded.add(i.to_le_bytes().to_vec()).unwrap();
        }
        let loads = bounded.loads();
        assert!(*loads.iter().max().unwrap() <= bounded.load_bound().unwrap());
        let p = plain.add_node("newcomer", 1).unwrap().len();
        let b = bounded.add_node("newcomer", 1).unwrap().len();
        eprintln!("add_node: plain moved {p}, bounded moved {b}");
        assert!(b > 0 && p > 0);
        assert!(b as f64 <= p as f64 * 3.0, "bounded moved {b}, plain {p}");
        let p = plain.remove_node("node-7").unwrap().len();
        let b = bounded.remove_node("node-7").unwrap().len();
        assert!(b as f64 <= p as f64 * 3.0, "bounded moved {b}, plain {p}");
    }

    #[test]
    fn bad_load_factors_are_refused() {
        for f in [0.5, 0.99, f64::NAN, f64::INFINITY, -1.0] {
            let err =
                TrackedRing::<Vec<u8>>::with_bounded_loads(Ring::new(8).unwrap(), f).unwrap_err();
            assert!(err.to_string().contains("load_factor"), "{err}");
        }
    }
}

mod schemes {
    use super::*;
    use ringpax_core::ring::{KeyHasher, Scheme};

    fn scheme() -> impl Strategy<Value = Scheme> {
        prop_oneof![
            Just(Scheme::Ringpax(KeyHasher::Blake3)),
            Just(Scheme::Ringpax(KeyHasher::Xxh3)),
            Just(Scheme::Ringpax(KeyHasher::Blake3Keyed(Box::new([9; 32])))),
            Just(Scheme::Uhashring),
            Just(Scheme::Ketama),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn plans_are_exact_for_every_scheme(
            scheme in scheme(), nodes in node_names(), ks in keys(), newcomer in "[A-Z]{1,6}",
        ) {
            let mut r = TrackedRing::new(Ring::with_scheme(40, scheme).unwrap());
            for n in &nodes { r.add_node(n, 1 + (n.len() as u32 % 3)).unwrap(); }
            for k in &ks { r.add(k.clone()).unwrap(); }
            let before = owners(&r, &ks);
            let plan = r.add_node(&newcomer, 2).unwrap();
            let after = owners(&r, &ks);
            let changed: BTreeSet<Vec<u8>> =
                ks.iter().filter(|k| before[*k] != after[*k]).cloned().collect();
            let planned: BTreeSet<Vec<u8>> = plan.iter().map(|m| m.key.clone()).collect();
            prop_assert_eq!(&changed, &planned);
            let plan = r.remove_node(&newcomer).unwrap();
            let back = owners(&r, &ks);
            // Removing the newcomer restores every placement (ketama included: same members).
            prop_assert_eq!(&back, &before);
            let planned: BTreeSet<Vec<u8>> = plan.iter().map(|m| m.key.clone()).collect();
            prop_assert_eq!(&changed, &planned);
        }

        #[test]
        fn preference_lists_start_at_get_for_every_scheme(
            scheme in scheme(), nodes in node_names(), ks in keys(),
        ) {
            let mut r = Ring::with_scheme(40, scheme).unwrap();
            r.add_nodes(nodes.iter().map(|n| (n.as_str(), 1))).unwrap();
            for k in &ks {
                let pref = r.get_nodes(k, 3).unwrap();
                prop_assert_eq!(pref[0], r.get(k).unwrap());
                let mut out = vec![0u32; 1];
                r.locate_many(std::slice::from_ref(k), &mut out).unwrap();
                prop_assert_eq!(out[0] as usize, r.get_index(k).unwrap());
            }
        }
    }

    #[test]
    fn ketama_replicas_must_be_a_multiple_of_four() {
        assert!(Ring::with_scheme(162, Scheme::Ketama).is_err());
        assert!(Ring::with_scheme(160, Scheme::Ketama).is_ok());
    }
}
