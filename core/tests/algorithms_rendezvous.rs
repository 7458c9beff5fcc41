//! Weighted rendezvous hashing: the spec on known values, minimal moves on membership changes,
//! top-k lists, weight shares, batches, errors; random operation sequences.
use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use ringpax_core::ring::KeyHasher;
use ringpax_core::ring::algorithms::{AlgorithmError, MAX_WEIGHT, MIN_WEIGHT, Rendezvous};

fn set(nodes: &[(&str, f64)]) -> Rendezvous {
    let mut r = Rendezvous::new();
    r.add_nodes(nodes.iter().copied()).unwrap();
    r
}

fn owned(nodes: impl IntoIterator<Item = (String, f64)>, hasher: KeyHasher) -> Rendezvous {
    let nodes: Vec<(String, f64)> = nodes.into_iter().collect();
    let mut r = Rendezvous::with_hasher(hasher);
    r.add_nodes(nodes.iter().map(|(n, w)| (n.as_str(), *w)))
        .unwrap();
    r
}

fn keys(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("user:{i}").into_bytes()).collect()
}

#[test]
fn spec_values_computed_independently() {
    // From the pure-Python reference of the spec (tests/python/test_algorithms.py).
    let r = set(&[("a", 1.0), ("b", 1.0), ("c", 1.0), ("d", 1.0)]);
    let want = [
        ["b", "c", "d", "a"],
        ["d", "b", "a", "c"],
        ["c", "d", "b", "a"],
        ["c", "d", "b", "a"],
        ["c", "d", "a", "b"],
    ];
    for (i, w) in want.iter().enumerate() {
        let key = format!("key{i}");
        assert_eq!(r.get_nodes(key.as_bytes(), 4).unwrap(), w);
        assert_eq!(r.get(key.as_bytes()).unwrap(), w[0]);
    }
    let r = set(&[("a", 1.0), ("b", 2.0), ("c", 0.5)]);
    let got: Vec<&str> = (0..10)
        .map(|i| r.get(format!("key{i}").as_bytes()).unwrap())
        .collect();
    assert_eq!(got, ["b", "b", "c", "b", "c", "a", "b", "b", "c", "a"]);
}

#[test]
fn placement_ignores_insertion_order_and_batching() {
    let names = ["n1", "n7", "n3", "alpha", "zeta"];
    let mut one_by_one = Rendezvous::new();
    for n in names.iter().rev() {
        one_by_one.add_node(n, 1.5).unwrap();
    }
    let batch = set(&names.map(|n| (n, 1.5)));
    assert_eq!(
        one_by_one.nodes().collect::<Vec<_>>(),
        ["alpha", "n1", "n3", "n7", "zeta"]
    );
    for k in keys(500) {
        assert_eq!(one_by_one.get(&k), batch.get(&k));
        assert_eq!(one_by_one.get_nodes(&k, 5), batch.get_nodes(&k, 5));
    }
}

#[test]
fn weight_shares_are_proportional() {
    let weights = [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)];
    let r = set(&weights);
    let n = 100_000;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for k in keys(n) {
        *counts.entry(r.get(&k).unwrap()).or_default() += 1;
    }
    for (name, w) in weights {
        let share = counts[name] as f64 / n as f64;
        let want = w / 10.0;
        assert!((share - want).abs() < 0.01, "{name}: {share} vs {want}");
    }
    let expect: Vec<f64> = r.distribution();
    assert_eq!(expect, [0.1, 0.2, 0.3, 0.4]);
}

#[test]
fn equal_weights_share_evenly_whatever_their_value() {
    let light = set(&[("a", 0.25), ("b", 0.25), ("c", 0.25)]);
    let unit = set(&[("a", 1.0), ("b", 1.0), ("c", 1.0)]);
    for k in keys(2000) {
        assert_eq!(light.get(&k), unit.get(&k));
    }
}

