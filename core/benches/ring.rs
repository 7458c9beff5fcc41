//! Lookup cost against the bare hash, and build cost. Run: `cargo bench -p ringpax-core --bench ring`.
use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ringpax_core::ring::{KeyHasher, Ring};

fn keys(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("user:{i:08}").into_bytes())
        .collect()
}

fn ring(nodes: usize, replicas: u32, hasher: KeyHasher) -> Ring {
    let mut r = Ring::with_hasher(replicas, hasher).unwrap();
    for i in 0..nodes {
        r.add_node(&format!("10.0.{}.{}:11211", i / 256, i % 256), 1)
            .unwrap();
    }
    r
}

fn lookups(c: &mut Criterion) {
    // 100k distinct keys: a short repeated list would let the branch predictor learn it.
    let ks = keys(100_000);
    let mut g = c.benchmark_group("lookup");
    g.throughput(Throughput::Elements(ks.len() as u64));
    for (label, hasher) in [("blake3", KeyHasher::Blake3), ("xxh3", KeyHasher::Xxh3)] {
        g.bench_function(BenchmarkId::new("bare-hash", label), |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for k in &ks {
                    acc ^= hasher.hash(black_box(k));
                }
                acc
            })
        });
        for nodes in [10usize, 100, 1000] {
            let r = ring(nodes, 160, hasher.clone());
            g.bench_function(BenchmarkId::new(format!("ring-{label}"), nodes), |b| {
                b.iter(|| {
                    let mut acc = 0usize;
                    for k in &ks {
                        acc ^= r.get_index(black_box(k)).unwrap();
                    }
                    acc
                })
            });
        }
    }
    g.finish();
}

/// Batch lookups on one thread (chunks below `PARALLEL_BATCH`): BLAKE3 keys are hashed
/// eight at a time in SIMD lanes, and the searches of a group overlap their cache misses.
fn batches(c: &mut Criterion) {
    let ks = keys(100_000);
    let mut g = c.benchmark_group("batch");
    g.throughput(Throughput::Elements(ks.len() as u64));
    for (label, hasher) in [("blake3", KeyHasher::Blake3), ("xxh3", KeyHasher::Xxh3)] {
        let mut hashes = vec![0u64; 4096];
        g.bench_function(BenchmarkId::new("bare-hash-many", label), |b| {
            b.iter(|| {
                for chunk in ks.chunks(4096) {
                    hasher.hash_many(black_box(chunk), &mut hashes[..chunk.len()]);
                }
                hashes[0]
            })
        });
        for nodes in [10usize, 100, 1000] {
            let r = ring(nodes, 160, hasher.clone());
            let mut out = vec![0u32; 4096];
            g.bench_function(BenchmarkId::new(format!("ring-many-{label}"), nodes), |b| {
                b.iter(|| {
                    for chunk in ks.chunks(4096) {
                        r.locate_many(black_box(chunk), &mut out[..chunk.len()])
                            .unwrap();
                    }
                    out[0]
                })
            });
        }
    }
    g.finish();
}

/// Building a whole ring at once (what `ConsistentHash(160, *nodes)` and C callers adding nodes
/// in a batch do), and adding one node to a 1000-node ring.
fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    for nodes in [10usize, 100, 1000, 10_000] {
        let names: Vec<String> = (0..nodes).map(|i| format!("node-{i}")).collect();
        g.bench_function(BenchmarkId::from_parameter(nodes), |b| {
            b.iter(|| {
                let mut r = Ring::new(160).unwrap();
                r.add_nodes(names.iter().map(|n| (n.as_str(), 1))).unwrap();
                r
            })
        });
    }
    let base = ring(1000, 160, KeyHasher::Blake3);
    g.bench_function("add-one-node-to-1000", |b| {
        b.iter(|| {
            let mut r = base.clone();
            r.add_node("newcomer", 1).unwrap();
            r
        })
    });
    g.finish();
}

criterion_group!(benches, lookups, batches, build);
criterion_main!(benches);
