//! Three more consistent-hashing algorithms beside [`Ring`](super::Ring), with the same shape:
//! a [`KeyHasher`] turns a key into a `u64`, lookups return a node (or bucket) index, batches go
//! through `locate_many` (split across threads when large), and errors are [`AlgorithmError`]
//! values.
//!
//! | type | lookup | memory | membership changes | moves on a change |
//! | --- | --- | --- | --- | --- |
//! | [`JumpHash`] | O(log n), no table | O(1) (+ names) | only at the end (grow / shrink `n`) | the minimum: `1/(n+1)` of the keys, all to or from the last bucket |
//! | [`Rendezvous`] | O(n) per key | O(n) | any node, any weight | the minimum: only the keys of the node that leaves / that the new node takes |
//! | [`Maglev`] | O(1): one table read | O(n + M) | any node; rebuilds the table, O(M log M) | close to the minimum (a few % extra, see [`Maglev`]) |
//!
//! # Placement spec (the same on every face)
//! `h(b)` is the [`KeyHasher`] of the structure (BLAKE3 by default: the first 8 bytes of
//! BLAKE3(b), little-endian; or keyed BLAKE3, or XXH3-64). Keys are hashed once with `h`.
//! - **Jump**: `bucket = jump(h(key), n)`, the loop of Lamping & Veach (2014), Figure 1,
//!   bit for bit ([`jump_bucket`]).
//! - **Rendezvous**: node `N` of weight `w` scores `-w / ln(u)` for the key, where
//!   `s = mix(h(key) ^ h(UTF-8(N)))` (`mix` is the SplitMix64 finaliser) and
//!   `u = ((s >> 12) + 0.5) / 2^52` lies in (0, 1). The highest score wins; ties go to the larger
//!   `s`, then to the bytewise-smaller name. `get_nodes(key, k)` is the `k` best, best first.
//! - **Maglev**: table size `M` is prime. Node `N` has `offset = h(UTF-8(N) + "#0") mod M` and
//!   `skip = h(UTF-8(N) + "#1") mod (M - 1) + 1`; its preference list is
//!   `(offset + j * skip) mod M` for `j = 0, 1, ...`. Nodes take turns in bytewise name order, each
//!   taking its next preferred free slot, until the table is full; with weights, the turn goes
//!   to the node with the smallest `taken / weight` (ties: name order), which is plain
//!   round-robin when weights are equal. `key -> table[h(key) mod M]`.
//!
//! Node indexes of [`Rendezvous`] and [`Maglev`] follow the bytewise order of node names (as in
//! [`Ring`](super::Ring)) and are valid until the next membership change; the placement depends
//! only on the membership, never on the order nodes were added in.

mod error;
mod jump;
mod maglev;
mod members;
mod rendezvous;

pub use error::AlgorithmError;
pub use jump::{JumpHash, MAX_BUCKETS, jump_bucket};
pub use maglev::{DEFAULT_TABLE_SIZE, MAX_TABLE_SIZE, Maglev, is_prime, next_prime, prev_prime};
pub use rendezvous::Rendezvous;

pub use super::KeyHasher;

/// Smallest accepted node weight of [`Rendezvous`] and [`Maglev`].
pub const MIN_WEIGHT: f64 = 1e-9;
/// Largest accepted node weight of [`Rendezvous`] and [`Maglev`].
pub const MAX_WEIGHT: f64 = 1e9;

/// Look up a batch: `out[i] = locate(hasher.hash(keys[i]))`. Keys are hashed a group at a time
/// ([`KeyHasher::hash_many`]: BLAKE3 in SIMD lanes). Batches whose `keys.len() * work_per_key`
/// reaches [`PARALLEL_BATCH`](super::PARALLEL_BATCH) are split across the machine's cores.
pub(crate) fn locate_batch<K, F>(
    keys: &[K],
    out: &mut [u32],
    work_per_key: usize,
    hasher: &KeyHasher,
    locate: F,
) where
    K: AsRef<[u8]> + Sync,
    F: Fn(u64) -> u32 + Sync,
{
    assert!(out.len() >= keys.len(), "output shorter than the batch");
    let out = &mut out[..keys.len()];
    let threads = super::cores();
    let work = keys.len().saturating_mul(work_per_key.max(1));
    if work < super::PARALLEL_BATCH || threads < 2 || keys.len() < 2 {
        hasher.map_hashes(keys, out, &locate);
        return;
    }
    let chunk = keys.len().div_ceil(threads);
    let locate = &locate;
    crossbeam::scope(|s| {
        for (k, o) in keys.chunks(chunk).zip(out.chunks_mut(chunk)) {
            s.spawn(move |_| hasher.map_hashes(k, o, locate));
        }
    })
    .expect("lookup threads do not panic");
}

/// `h(UTF-8(name) + "#" + decimal(i))`, the same naming as ring points.
pub(crate) fn suffixed_hash(hasher: &KeyHasher, name: &str, i: u32) -> u64 {
    let mut buf = Vec::with_capacity(name.len() + 11);
    buf.extend_from_slice(name.as_bytes());
    buf.push(b'#');
    buf.extend_from_slice(i.to_string().as_bytes());
    hasher.hash(&buf)
}
