//! Prints the README's scaling table: lookup cost, build time and memory per node for rings of
//! 10 to 10,000 nodes (160 replicas). Best of several runs; absolute times depend on the machine.
//!
//!     cargo run --release -p ringpax-core --example scaling
use std::hint::black_box;
use std::time::Instant;

use ringpax_core::ring::{KeyHasher, Ring};

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let keys: Vec<Vec<u8>> = (0..100_000)
        .map(|i| format!("user:{i:08}").into_bytes())
        .collect();
    let bare = best(5, || {
        keys.iter()
            .fold(0u64, |a, k| a ^ KeyHasher::Blake3.hash(black_box(k)))
    }) / keys.len() as f64;
    println!("bare BLAKE3 of a 13-byte key: {:.1} ns", bare * 1e9);
    println!(
        "| nodes | build (ms) | lookup blake3 (ns) | lookup / bare hash | lookup xxh3 (ns) | add one node (ms) | memory per node (KiB) |"
    );
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for nodes in [10usize, 100, 1000, 10_000] {
        let names: Vec<String> = (0..nodes).map(|i| format!("node-{i}")).collect();
        let build = best(3, || {
            let mut r = Ring::new(160).unwrap();
            r.add_nodes(names.iter().map(|n| (n.as_str(), 1))).unwrap();
            r
        });
        let mut ring = Ring::new(160).unwrap();
        ring.add_nodes(names.iter().map(|n| (n.as_str(), 1)))
            .unwrap();
        let mut fast = Ring::with_hasher(160, KeyHasher::Xxh3).unwrap();
        fast.add_nodes(names.iter().map(|n| (n.as_str(), 1)))
            .unwrap();
        let look = |r: &Ring| {
            best(5, || {
                keys.iter()
                    .fold(0usize, |a, k| a ^ r.get_index(black_box(k)).unwrap())
            }) / keys.len() as f64
        };
        let (lb, lx) = (look(&ring), look(&fast));
        let add = best(5, || {
            let mut r = ring.clone();
            r.add_node("newcomer", 1).unwrap();
            r
        });
        println!(
            "| {nodes} | {:.2} | {:.1} | {:.2}x | {:.1} | {:.3} | {:.2} |",
            build * 1e3,
            lb * 1e9,
            lb / bare,
            lx * 1e9,
            add * 1e3,
            ring.memory_bytes() as f64 / nodes as f64 / 1024.0
        );
    }
}
