//! Simulator throughput: messages delivered per second and decisions per second for n = 3, 5, 7.
//! Run: `cargo bench -p ringpax-core --bench sim`.
//!
//! - `messages/n`: one iteration is a whole contended run (3 proposers, 10% loss, 5%
//!   duplication, delays 1..=5) until the network is quiet; throughput counts delivered
//!   messages (deterministic per seed, so counted once up front).
//! - `decisions/n`: one iteration builds a fault-free cluster and decides one value.
use criterion::{BenchmarkId, Criterion, Throughput, black_box, criterion_group, criterion_main};
use ringpax_core::sim::{Network, Sim, SimConfig};

const RUNS: u64 = 64;

fn contended(n: u32, seed: u64) -> Sim<u64> {
    let mut cfg = SimConfig::new(n, seed);
    cfg.trace = false;
    cfg.network = Network {
        drop: 0.1,
        duplicate: 0.05,
        delay_min: 1,
        delay_max: 5,
    };
    let mut sim = Sim::new(cfg).unwrap();
    sim.contend(&[(0, 1), (1, 2), (n - 1, 3)]).unwrap();
    sim.run_until_quiet().unwrap();
    sim
}

fn messages(c: &mut Criterion) {
    let mut g = c.benchmark_group("messages");
    for n in [3u32, 5, 7] {
        let delivered: u64 = (0..RUNS).map(|s| contended(n, s).stats().delivered).sum();
        g.throughput(Throughput::Elements(delivered));
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let mut total = 0;
                for seed in 0..RUNS {
                    total += contended(n, black_box(seed)).stats().delivered;
                }
                assert_eq!(total, delivered);
                total
            })
        });
    }
    g.finish();
}

fn decisions(c: &mut Criterion) {
    let mut g = c.benchmark_group("decisions");
    g.throughput(Throughput::Elements(1));
    for n in [3u32, 5, 7] {
        g.bench_function(BenchmarkId::from_parameter(n), |b| {
            b.iter(|| {
                let mut cfg = SimConfig::new(n, 1);
                cfg.trace = false;
                let mut sim = Sim::<u64>::new(cfg).unwrap();
                sim.propose(0, black_box(7)).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, messages, decisions);
criterion_main!(benches);