#[test]
fn removal_moves_only_the_removed_nodes_keys_and_addition_only_to_the_new_node() {
    let mut r = owned(
        (0..20).map(|i| (format!("node-{i}"), 1.0 + (i % 3) as f64)),
        KeyHasher::Blake3,
    );
    let ks = keys(20_000);
    let before: Vec<String> = ks.iter().map(|k| r.get(k).unwrap().to_owned()).collect();
    assert_eq!(r.remove_node("node-7"), Ok(2.0));
    let mut moved = 0;
    for (k, b) in ks.iter().zip(&before) {
        let a = r.get(k).unwrap();
        if a != b {
            assert_eq!(b, "node-7");
            moved += 1;
        } else {
            assert_ne!(a, "node-7");
        }
    }
    assert_eq!(moved, before.iter().filter(|b| *b == "node-7").count());
    // The removed node's keys go to their second choice.
    r.add_node("node-7", 2.0).unwrap();
    for (k, b) in ks.iter().zip(&before) {
        assert_eq!(r.get(k).unwrap(), b, "re-adding restores the placement");
    }
    r.add_node("newcomer", 5.0).unwrap();
    for (k, b) in ks.iter().zip(&before) {
        let a = r.get(k).unwrap();
        assert!(a == b || a == "newcomer");
    }
}

#[test]
fn top_k_is_distinct_best_first_and_prefix_stable() {
    let r = set(&[("a", 1.0), ("b", 3.0), ("c", 1.0), ("d", 0.5), ("e", 2.0)]);
    for k in keys(300) {
        let all = r.get_nodes(&k, 5).unwrap();
        assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 5);
        assert_eq!(all[0], r.get(&k).unwrap());
        for n in 0..=5 {
            assert_eq!(r.get_nodes(&k, n).unwrap(), all[..n]);
            assert_eq!(
                r.get_nodes_index(&k, n)
                    .unwrap()
                    .iter()
                    .map(|&i| r.node_name(i).unwrap())
                    .collect::<Vec<_>>(),
                all[..n]
            );
        }
    }
}

#[test]
fn batch_lookup_matches_single_lookups_serial_and_parallel() {
    let r = owned((0..100).map(|i| (format!("n{i}"), 1.0)), KeyHasher::Xxh3);
    for len in [0usize, 1, 777, 40_000] {
        let ks = keys(len);
        let mut out = vec![u32::MAX; len];
        r.locate_many(&ks, &mut out).unwrap();
        for (k, o) in ks.iter().zip(&out) {
            assert_eq!(*o as usize, r.get_index(k).unwrap());
        }
    }
}

