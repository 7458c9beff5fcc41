//! Batch lookups (`locate_many`, `locate_streamed`) answer exactly what `get_index` answers,
//! for every hash and every key length around the 64-byte BLAKE3 block.
use std::cell::Cell;

use proptest::prelude::*;
use ringpax_core::ring::{KeyHasher, Ring, RingError, STREAM_CHUNK};

fn ring(hasher: KeyHasher, nodes: usize) -> Ring {
    let mut r = Ring::with_hasher(40, hasher).unwrap();
    for i in 0..nodes {
        r.add_node(&format!("node-{i}"), 1 + (i % 3) as u32)
            .unwrap();
    }
    r
}

fn hashers() -> [KeyHasher; 3] {
    [
        KeyHasher::Blake3,
        KeyHasher::Blake3Keyed(Box::new([3u8; 32])),
        KeyHasher::Xxh3,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn batches_equal_single_lookups(
        keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..300),
        nodes in 1usize..20,
    ) {
        for hasher in hashers() {
            let r = ring(hasher, nodes);
            let want: Vec<u32> = keys.iter().map(|k| r.get_index(k).unwrap() as u32).collect();
            let mut got = vec![u32::MAX; keys.len()];
            r.locate_many(&keys, &mut got).unwrap();
            prop_assert_eq!(&got, &want);
        }
    }
}

#[test]
fn streamed_equals_many_across_pieces_and_calls_finish_once() {
    let keys: Vec<Vec<u8>> = (0..3 * STREAM_CHUNK + 17)
        .map(|i| format!("{}{i}", "x".repeat(i % 80)).into_bytes())
        .collect();
    for hasher in hashers() {
        let r = ring(hasher, 25);
        let mut want = vec![0u32; keys.len()];
        r.locate_many(&keys, &mut want).unwrap();
        let mut got = vec![u32::MAX; keys.len()];
        let asked = Cell::new(0usize);
        let finished = Cell::new(0usize);
        let res = r.locate_streamed(
            &mut got,
            |i, buf: &mut Vec<u8>| {
                assert_eq!(i, asked.get(), "keys are asked for in order");
                asked.set(i + 1);
                buf.extend_from_slice(&keys[i]);
                Ok::<_, ()>(())
            },
            |work| {
                finished.set(finished.get() + 1);
                work();
            },
        );
        assert_eq!(res, Ok(Ok(())));
        assert_eq!((asked.get(), finished.get()), (keys.len(), 1));
        assert_eq!(got, want);
    }
}

#[test]
fn streamed_stops_at_the_first_key_error_and_rejects_an_empty_ring() {
    let r = ring(KeyHasher::Blake3, 5);
    let mut out = vec![0u32; 2 * STREAM_CHUNK];
    let asked = Cell::new(0usize);
    let res = r.locate_streamed(
        &mut out,
        |i, buf: &mut Vec<u8>| {
            asked.set(asked.get() + 1);
            buf.push(b'k');
            if i == STREAM_CHUNK + 3 {
                Err(i)
            } else {
                Ok(())
            }
        },
        |work| work(),
    );
    assert_eq!(res, Ok(Err(STREAM_CHUNK + 3)));
    assert_eq!(asked.get(), STREAM_CHUNK + 4);

    let empty = Ring::new(10).unwrap();
    let res = empty.locate_streamed(
        &mut out,
        |_, _: &mut Vec<u8>| -> Result<(), ()> { panic!("no key is read") },
        |w| w(),
    );
    assert_eq!(res, Err(RingError::EmptyRing));
}
