//! Weighted rendezvous (highest random weight) hashing: Thaler & Ravishankar's HRW, weighted
//! by the logarithm method of Schindelhauer & Schomaker ("Weighted distributed hash tables",
//! SPAA 2005), as in "weighted rendezvous hashing": node `i` scores `-w_i / ln(u_i)` with `u_i`
//! a uniform hash of (node, key) in (0, 1). `-1/ln(u)` is distributed so that the node with the
//! highest score is node `i` with probability exactly `w_i / sum(w)`.
//!
//! Every lookup scores every node, so a lookup costs O(n): that is inherent to rendezvous
//! hashing, and the price of its guarantees: any node may join or leave with any weight, only
//! the keys whose winner changes move (the keys of a leaving node, the keys a joining node
//! wins), and the top-`k` list is a natural replica set that changes minimally too. The key is
//! hashed once with the [`KeyHasher`]; each node costs one 64-bit mix (and a logarithm when
//! weights differ). With equal weights the logarithm is skipped: the highest `s` wins, which is
//! the same order.
//!
//! Invariants: as for the node set (bytewise name order, unique non-empty names, weights in
//! range); each member keeps `h(UTF-8(name))`.
use std::sync::Arc;

use super::members::{Member, Members};
use super::{AlgorithmError, KeyHasher, locate_batch};

const WHAT: &str = "rendezvous set";

/// The SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `-weight / ln(u)` with `u = ((s >> 12) + 0.5) / 2^52`: exact in an `f64` and strictly inside
/// (0, 1) (53 bits would round the top value up to 1).
#[inline]
fn score(weight: f64, s: u64) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 52) as f64;
    let u = ((s >> 12) as f64 + 0.5) * SCALE;
    -weight / u.ln()
}

/// Weighted rendezvous hashing over named nodes.
#[derive(Clone, Debug)]
pub struct Rendezvous {
    hasher: KeyHasher,
    /// `data` is the node's seed `h(UTF-8(name))`.
    nodes: Members<u64>,
    /// Every weight is equal: compare `s` directly.
    uniform: bool,
}

impl Default for Rendezvous {
    fn default() -> Self {
        Rendezvous::new()
    }
}

impl Rendezvous {
    /// An empty set hashing with BLAKE3.
    pub fn new() -> Rendezvous {
        Rendezvous::with_hasher(KeyHasher::Blake3)
    }

    /// An empty set with an explicit key hash.
    pub fn with_hasher(hasher: KeyHasher) -> Rendezvous {
        Rendezvous {
            hasher,
            nodes: Members::default(),
            uniform: true,
        }
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

    fn member(&self, name: &str, weight: f64) -> Member<u64> {
        Member {
            name: Arc::from(name),
            weight,
            data: self.hasher.hash(name.as_bytes()),
        }
    }

    /// Add node `name` with `weight` (`MIN_WEIGHT..=MAX_WEIGHT`; 1.0 is the usual choice).
    /// Only keys the new node now wins move, all to it.
    pub fn add_node(&mut self, name: &str, weight: f64) -> Result<(), AlgorithmError> {
        self.nodes.check_new(name, weight)?;
        let m = self.member(name, weight);
        self.nodes.insert(m);
        self.uniform = self.nodes.uniform();
        Ok(())
    }

    /// Add many nodes; nothing is added unless all are valid and new.
    pub fn add_nodes<'a>(
        &mut self,
        nodes: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<(), AlgorithmError> {
        let batch = self.nodes.check_batch(nodes)?;
        let members: Vec<Member<u64>> = batch.iter().map(|&(n, w)| self.member(n, w)).collect();
        self.nodes.extend(members);
        self.uniform = self.nodes.uniform();
        Ok(())
    }

    /// Remove node `name`; returns its weight. Only the keys it owned move.
    pub fn remove_node(&mut self, name: &str) -> Result<f64, AlgorithmError> {
        let m = self.nodes.remove(name)?;
        self.uniform = self.nodes.uniform();
        Ok(m.weight)
    }

    /// Index of the winning node for a key hash `h`; the set must not be empty.
    #[inline]
    fn winner(&self, h: u64) -> usize {
        let nodes = self.nodes.as_slice();
        let mut best = 0;
        let mut best_s = mix(h ^ nodes[0].data);
        if self.uniform {
            for (i, m) in nodes.iter().enumerate().skip(1) {
                let s = mix(h ^ m.data);
                if s > best_s {
                    best = i;
                    best_s = s;
                }
            }
        } else {
            let mut best_score = score(nodes[0].weight, best_s);
            for (i, m) in nodes.iter().enumerate().skip(1) {
                let s = mix(h ^ m.data);
                let sc = score(m.weight, s);
                if sc > best_score || (sc == best_score && s > best_s) {
                    best = i;
                    best_s = s;
                    best_score = sc;
                }
            }
        }
        best
    }

    /// Index of the node that owns `key`.
    #[inline]
    pub fn get_index(&self, key: &[u8]) -> Result<usize, AlgorithmError> {
        if self.nodes.is_empty() {
            return Err(AlgorithmError::Empty(WHAT));
        }
        Ok(self.winner(self.hasher.hash(key)))
    }

    /// Name of the node that owns `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Result<&str, AlgorithmError> {
        self.get_index(key).map(|i| &*self.nodes.as_slice()[i].name)
    }

