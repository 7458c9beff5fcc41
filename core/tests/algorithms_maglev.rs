//! Maglev: the spec on known tables, full population and balance, disruption on membership
//! changes (printed: `cargo test -p ringpax-core --test algorithms_maglev -- --nocapture`),
//! table-size checks, weights, batches, errors; random operation sequences.
use std::collections::BTreeMap;

use proptest::prelude::*;
use ringpax_core::ring::KeyHasher;
use ringpax_core::ring::algorithms::{
    AlgorithmError, DEFAULT_TABLE_SIZE, MAX_TABLE_SIZE, Maglev, is_prime,
};

fn maglev(table_size: u64, nodes: impl IntoIterator<Item = (String, f64)>) -> Maglev {
    let nodes: Vec<(String, f64)> = nodes.into_iter().collect();
    let mut m = Maglev::new(table_size).unwrap();
    m.add_nodes(nodes.iter().map(|(n, w)| (n.as_str(), *w)))
        .unwrap();
    m
}

fn unweighted(table_size: u64, n: usize) -> Maglev {
    maglev(table_size, (0..n).map(|i| (format!("backend-{i}"), 1.0)))
}

/// The table as node names, to compare across membership changes (indexes shift).
fn named_table(m: &Maglev) -> Vec<String> {
    m.table()
        .iter()
        .map(|&i| m.node_name(i as usize).unwrap().to_owned())
        .collect()
}

fn changed_share(a: &[String], b: &[String]) -> f64 {
    a.iter().zip(b).filter(|(x, y)| x != y).count() as f64 / a.len() as f64
}

#[test]
fn spec_tables_computed_independently() {
    // From the pure-Python reference of the spec (tests/python/test_algorithms.py).
    let m = maglev(13, ["a", "b", "c"].map(|n| (n.to_owned(), 1.0)));
    assert_eq!(
        named_table(&m),
        [
            "b", "a", "b", "c", "a", "c", "a", "a", "b", "a", "c", "b", "c"
        ]
    );
    let m = maglev(
        13,
        [("a", 1.0), ("b", 2.0), ("c", 1.0)].map(|(n, w)| (n.to_owned(), w)),
    );
    assert_eq!(
        named_table(&m),
        [
            "b", "a", "b", "c", "a", "b", "b", "a", "b", "a", "c", "b", "c"
        ]
    );
    let m = maglev(DEFAULT_TABLE_SIZE, (0..5).map(|i| (format!("n{i}"), 1.0)));
    let got: Vec<&str> = (0..10)
        .map(|i| m.get(format!("key{i}").as_bytes()).unwrap())
        .collect();
    assert_eq!(
        got,
        ["n0", "n2", "n2", "n4", "n2", "n2", "n0", "n3", "n3", "n2"]
    );
}

#[test]
fn table_is_full_and_balanced_within_one_entry() {
    for (size, n) in [
        (13u64, 12usize),
        (251, 7),
        (DEFAULT_TABLE_SIZE, 10),
        (DEFAULT_TABLE_SIZE, 100),
        (DEFAULT_TABLE_SIZE, 1000),
    ] {
        let m = unweighted(size, n);
        assert_eq!(m.table().len() as u64, size);
        assert!(m.table().iter().all(|&i| (i as usize) < n));
        let counts = m.entry_counts();
        let (min, max) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
        println!(
            "maglev M={size} n={n}: entries per node min {min} max {max} (max/min {:.4})",
            max as f64 / min as f64
        );
        // Round-robin: every node takes one entry per round until the table is full.
        assert!(max - min <= 1, "min {min} max {max}");
        assert_eq!(counts.iter().sum::<usize>() as u64, size);
        let shares = m.distribution();
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }
}

#[test]
fn disruption_on_membership_change() {
    for n in [10usize, 100, 1000] {
        let base = unweighted(DEFAULT_TABLE_SIZE, n);
        let before = named_table(&base);

        let mut removed = base.clone();
        removed.remove_node("backend-3").unwrap();
        let after = named_table(&removed);
        let must = before.iter().filter(|b| *b == "backend-3").count() as f64 / before.len() as f64;
        let total = changed_share(&before, &after);
        // Entries not owned by the removed node that still changed owner.
        let extra = total - must;

        let mut added = base.clone();
        added.add_node("newcomer", 1.0).unwrap();
        let grown = named_table(&added);
        let gained = grown.iter().filter(|g| *g == "newcomer").count() as f64 / grown.len() as f64;
        let total_add = changed_share(&before, &grown);
        println!(
            "maglev M=65537 n={n}: remove one node changes {:.2}% of entries ({:.2}% were its own, \
             {:.2}% extra); add one node changes {:.2}% ({:.2}% to the newcomer, {:.2}% extra)",
            total * 100.0,
            must * 100.0,
            extra * 100.0,
            total_add * 100.0,
            gained * 100.0,
            (total_add - gained) * 100.0
        );
        // Every entry of the removed node moves; few others do (the paper: a few percent).
        assert!(after.iter().all(|a| a != "backend-3"));
        assert!(extra < 0.06, "extra disruption {extra}");
        assert!(total_add - gained < 0.06);
        // Membership determines the table: removing the newcomer restores it exactly.
        added.remove_node("newcomer").unwrap();
        assert_eq!(added.table(), base.table());
    }
}

