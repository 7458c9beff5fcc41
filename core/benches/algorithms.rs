//! Jump, rendezvous and Maglev beside the ring: lookup cost at 10/100/1000 nodes, Maglev build
//! time, and memory (printed first). Run: `cargo bench -p ringpax-core --bench algorithms`.
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ringpax_core::ring::Ring;
use ringpax_core::ring::algorithms::{DEFAULT_TABLE_SIZE, JumpHash, Maglev, Rendezvous};

const SIZES: [usize; 3] = [10, 100, 1000];

fn keys(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("user:{i:08}").into_bytes())
        .collect()
}

fn names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("10.0.{}.{}:11211", i / 256, i % 256))
        .collect()
}

fn jump(n: usize) -> JumpHash {
    JumpHash::new(n as u32).unwrap()
}

fn rendezvous(n: usize, weighted: bool) -> Rendezvous {
    let names = names(n);
    let mut r = Rendezvous::new();
    r.add_nodes(names.iter().enumerate().map(|(i, s)| {
        (
            s.as_str(),
            if weighted { 1.0 + (i % 4) as f64 } else { 1.0 },
        )
    }))
    .unwrap();
    r
}

fn maglev(n: usize) -> Maglev {
    let names = names(n);
    let mut m = Maglev::new(DEFAULT_TABLE_SIZE).unwrap();
    m.add_nodes(names.iter().map(|s| (s.as_str(), 1.0)))
        .unwrap();
    m
}

fn ring(n: usize) -> Ring {
    let names = names(n);
    let mut r = Ring::new(160).unwrap();
    r.add_nodes(names.iter().map(|s| (s.as_str(), 1))).unwrap();
    r
}

/// Heap memory of each structure (criterion measures time only).
fn print_memory() {
    println!(
        "memory (heap bytes): nodes | jump | jump+names | rendezvous | maglev M=65537 | ring 160 pts/node"
    );
    for n in SIZES {
        let named =
            JumpHash::with_names(names(n).iter().map(String::as_str), Default::default()).unwrap();
        println!(
            "memory: {n} | {} | {} | {} | {} | {}",
            jump(n).memory_bytes(),
            named.memory_bytes(),
            rendezvous(n, false).memory_bytes(),
            maglev(n).memory_bytes(),
            ring(n).memory_bytes()
        );
    }
}

fn lookups(c: &mut Criterion) {
    print_memory();
    let ks = keys(4096);
    let mut g = c.benchmark_group("algorithms-lookup");
    g.throughput(Throughput::Elements(ks.len() as u64));
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for n in SIZES {
        let j = jump(n);
        g.bench_function(BenchmarkId::new("jump", n), |b| {
            b.iter(|| {
                ks.iter()
                    .fold(0u32, |acc, k| acc ^ j.get(black_box(k)).unwrap())
            })
        });
        let r = rendezvous(n, false);
        g.bench_function(BenchmarkId::new("rendezvous", n), |b| {
            b.iter(|| {
                ks.iter()
                    .fold(0, |acc, k| acc ^ r.get_index(black_box(k)).unwrap())
            })
        });
        let r = rendezvous(n, true);
        g.bench_function(BenchmarkId::new("rendezvous-weighted", n), |b| {
            b.iter(|| {
                ks.iter()
                    .fold(0, |acc, k| acc ^ r.get_index(black_box(k)).unwrap())
            })
        });
        let m = maglev(n);
        g.bench_function(BenchmarkId::new("maglev", n), |b| {
            b.iter(|| {
                ks.iter()
                    .fold(0, |acc, k| acc ^ m.get_index(black_box(k)).unwrap())
            })
        });
        let rg = ring(n);
        g.bench_function(BenchmarkId::new("ring", n), |b| {
            b.iter(|| {
                ks.iter()
                    .fold(0, |acc, k| acc ^ rg.get_index(black_box(k)).unwrap())
            })
        });
    }
    g.finish();
}

/// Maglev's table build at M = 65537 (every membership change pays it), and a one-node change.
fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("algorithms-build");
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for n in SIZES {
        let ns = names(n);
        g.bench_function(BenchmarkId::new("maglev-65537", n), |b| {
            b.iter(|| {
                let mut m = Maglev::new(DEFAULT_TABLE_SIZE).unwrap();
                m.add_nodes(ns.iter().map(|s| (s.as_str(), 1.0))).unwrap();
                m
            })
        });
    }
    let ns = names(100);
    g.bench_function(BenchmarkId::new("maglev-65537-weighted", 100), |b| {
        b.iter(|| {
            let mut m = Maglev::new(DEFAULT_TABLE_SIZE).unwrap();
            m.add_nodes(
                ns.iter()
                    .enumerate()
                    .map(|(i, s)| (s.as_str(), 1.0 + (i % 4) as f64)),
            )
            .unwrap();
            m
        })
    });
    let base = maglev(100);
    g.bench_function("maglev-65537-add-one-to-100", |b| {
        b.iter(|| {
            let mut m = base.clone();
            m.add_node("newcomer", 1.0).unwrap();
            m
        })
    });
    g.bench_function(BenchmarkId::new("rendezvous", 1000), |b| {
        let ns = names(1000);
        b.iter(|| {
            let mut r = Rendezvous::new();
            r.add_nodes(ns.iter().map(|s| (s.as_str(), 1.0))).unwrap();
            r
        })
    });
    g.finish();
}

criterion_group!(benches, lookups, build);
criterion_main!(benches);
