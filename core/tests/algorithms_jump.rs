//! Jump consistent hash: the paper's loop bit for bit, the key hashes, monotone moves when the
//! bucket count changes, balance, names, batches and errors; random operation sequences.
use std::collections::BTreeSet;

use proptest::prelude::*;
use ringpax_core::ring::KeyHasher;
use ringpax_core::ring::algorithms::{AlgorithmError, JumpHash, MAX_BUCKETS, jump_bucket};

/// The paper's Figure 1 transcribed independently (i128 arithmetic, no wrapping helpers).
fn figure1(key: u64, num_buckets: i64) -> i64 {
    let mut key = key as u128;
    let (mut b, mut j) = (-1i64, 0i64);
    while j < num_buckets {
        b = j;
        key = (key * 2_862_933_555_777_941_757 + 1) % (1u128 << 64);
        j = ((b + 1) as f64 * (2_147_483_648.0 / ((key >> 33) + 1) as f64)) as i64;
    }
    b
}

#[test]
fn published_values() {
    // Values other implementations publish for the paper's algorithm (ClickHouse's
    // jumpConsistentHash tests; the jump-consistent-hash crate's examples).
    let cases: [(u64, u32, u32); 9] = [
        (1, 1, 0),
        (42, 57, 43),
        (256, 1024, 520),
        (0xDEAD_10CC, 1, 0),
        (0xDEAD_10CC, 666, 361),
        (16_045_690_984_833_335_023, 255, 237),
        (0, 60, 0),
        (1, 60, 55),
        (2, 60, 46),
    ];
    for (key, n, want) in cases {
        assert_eq!(jump_bucket(key, n), want, "jump({key}, {n})");
    }
}