#[test]
fn weights_apportion_the_table() {
    let weights = [("a", 1.0), ("b", 2.0), ("c", 3.0), ("d", 4.0)];
    let m = maglev(DEFAULT_TABLE_SIZE, weights.map(|(n, w)| (n.to_owned(), w)));
    let shares = m.distribution();
    for ((name, w), share) in weights.iter().zip(&shares) {
        assert!((share - w / 10.0).abs() < 0.001, "{name}: {share}");
    }
    // Equal weights of any value give the unweighted table.
    let half = maglev(1009, (0..9).map(|i| (format!("backend-{i}"), 0.5)));
    assert_eq!(half.table(), unweighted(1009, 9).table());
    // A very light node still owns an entry (it takes one in the first round).
    let mut light = maglev(
        1009,
        [("heavy".to_owned(), 1e9), ("light".to_owned(), 1e-9)],
    );
    assert_eq!(light.entry_counts(), [1008, 1]);
    assert_eq!(light.weight("light"), Some(1e-9));
    assert_eq!(light.weight_at(0), Some(1e9));
    light.remove_node("heavy").unwrap();
    assert_eq!(light.entry_counts(), [1009]);
}

#[test]
fn table_size_checks() {
    for size in [0u64, 1, MAX_TABLE_SIZE + 1, u64::MAX] {
        assert_eq!(
            Maglev::new(size).unwrap_err(),
            AlgorithmError::TableSizeOutOfRange(size)
        );
    }
    let e = Maglev::new(65_536).unwrap_err();
    assert_eq!(
        e,
        AlgorithmError::TableSizeNotPrime {
            size: 65_536,
            below: 65_521,
            above: 65_537
        }
    );
    assert!(
        e.to_string().contains("65521") && e.to_string().contains("65537"),
        "{e}"
    );
    assert!(matches!(
        Maglev::new(4),
        Err(AlgorithmError::TableSizeNotPrime {
            below: 3,
            above: 5,
            ..
        })
    ));
    assert!(matches!(
        Maglev::new(MAX_TABLE_SIZE - 1),
        Err(AlgorithmError::TableSizeNotPrime {
            above: MAX_TABLE_SIZE,
            ..
        })
    ));
    for size in [2u64, 3, 13, 65_537, 655_373] {
        assert!(is_prime(size));
        assert_eq!(Maglev::new(size).unwrap().table_size(), size);
    }
    // The table must be larger than the node count.
    let mut m = Maglev::new(5).unwrap();
    m.add_nodes(["a", "b", "c", "d"].map(|n| (n, 1.0))).unwrap();
    assert_eq!(
        m.add_node("e", 1.0),
        Err(AlgorithmError::TableTooSmall {
            table_size: 5,
            nodes: 5
        })
    );
    assert_eq!(m.node_count(), 4);
    let mut tiny = Maglev::new(2).unwrap();
    tiny.add_node("only", 1.0).unwrap();
    assert_eq!(tiny.table(), [0, 0]);
    assert!(tiny.add_node("second", 1.0).is_err());
}

#[test]
fn large_tables() {
    // The largest size is accepted (building it takes ~0.3 s in release, seconds in debug).
    assert_eq!(
        Maglev::new(MAX_TABLE_SIZE).unwrap().table_size(),
        MAX_TABLE_SIZE
    );
    let m = unweighted(655_373, 3);
    assert_eq!(m.table().len(), 655_373);
    assert!(m.memory_bytes() >= 655_373 * 4);
}

#[test]
fn batch_lookup_matches_single_lookups_serial_and_parallel() {
    let mut m = Maglev::with_hasher(DEFAULT_TABLE_SIZE, KeyHasher::Xxh3).unwrap();
    m.add_nodes([("x", 1.0), ("y", 2.0), ("z", 1.0)]).unwrap();
    for len in [0usize, 1, 1000, 70_000] {
        let keys: Vec<Vec<u8>> = (0..len).map(|i| format!("k{i}").into_bytes()).collect();
        let mut out = vec![u32::MAX; len];
        m.locate_many(&keys, &mut out).unwrap();
        for (k, o) in keys.iter().zip(&out) {
            assert_eq!(*o as usize, m.get_index(k).unwrap());
            assert_eq!(*o, m.table()[(m.hash(k) % m.table_size()) as usize]);
        }
    }
}

