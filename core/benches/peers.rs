//! ringpax against the Rust peers on the same nodes and keys, in one run:
//! the `hashring` crate (SipHash, binary search) and the `conhash` crate (MD5, BTreeMap).
//! 100 nodes x 160 replicas. Run: `cargo bench -p ringpax-core --bench peers`.
use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ringpax_core::ring::{KeyHasher, Ring};

const NODES: usize = 100;
const REPLICAS: usize = 160;

#[derive(Clone, Hash, PartialEq, Eq, Debug)]
struct VNode {
    node: u32,
    replica: u32,
}

#[derive(Clone, Debug)]
struct ConNode(String);

impl conhash::Node for ConNode {
    fn name(&self) -> String {
        self.0.clone()
    }
}

fn names() -> Vec<String> {
    (0..NODES).map(|i| format!("10.0.0.{i}:11211")).collect()
}

fn peers(c: &mut Criterion) {
    let keys: Vec<Vec<u8>> = (0..4096)
        .map(|i| format!("user:{i:08}").into_bytes())
        .collect();
    let mut g = c.benchmark_group("peers-lookup");
    g.throughput(Throughput::Elements(keys.len() as u64));

    for (label, hasher) in [("blake3", KeyHasher::Blake3), ("xxh3", KeyHasher::Xxh3)] {
        let mut r = Ring::with_hasher(REPLICAS as u32, hasher).unwrap();
        r.add_nodes(names().iter().map(|n| (n.as_str(), 1)))
            .unwrap();
        g.bench_function(BenchmarkId::new("ringpax", label), |b| {
            b.iter(|| {
                let mut acc = 0usize;
                for k in &keys {
                    acc ^= r.get_index(black_box(k)).unwrap();
                }
                acc
            })
        });
    }

    let mut hr: hashring::HashRing<VNode> = hashring::HashRing::new();
    let vnodes: Vec<VNode> = (0..NODES as u32)
        .flat_map(|node| (0..REPLICAS as u32).map(move |replica| VNode { node, replica }))
        .collect();
    hr.batch_add(vnodes);
    g.bench_function(BenchmarkId::new("hashring-crate", "siphash"), |b| {
        b.iter(|| {
            let mut acc = 0u32;
            for k in &keys {
                acc ^= hr.get(black_box(k)).unwrap().node;
            }
            acc
        })
    });

    let mut ch: conhash::ConsistentHash<ConNode> = conhash::ConsistentHash::new();
    for n in names() {
        ch.add(&ConNode(n), REPLICAS);
    }
    g.bench_function(BenchmarkId::new("conhash-crate", "md5"), |b| {
        b.iter(|| {
            let mut acc = 0usize;
            for k in &keys {
                acc ^= ch.get(black_box(k)).unwrap().0.len();
            }
            acc
        })
    });
    g.finish();
}

criterion_group!(benches, peers);
criterion_main!(benches);
