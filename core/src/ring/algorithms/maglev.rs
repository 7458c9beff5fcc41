//! Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
//! Balancer", NSDI 2016, section 3.4).
//!
//! A lookup table of prime size `M` maps `h(key) mod M` to a node, so a lookup is one hash and
//! one array read, whatever the number of nodes. Each node has a preference list, a permutation
//! of `0..M` given by an `offset` and a `skip` (from two hashes of its name; `M` prime makes
//! every `skip` generate the whole table); nodes take turns claiming their next preferred free
//! entry until the table is full. Every node ends with `M/n` entries give or take one (equal
//! weights), and a membership change rewrites few entries beyond those that must change:
//! the paper reports a few percent with `M = 65537`; see `core/tests/algorithms_maglev.rs` for
//! measured figures. Any membership change rebuilds the table, costing O(M log M) time.
//!
//! The build keeps only each node's next candidate position (O(n) memory besides the table),
//! never the `n x M` permutation matrix of the paper's pseudocode. Lookup memory: the table,
//! 4 bytes per entry (256 KiB at the default `M = 65537`). Keep `M` well above the node count
//! (at least 100 x nodes keeps the imbalance near 1%); `M` must be prime and larger than the
//! number of nodes.
//!
//! Weights: each turn goes to the node with the smallest `taken / weight` (ties to the earlier
//! node in name order), i.e. stride scheduling; with equal weights that is the paper's plain
//! round-robin, entry for entry. Every node takes one entry in the first round, so even a very
//! light node owns at least one entry.
//!
//! Invariants: `table_size` is prime, `2 <= table_size <= MAX_TABLE_SIZE`, and larger than the
//! node count; `table` is empty exactly when there are no nodes, otherwise it has `table_size`
//! entries, every one a valid node index; it is always the table the membership determines.
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::sync::Arc;

use super::members::{Member, Members};
use super::{AlgorithmError, KeyHasher, locate_batch, suffixed_hash};

/// The paper's example table size, a prime.
pub const DEFAULT_TABLE_SIZE: u64 = 65_537;
/// Largest accepted table size: the largest prime below 2^24 (a 64 MiB table).
pub const MAX_TABLE_SIZE: u64 = 16_777_213;

const WHAT: &str = "Maglev table";
const EMPTY: u32 = u32::MAX;