#[test]
fn hashers() {
    let keyed = KeyHasher::Blake3Keyed(Box::new([1u8; 32]));
    let mut placements = Vec::new();
    for hasher in [KeyHasher::Blake3, KeyHasher::Xxh3, keyed] {
        let mut r = Rendezvous::with_hasher(hasher.clone());
        r.add_nodes([("a", 1.0), ("b", 1.0), ("c", 1.0)]).unwrap();
        assert_eq!(r.hash(b"k"), hasher.hash(b"k"));
        assert_eq!(r.hasher(), &hasher);
        placements.push(
            keys(200)
                .iter()
                .map(|k| r.get_index(k).unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert_ne!(placements[0], placements[1]);
    assert_ne!(placements[0], placements[2]);
}

#[test]
fn accessors_and_errors() {
    let mut r = Rendezvous::default();
    let empty = AlgorithmError::Empty("rendezvous set");
    assert_eq!(r.get(b"k"), Err(empty.clone()));
    assert_eq!(r.get_nodes(b"k", 0), Err(empty.clone()));
    assert_eq!(r.locate_many(&[b"k"], &mut [0]), Err(empty.clone()));
    assert_eq!(
        r.remove_node("a"),
        Err(AlgorithmError::UnknownNode("a".into()))
    );
    assert_eq!(r.add_node("", 1.0), Err(AlgorithmError::EmptyNodeName));
    for w in [
        0.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        MIN_WEIGHT / 2.0,
        MAX_WEIGHT * 2.0,
    ] {
        assert!(
            matches!(r.add_node("a", w), Err(AlgorithmError::InvalidWeight(_))),
            "{w}"
        );
    }
    r.add_node("a", MIN_WEIGHT).unwrap();
    r.add_node("b", MAX_WEIGHT).unwrap();
    assert_eq!(
        r.add_node("a", 1.0),
        Err(AlgorithmError::DuplicateNode("a".into()))
    );
    assert_eq!(
        r.add_nodes([("c", 1.0), ("c", 2.0)]),
        Err(AlgorithmError::DuplicateNode("c".into()))
    );
    assert_eq!(
        r.add_nodes([("c", 1.0), ("d", 0.0)]),
        Err(AlgorithmError::InvalidWeight(0.0))
    );
    assert_eq!(r.node_count(), 2, "failed batches add nothing");
    assert_eq!(
        r.get_nodes(b"k", 3),
        Err(AlgorithmError::TooManyRequested {
            requested: 3,
            nodes: 2
        })
    );
    assert_eq!(r.get_nodes(b"k", 0), Ok(vec![]));
    assert_eq!(r.weight("a"), Some(MIN_WEIGHT));
    assert_eq!(r.weight_at(1), Some(MAX_WEIGHT));
    assert_eq!(r.weight("zz"), None);
    assert_eq!(r.node_index("b"), Some(1));
    assert!(r.contains("a") && !r.contains("c"));
    assert_eq!(r.node_name_arc(0).map(|a| &**a), Some("a"));
    assert_eq!(r.node_name(2), None);
    assert!(r.memory_bytes() > 0);
    // Extreme weight ratios stay well-defined: the heavy node wins (nearly) everything.
    assert_eq!(r.get(b"k"), Ok("b"));
    assert_eq!(r.remove_node("b"), Ok(MAX_WEIGHT));
    assert_eq!(r.get(b"k"), Ok("a"));
    for e in [
        empty,
        AlgorithmError::InvalidWeight(f64::NAN),
        AlgorithmError::TooManyRequested {
            requested: 3,
            nodes: 2,
        },
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[derive(Debug, Clone)]
enum Op {
    Add(String, u8),
    Remove(prop::sample::Index),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => ("[a-f]{1,3}", 1u8..5).prop_map(|(n, w)| Op::Add(n, w)),
        2 => any::<prop::sample::Index>().prop_map(Op::Remove),
    ];
    proptest::collection::vec(op, 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random membership changes: results are always members, top-k lists are distinct and
    /// start at `get`, an addition moves keys only to the new node and a removal only the
    /// removed node's keys.
    #[test]
    fn random_operation_sequences(ops in ops(), ks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..10), 1..80)) {
        let mut r = Rendezvous::new();
        let mut model: BTreeMap<String, f64> = BTreeMap::new();
        for op in ops {
            let before: Vec<Option<String>> = ks.iter().map(|k| r.get(k).ok().map(str::to_owned)).collect();
            match op {
                Op::Add(name, w) => {
                    let w = w as f64 / 2.0;
                    if model.contains_key(&name) {
                        prop_assert_eq!(r.add_node(&name, w), Err(AlgorithmError::DuplicateNode(name.clone())));
                        continue;
                    }
                    r.add_node(&name, w).unwrap();
                    model.insert(name.clone(), w);
                    for (k, b) in ks.iter().zip(&before) {
                        let a = r.get(k).unwrap();
                        prop_assert!(b.as_deref().is_none_or(|b| b == a) || a == name);
                    }
                }
                Op::Remove(pick) => {
                    if model.is_empty() {
                        prop_assert!(r.remove_node("nope").is_err());
                        continue;
                    }
                    let name = pick.get(&model.keys().cloned().collect::<Vec<_>>()).clone();
                    prop_assert_eq!(r.remove_node(&name), Ok(model[&name]));
                    model.remove(&name);
                    for (k, b) in ks.iter().zip(&before) {
                        let a = r.get(k).ok();
                        if b.as_deref() != Some(name.as_str()) {
                            prop_assert_eq!(a.map(str::to_owned), b.clone());
                        }
                    }
                }
            }
            prop_assert_eq!(r.nodes().collect::<Vec<_>>(), model.keys().map(String::as_str).collect::<Vec<_>>());
            for k in &ks {
                match r.get(k) {
                    Ok(owner) => {
                        prop_assert!(model.contains_key(owner));
                        let k2 = model.len().min(3);
                        let top = r.get_nodes(k, k2).unwrap();
                        prop_assert_eq!(top.len(), k2);
                        prop_assert_eq!(top[0], owner);
                        prop_assert_eq!(top.iter().collect::<BTreeSet<_>>().len(), k2);
                    }
                    Err(e) => {
                        prop_assert!(model.is_empty());
                        prop_assert_eq!(e, AlgorithmError::Empty("rendezvous set"));
                    }
                }
            }
        }
    }
}