#[test]
fn accessors_and_errors() {
    let keyed = KeyHasher::Blake3Keyed(Box::new([3u8; 32]));
    let mut m = Maglev::with_hasher(251, keyed.clone()).unwrap();
    let empty = AlgorithmError::Empty("Maglev table");
    assert_eq!(m.get(b"k"), Err(empty.clone()));
    assert_eq!(m.locate_many(&[b"k"], &mut [0]), Err(empty.clone()));
    assert!(m.table().is_empty() && m.entry_counts().is_empty() && m.is_empty());
    assert_eq!(m.add_node("", 1.0), Err(AlgorithmError::EmptyNodeName));
    assert!(matches!(
        m.add_node("a", -2.0),
        Err(AlgorithmError::InvalidWeight(_))
    ));
    assert_eq!(
        m.remove_node("a"),
        Err(AlgorithmError::UnknownNode("a".into()))
    );
    m.add_node("b", 1.0).unwrap();
    m.add_node("a", 1.0).unwrap();
    assert_eq!(
        m.add_node("a", 1.0),
        Err(AlgorithmError::DuplicateNode("a".into()))
    );
    assert_eq!(
        m.add_nodes([("q", 1.0), ("q", 1.0)]),
        Err(AlgorithmError::DuplicateNode("q".into()))
    );
    assert_eq!(m.nodes().collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(m.node_index("b"), Some(1));
    assert!(m.contains("a") && !m.contains("q"));
    assert_eq!(m.node_name_arc(1).map(|a| &**a), Some("b"));
    assert_eq!(m.node_name(2), None);
    assert_eq!(m.hasher(), &keyed);
    assert_eq!(m.hash(b"k"), keyed.hash(b"k"));
    let owner = m.get(b"k").unwrap();
    assert_eq!(
        m.table()[(keyed.hash(b"k") % 251) as usize] as usize,
        m.node_index(owner).unwrap()
    );
    assert_eq!(m.remove_node("a"), Ok(1.0));
    assert_eq!(m.remove_node("b"), Ok(1.0));
    assert_eq!(m.get(b"k"), Err(empty));
    assert_eq!(m.memory_bytes() / 1024, 0, "no table without nodes");
}

#[derive(Debug, Clone)]
enum Op {
    Add(String, u8),
    Remove(prop::sample::Index),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => ("[a-h]{1,2}", 1u8..4).prop_map(|(n, w)| Op::Add(n, w)),
        2 => any::<prop::sample::Index>().prop_map(Op::Remove),
    ];
    proptest::collection::vec(op, 1..30)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random membership changes: the table is always full of members, balanced by weight, and
    /// equal to a table built from scratch with the same membership.
    #[test]
    fn random_operation_sequences(ops in ops(), size in prop::sample::select(vec![67u64, 251, 1009, 4099])) {
        let mut m = Maglev::new(size).unwrap();
        let mut model: BTreeMap<String, f64> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Add(name, w) => {
                    let w = w as f64;
                    let r = m.add_node(&name, w);
                    if model.contains_key(&name) {
                        prop_assert_eq!(r, Err(AlgorithmError::DuplicateNode(name)));
                    } else if model.len() + 1 >= size as usize {
                        let too_small = matches!(r, Err(AlgorithmError::TableTooSmall { .. }));
                        prop_assert!(too_small, "{:?}", r);
                    } else {
                        prop_assert_eq!(r, Ok(()));
                        model.insert(name, w);
                    }
                }
                Op::Remove(pick) => {
                    if model.is_empty() {
                        prop_assert!(m.remove_node("zz").is_err());
                        continue;
                    }
                    let name = pick.get(&model.keys().cloned().collect::<Vec<_>>()).clone();
                    prop_assert_eq!(m.remove_node(&name), Ok(model[&name]));
                    model.remove(&name);
                }
            }
            prop_assert_eq!(m.nodes().collect::<Vec<_>>(), model.keys().map(String::as_str).collect::<Vec<_>>());
            if model.is_empty() {
                prop_assert!(m.table().is_empty());
                prop_assert!(m.get(b"k").is_err());
                continue;
            }
            prop_assert_eq!(m.table().len() as u64, size);
            prop_assert!(m.table().iter().all(|&i| (i as usize) < model.len()));
            let total: f64 = model.values().sum();
            for ((name, w), count) in model.iter().zip(m.entry_counts()) {
                prop_assert!(count >= 1, "{} owns no entry", name);
                // Stride scheduling keeps every node within a couple of entries of its share.
                let want = size as f64 * w / total;
                prop_assert!((count as f64 - want).abs() <= 2.0 + want * 0.02, "{}: {} vs {}", name, count, want);
            }
            let fresh = maglev(size, model.iter().map(|(n, w)| (n.clone(), *w)));
            prop_assert_eq!(m.table(), fresh.table());
            for i in 0..20 {
                let owner = m.get(format!("key{i}").as_bytes()).unwrap();
                prop_assert!(model.contains_key(owner));
            }
        }
    }
}