/// True when `n` is prime (deterministic Miller-Rabin, exact for every `u64`).
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    for p in BASES {
        if n % p == 0 {
            return n == p;
        }
    }
    let mul = |a: u64, b: u64| ((a as u128 * b as u128) % n as u128) as u64;
    let pow = |mut b: u64, mut e: u64| {
        let mut r = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                r = mul(r, b);
            }
            b = mul(b, b);
            e >>= 1;
        }
        r
    };
    let d = (n - 1) >> (n - 1).trailing_zeros();
    let s = (n - 1).trailing_zeros();
    'bases: for a in BASES {
        let mut x = pow(a, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul(x, x);
            if x == n - 1 {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// The smallest prime larger than `n`, if it fits in a `u64`.
pub fn next_prime(n: u64) -> Option<u64> {
    (n.checked_add(1)?..=u64::MAX).find(|&p| is_prime(p))
}

/// The largest prime smaller than `n`, if any.
pub fn prev_prime(n: u64) -> Option<u64> {
    (2..n).rev().find(|&p| is_prime(p))
}

fn check_table_size(size: u64) -> Result<u32, AlgorithmError> {
    if !(2..=MAX_TABLE_SIZE).contains(&size) {
        return Err(AlgorithmError::TableSizeOutOfRange(size));
    }
    if !is_prime(size) {
        return Err(AlgorithmError::TableSizeNotPrime {
            size,
            below: prev_prime(size).unwrap_or(0),
            above: next_prime(size)
                .filter(|&p| p <= MAX_TABLE_SIZE)
                .unwrap_or(0),
        });
    }
    Ok(size as u32)
}

/// A node's permutation of the table: `(offset + j * skip) mod M`.
#[derive(Clone, Copy, Debug)]
struct Permutation {
    offset: u32,
    skip: u32,
}

/// Stride-scheduling pass (`taken / weight`), ordered totally.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Pass(f64);

impl Eq for Pass {}

impl PartialOrd for Pass {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Pass {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Maglev hashing: named, optionally weighted nodes and a prime-sized lookup table.
#[derive(Clone, Debug)]
pub struct Maglev {
    table_size: u32,
    hasher: KeyHasher,
    nodes: Members<Permutation>,
    table: Vec<u32>,
}

impl Maglev {
    /// An empty Maglev with a table of `table_size` entries (prime, `2..=MAX_TABLE_SIZE`;
    /// [`DEFAULT_TABLE_SIZE`] is the usual choice), hashing with BLAKE3.
    pub fn new(table_size: u64) -> Result<Maglev, AlgorithmError> {
        Maglev::with_hasher(table_size, KeyHasher::Blake3)
    }

    /// An empty Maglev with an explicit key hash.
    pub fn with_hasher(table_size: u64, hasher: KeyHasher) -> Result<Maglev, AlgorithmError> {
        Ok(Maglev {
            table_size: check_table_size(table_size)?,
            hasher,
            nodes: Members::default(),
            table: Vec::new(),
        })
    }

    /// The table size `M`.
    pub fn table_size(&self) -> u64 {
        self.table_size as u64
    }

    /// The lookup table: entry `i` is the index of the node that owns keys with
    /// `h(key) mod M == i`. Empty when there are no nodes.
    pub fn table(&self) -> &[u32] {
        &self.table
    }

    /// The key hash.
    pub fn hasher(&self) -> &KeyHasher {
        &self.hasher
    }

    /// The 64-bit hash of `key`.
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash(key)
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// True when there are no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node names in bytewise order (the order of node indexes).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.nodes.as_slice().iter().map(|m| &*m.name)
    }

    /// Name of node `index`.
    pub fn node_name(&self, index: usize) -> Option<&str> {
        self.nodes.get(index).map(|m| &*m.name)
    }

    /// Shared handle to the name of node `index`.
    pub fn node_name_arc(&self, index: usize) -> Option<&Arc<str>> {
        self.nodes.get(index).map(|m| &m.name)
    }

    /// Index of node `name`.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes.index_of(name)
    }

    /// True when `name` is a node.
    pub fn contains(&self, name: &str) -> bool {
        self.nodes.index_of(name).is_some()
    }

    /// Weight of node `name`.
    pub fn weight(&self, name: &str) -> Option<f64> {
        self.nodes
            .index_of(name)
            .map(|i| self.nodes.as_slice()[i].weight)
    }

    /// Weight of node `index`.
    pub fn weight_at(&self, index: usize) -> Option<f64> {
        self.nodes.get(index).map(|m| m.weight)
    }

    fn member(&self, name: &str, weight: f64) -> Member<Permutation> {
        let m = self.table_size as u64;
        Member {
            name: Arc::from(name),
            weight,
            data: Permutation {
                offset: (suffixed_hash(&self.hasher, name, 0) % m) as u32,
                skip: (suffixed_hash(&self.hasher, name, 1) % (m - 1) + 1) as u32,
            },
        }
    }

    fn check_room(&self, adding: usize) -> Result<(), AlgorithmError> {
        let nodes = self.nodes.len() + adding;
        if nodes as u64 >= self.table_size as u64 {
            return Err(AlgorithmError::TableTooSmall {
                table_size: self.table_size as u64,
                nodes,
            });
        }
        Ok(())
    }

    /// Add node `name` with `weight` (`MIN_WEIGHT..=MAX_WEIGHT`; 1.0 is the usual choice) and
    /// rebuild the table. On error nothing changes.
    pub fn add_node(&mut self, name: &str, weight: f64) -> Result<(), AlgorithmError> {
        self.add_nodes([(name, weight)])
    }

    /// Add many nodes with one rebuild; nothing is added unless all are valid and new.
    pub fn add_nodes<'a>(
        &mut self,
        nodes: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<(), AlgorithmError> {
        let batch = self.nodes.check_batch(nodes)?;
        self.check_room(batch.len())?;
        let members: Vec<Member<Permutation>> =
            batch.iter().map(|&(n, w)| self.member(n, w)).collect();
        self.nodes.extend(members);
        self.table = self.build();
        Ok(())
    }

    /// Remove node `name` and rebuild the table; returns its weight.
    pub fn remove_node(&mut self, name: &str) -> Result<f64, AlgorithmError> {
        let m = self.nodes.remove(name)?;
        self.table = self.build();
        Ok(m.weight)
    }

    /// Fill a fresh table from the membership.
    fn build(&self) -> Vec<u32> {
        let nodes = self.nodes.as_slice();
        if nodes.is_empty() {
            return Vec::new();
        }
        let size = self.table_size;
        let mut table = vec![EMPTY; size as usize];
        // Each node's next candidate entry; advancing by `skip` walks its permutation.
        let mut next: Vec<u32> = nodes.iter().map(|m| m.data.offset).collect();
        let mut take = |table: &mut [u32], i: usize| {
            let skip = nodes[i].data.skip;
            loop {
                let c = next[i];
                // c < size and skip < size, so the sum fits in u32 (size < 2^24).
                let n = c + skip;
                next[i] = if n >= size { n - size } else { n };
                if table[c as usize] == EMPTY {
                    table[c as usize] = i as u32;
                    return;
                }
            }
        };
        if self.nodes.uniform() {
            let mut filled = 0usize;
            'fill: loop {
                for i in 0..nodes.len() {
                    take(&mut table, i);
                    filled += 1;
                    if filled == size as usize {
                        break 'fill;
                    }
                }
            }
        } else {
            let mut taken = vec![0u64; nodes.len()];
            let mut turns: BinaryHeap<Reverse<(Pass, usize)>> =
                (0..nodes.len()).map(|i| Reverse((Pass(0.0), i))).collect();
            for _ in 0..size {
                let Some(Reverse((_, i))) = turns.pop() else {
                    break;
                };
                take(&mut table, i);
                taken[i] += 1;
                turns.push(Reverse((Pass(taken[i] as f64 / nodes[i].weight), i)));
            }
        }
        table
    }

    /// Index of the node that owns `key`.
    #[inline]
    pub fn get_index(&self, key: &[u8]) -> Result<usize, AlgorithmError> {
        if self.table.is_empty() {
            return Err(AlgorithmError::Empty(WHAT));
        }
        Ok(self.slot(self.hasher.hash(key)) as usize)
    }

    #[inline]
    fn slot(&self, h: u64) -> u32 {
        self.table[(h % self.table_size as u64) as usize]
    }

    /// Name of the node that owns `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Result<&str, AlgorithmError> {
        self.get_index(key).map(|i| &*self.nodes.as_slice()[i].name)
    }

    /// Look up a batch of keys; `out[i]` receives the node index of `keys[i]`. Large batches
    /// are split across the machine's cores.
    ///
    /// # Panics
    /// When `out` is shorter than `keys`.
    pub fn locate_many<K: AsRef<[u8]> + Sync>(
        &self,
        keys: &[K],
        out: &mut [u32],
    ) -> Result<(), AlgorithmError> {
        assert!(out.len() >= keys.len(), "output shorter than the batch");
        if self.table.is_empty() {
            return Err(AlgorithmError::Empty(WHAT));
        }
        locate_batch(keys, out, 1, &self.hasher, |h| self.slot(h));
        Ok(())
    }

    /// Table entries owned by each node, in node-index order.
    pub fn entry_counts(&self) -> Vec<usize> {
        let mut counts = vec![0usize; self.nodes.len()];
        for &i in &self.table {
            counts[i as usize] += 1;
        }
        counts
    }

    /// Each node's share of the table (its share of the keys), in node-index order.
    pub fn distribution(&self) -> Vec<f64> {
        let m = self.table_size as f64;
        self.entry_counts()
            .into_iter()
            .map(|c| c as f64 / m)
            .collect()
    }

    /// Approximate heap memory held, in bytes (the table dominates: 4 bytes per entry).
    pub fn memory_bytes(&self) -> usize {
        self.table.capacity() * 4 + self.nodes.memory_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trial_division(n: u64) -> bool {
        n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0)
    }

    #[test]
    fn primality_matches_trial_division() {
        for n in 0..20_000 {
            assert_eq!(is_prime(n), trial_division(n), "{n}");
        }
        for n in [
            65_537,
            MAX_TABLE_SIZE,
            655_373,
            4_294_967_291,
            18_446_744_073_709_551_557,
        ] {
            assert!(is_prime(n), "{n}");
        }
        // Strong pseudoprimes to several bases, and a Carmichael number.
        for n in [
            3_215_031_751,
            2_152_302_898_747,
            3_825_123_056_546_413_051,
            561,
        ] {
            assert!(!is_prime(n), "{n}");
        }
        assert!(!is_prime(1 << 24));
        assert_eq!(next_prime(65_536), Some(65_537));
        assert_eq!(prev_prime(65_536), Some(65_521));
        assert_eq!(prev_prime(2), None);
        assert_eq!(next_prime(u64::MAX), None);
    }

    #[test]
    fn weighted_build_with_equal_weights_is_the_plain_build() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let mut plain = Maglev::new(10_007).unwrap();
        plain.add_nodes(names.map(|n| (n, 3.0))).unwrap();
        let mut heap = plain.clone();
        // Force the stride-scheduling path with the same (equal) weights.
        let forced = {
            let nodes = heap.nodes.as_slice();
            let size = heap.table_size;
            let mut table = vec![EMPTY; size as usize];
            let mut next: Vec<u32> = nodes.iter().map(|m| m.data.offset).collect();
            let mut taken = vec![0u64; nodes.len()];
            let mut turns: BinaryHeap<Reverse<(Pass, usize)>> =
                (0..nodes.len()).map(|i| Reverse((Pass(0.0), i))).collect();
            for _ in 0..size {
                let Reverse((_, i)) = turns.pop().unwrap();
                loop {
                    let c = next[i];
                    next[i] = (c + nodes[i].data.skip) % size;
                    if table[c as usize] == EMPTY {
                        table[c as usize] = i as u32;
                        break;
                    }
                }
                taken[i] += 1;
                turns.push(Reverse((Pass(taken[i] as f64 / nodes[i].weight), i)));
            }
            table
        };
        heap.table = forced;
        assert_eq!(plain.table(), heap.table());
    }
}