#[test]
fn spec_values_computed_independently() {
    // BLAKE3 (first 8 bytes, little-endian) then jump, computed by a pure-Python reference
    // (tests/python/test_algorithms.py has the same reference).
    let j = JumpHash::new(10).unwrap();
    let got: Vec<u32> = (0..8)
        .map(|i| j.get(format!("key{i}").as_bytes()).unwrap())
        .collect();
    assert_eq!(got, [8, 5, 6, 0, 3, 5, 4, 2]);
    let j = JumpHash::new(1000).unwrap();
    let got: Vec<u32> = (0..5)
        .map(|i| j.get(format!("user:{i}").as_bytes()).unwrap())
        .collect();
    assert_eq!(got, [375, 728, 749, 273, 612]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn matches_figure1(key in any::<u64>(), n in 1u32..=MAX_BUCKETS) {
        prop_assert_eq!(jump_bucket(key, n) as i64, figure1(key, n as i64));
    }

    #[test]
    fn growing_moves_keys_only_to_the_new_bucket(keys in proptest::collection::vec(any::<u64>(), 1..300), n in 1u32..5000) {
        for &k in &keys {
            let before = jump_bucket(k, n);
            let after = jump_bucket(k, n + 1);
            prop_assert!(before < n && after <= n);
            prop_assert!(after == before || after == n, "key {} moved {} -> {}", k, before, after);
        }
    }
}

#[test]
fn uses_the_key_hasher() {
    let keyed = KeyHasher::Blake3Keyed(Box::new([9u8; 32]));
    for hasher in [KeyHasher::Blake3, KeyHasher::Xxh3, keyed] {
        let j = JumpHash::with_hasher(77, hasher.clone()).unwrap();
        for i in 0..200 {
            let k = format!("k{i}");
            assert_eq!(j.hash(k.as_bytes()), hasher.hash(k.as_bytes()));
            assert_eq!(
                j.get(k.as_bytes()).unwrap(),
                jump_bucket(hasher.hash(k.as_bytes()), 77)
            );
        }
        assert_eq!(j.hasher(), &hasher);
    }
}

#[test]
fn balance_over_100k_keys() {
    let j = JumpHash::new(50).unwrap();
    let mut counts = [0u32; 50];
    for i in 0..100_000 {
        counts[j.get(format!("user:{i}").as_bytes()).unwrap() as usize] += 1;
    }
    let (min, max) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
    // Expected 2000 per bucket, standard deviation ~44: 5 sigma either way.
    assert!(min > 1780 && max < 2220, "min {min} max {max}");
}

#[test]
fn moved_share_on_growth_is_one_over_n_plus_one() {
    let mut j = JumpHash::new(9).unwrap();
    let keys: Vec<String> = (0..50_000).map(|i| format!("user:{i}")).collect();
    let before: Vec<u32> = keys.iter().map(|k| j.get(k.as_bytes()).unwrap()).collect();
    assert_eq!(j.add_bucket(None), Ok(9));
    let mut moved = 0;
    for (k, b) in keys.iter().zip(&before) {
        let a = j.get(k.as_bytes()).unwrap();
        if a != *b {
            assert_eq!(a, 9);
            moved += 1;
        }
    }
    let share = moved as f64 / keys.len() as f64;
    assert!((share - 0.1).abs() < 0.01, "moved share {share}");
    // Shrinking back restores every key.
    assert_eq!(j.remove_bucket(None), Ok(9));
    let again: Vec<u32> = keys.iter().map(|k| j.get(k.as_bytes()).unwrap()).collect();
    assert_eq!(again, before);
}

#[test]
fn batch_lookup_matches_single_lookups_serial_and_parallel() {
    let j = JumpHash::with_hasher(123, KeyHasher::Xxh3).unwrap();
    for len in [0usize, 1, 1000, 70_000] {
        let keys: Vec<Vec<u8>> = (0..len).map(|i| format!("k{i}").into_bytes()).collect();
        let mut out = vec![u32::MAX; len];
        j.locate_many(&keys, &mut out).unwrap();
        for (k, o) in keys.iter().zip(&out) {
            assert_eq!(*o, j.get(k).unwrap());
        }
    }
}

#[test]
fn names() {
    let mut j = JumpHash::with_names(["shard-a", "shard-b"], KeyHasher::Blake3).unwrap();
    assert!(j.is_named());
    assert_eq!(j.buckets(), 2);
    assert_eq!(j.bucket_name(1), Some("shard-b"));
    assert_eq!(j.bucket_name(2), None);
    assert_eq!(j.bucket_of("shard-a"), Some(0));
    let b = j.get(b"key").unwrap();
    assert_eq!(j.get_node(b"key").unwrap(), j.bucket_name(b).unwrap());
    assert_eq!(j.add_bucket(None), Err(AlgorithmError::NameRequired));
    assert_eq!(j.add_bucket(Some("")), Err(AlgorithmError::EmptyNodeName));
    assert_eq!(
        j.add_bucket(Some("shard-a")),
        Err(AlgorithmError::DuplicateNode("shard-a".into()))
    );
    assert_eq!(
        j.remove_bucket(Some("zz")),
        Err(AlgorithmError::UnknownNode("zz".into()))
    );
    assert!(matches!(
        j.remove_bucket(Some("shard-a")),
        Err(AlgorithmError::NotLastBucket { .. })
    ));
    assert_eq!(j.remove_bucket(None), Ok(1));
    assert_eq!(j.remove_bucket(Some("shard-a")), Ok(0));
    assert!(j.is_empty() && j.is_named());
    assert_eq!(
        j.remove_bucket(None),
        Err(AlgorithmError::Empty("jump hash"))
    );
    assert_eq!(j.add_bucket(Some("again")), Ok(0));
    assert_eq!(
        JumpHash::with_names(["x", "x"], KeyHasher::Blake3).unwrap_err(),
        AlgorithmError::DuplicateNode("x".into())
    );
    assert!(j.memory_bytes() > 0);
}

#[test]
fn errors() {
    assert_eq!(
        JumpHash::new(MAX_BUCKETS + 1).unwrap_err(),
        AlgorithmError::TooManyBuckets(MAX_BUCKETS as u64 + 1)
    );
    let mut full = JumpHash::new(MAX_BUCKETS).unwrap();
    assert!(full.get(b"k").unwrap() < MAX_BUCKETS);
    assert!(matches!(
        full.add_bucket(None),
        Err(AlgorithmError::TooManyBuckets(_))
    ));
    let mut j = JumpHash::new(0).unwrap();
    assert_eq!(j.get(b"k"), Err(AlgorithmError::Empty("jump hash")));
    assert_eq!(
        j.locate_many(&[b"k"], &mut [0]),
        Err(AlgorithmError::Empty("jump hash"))
    );
    assert_eq!(j.get_node(b"k"), Err(AlgorithmError::UnnamedBuckets));
    assert_eq!(j.add_bucket(Some("n")), Err(AlgorithmError::UnnamedBuckets));
    assert_eq!(
        j.remove_bucket(None),
        Err(AlgorithmError::Empty("jump hash"))
    );
    assert_eq!(j.add_bucket(None), Ok(0));
    assert_eq!(
        j.remove_bucket(Some("n")),
        Err(AlgorithmError::UnnamedBuckets)
    );
    assert_eq!(j.get(b"anything"), Ok(0));
    assert_eq!(j.memory_bytes(), 0);
    for e in [
        AlgorithmError::TooManyBuckets(5),
        AlgorithmError::NameRequired,
        AlgorithmError::UnnamedBuckets,
    ] {
        assert!(!e.to_string().is_empty());
    }
}

#[derive(Debug, Clone)]
enum Op {
    Grow,
    Shrink,
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        prop_oneof![3 => Just(Op::Grow), 2 => Just(Op::Shrink)],
        1..60,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random grow/shrink sequences: every key is always in range, and each step moves exactly
    /// the keys the paper says (to the new bucket, or off the removed one).
    #[test]
    fn random_operation_sequences(ops in ops(), keys in proptest::collection::btree_set(proptest::collection::vec(any::<u8>(), 0..10), 1..100)) {
        let keys: Vec<Vec<u8>> = keys.into_iter().collect();
        let mut named = JumpHash::with_names(["b0"], KeyHasher::Blake3).unwrap();
        let mut j = JumpHash::new(1).unwrap();
        let mut next_name = 1;
        for op in ops {
            let before: Vec<Option<u32>> = keys.iter().map(|k| j.get(k).ok()).collect();
            match op {
                Op::Grow => {
                    let n = j.buckets();
                    prop_assert_eq!(j.add_bucket(None), Ok(n));
                    prop_assert_eq!(named.add_bucket(Some(&format!("b{next_name}"))), Ok(n));
                    next_name += 1;
                    for (k, b) in keys.iter().zip(&before) {
                        let a = j.get(k).unwrap();
                        if let Some(b) = b {
                            prop_assert!(a == *b || a == n);
                        }
                    }
                }
                Op::Shrink => {
                    if j.is_empty() {
                        prop_assert!(j.remove_bucket(None).is_err());
                        prop_assert!(named.remove_bucket(None).is_err());
                        continue;
                    }
                    let last = j.buckets() - 1;
                    prop_assert_eq!(j.remove_bucket(None), Ok(last));
                    let last_name = named.bucket_name(last).unwrap().to_owned();
                    prop_assert_eq!(named.remove_bucket(Some(&last_name)), Ok(last));
                    let moved: BTreeSet<usize> = keys.iter().enumerate()
                        .filter(|(i, k)| j.get(k).ok() != before[*i]).map(|(i, _)| i).collect();
                    let from_last: BTreeSet<usize> = before.iter().enumerate()
                        .filter(|(_, b)| **b == Some(last)).map(|(i, _)| i).collect();
                    prop_assert_eq!(moved, from_last);
                }
            }
            prop_assert_eq!(j.buckets(), named.buckets());
            prop_assert_eq!(named.names().map(|n| n.len()), Some(named.buckets() as usize));
            for k in &keys {
                match j.get(k) {
                    Ok(b) => {
                        prop_assert!(b < j.buckets());
                        prop_assert_eq!(named.get(k), Ok(b));
                        prop_assert_eq!(named.get_node(k).unwrap(), named.bucket_name(b).unwrap());
                    }
                    Err(e) => {
                        prop_assert!(j.is_empty());
                        prop_assert_eq!(e, AlgorithmError::Empty("jump hash"));
                    }
                }
            }
        }
    }
}