    /// Indexes of the `k` highest-scoring nodes for `key`, best first (the first is
    /// [`get_index`](Self::get_index)). `k` may not exceed the node count.
    pub fn get_nodes_index(&self, key: &[u8], k: usize) -> Result<Vec<usize>, AlgorithmError> {
        if self.nodes.is_empty() {
            return Err(AlgorithmError::Empty(WHAT));
        }
        if k > self.nodes.len() {
            return Err(AlgorithmError::TooManyRequested {
                requested: k,
                nodes: self.nodes.len(),
            });
        }
        if k == 0 {
            return Ok(Vec::new());
        }
        let h = self.hasher.hash(key);
        // (score, s, index): larger score, then larger s, then smaller index ranks first.
        let mut ranked: Vec<(f64, u64, usize)> = self
            .nodes
            .as_slice()
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let s = mix(h ^ m.data);
                let sc = if self.uniform {
                    0.0
                } else {
                    score(m.weight, s)
                };
                (sc, s, i)
            })
            .collect();
        let order = |a: &(f64, u64, usize), b: &(f64, u64, usize)| {
            b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2))
        };
        if k < ranked.len() {
            ranked.select_nth_unstable_by(k - 1, order);
            ranked.truncate(k);
        }
        ranked.sort_unstable_by(order);
        Ok(ranked.into_iter().map(|(_, _, i)| i).collect())
    }

    /// Names of the `k` highest-scoring nodes for `key`, best first.
    pub fn get_nodes(&self, key: &[u8], k: usize) -> Result<Vec<&str>, AlgorithmError> {
        Ok(self
            .get_nodes_index(key, k)?
            .into_iter()
            .map(|i| &*self.nodes.as_slice()[i].name)
            .collect())
    }

    /// Look up a batch of keys; `out[i]` receives the node index of `keys[i]`. Large batches
    /// (counting keys x nodes) are split across the machine's cores.
    ///
    /// # Panics
    /// When `out` is shorter than `keys`.
    pub fn locate_many<K: AsRef<[u8]> + Sync>(
        &self,
        keys: &[K],
        out: &mut [u32],
    ) -> Result<(), AlgorithmError> {
        assert!(out.len() >= keys.len(), "output shorter than the batch");
        if self.nodes.is_empty() {
            return Err(AlgorithmError::Empty(WHAT));
        }
        let work = 1 + self.nodes.len() / 16;
        locate_batch(keys, out, work, &self.hasher, |h| self.winner(h) as u32);
        Ok(())
    }

    /// Each node's expected share of the keys, `w / sum(w)`, in node-index order.
    pub fn distribution(&self) -> Vec<f64> {
        let total: f64 = self.nodes.as_slice().iter().map(|m| m.weight).sum();
        self.nodes
            .as_slice()
            .iter()
            .map(|m| m.weight / total)
            .collect()
    }

    /// Approximate heap memory held, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.nodes.memory_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_is_monotone_in_s_and_finite() {
        let mut last = 0.0;
        for s in [
            0,
            1 << 11,
            1 << 40,
            u64::MAX / 2,
            u64::MAX - (1 << 11),
            u64::MAX,
        ] {
            let sc = score(1.0, s);
            assert!(sc.is_finite() && sc > 0.0 && sc >= last, "{s}: {sc}");
            last = sc;
        }
    }

    #[test]
    fn mix_is_splitmix64() {
        // SplitMix64's first output for seed 0 is mix(0x9e3779b97f4a7c15).
        assert_eq!(mix(0x9e37_79b9_7f4a_7c15), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn uniform_fast_path_equals_scored_path() {
        let mut r = Rendezvous::new();
        r.add_nodes(["n0", "n1", "n2", "n3", "n4"].map(|n| (n, 2.0)))
            .unwrap();
        let mut scored = r.clone();
        scored.uniform = false;
        for i in 0..5000u32 {
            let k = i.to_le_bytes();
            assert_eq!(r.get_index(&k), scored.get_index(&k));
            assert_eq!(r.get_nodes_index(&k, 5), scored.get_nodes_index(&k, 5));
        }
    }
}
