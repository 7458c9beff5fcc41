//! Consistent-hash placement: the ringpax ring.
//!
//! # Placement spec (identical on every face; `tests/vectors/ring.json` pins it)
//! - `h(b)`: the first 8 bytes of BLAKE3(b), little-endian (see [`KeyHasher`]).
//! - A node `N` of weight `w` owns `replicas * w` points `h(UTF-8(N) + "#" + decimal(i))`.
//! - A key belongs to the node of the first point `>= h(key)`, wrapping to the smallest point.
//!   Equal points are ordered by node name, bytewise; the first wins.
//! - [`Ring::get_nodes`] walks clockwise from there collecting distinct nodes.
//!
//! Other [`Scheme`]s reproduce uhashring's and ketama's placements key for key.
//!
//! [`Ring`] is placement only and is cheap to clone into a snapshot; [`TrackedRing`] adds the
//! set of tracked keys and computes exact migration plans when membership changes.
//!
//! Positions: a key's *position* is the scheme's hash of it; the continuum is searched for the
//! first point `>=` its *search key* (the position, or position + 1 for the strictly-greater
//! rule). Tracked keys are indexed by search key.

pub mod algorithms;
// The one module with `unsafe`: SIMD intrinsics, each call behind a CPU check (see its docs).
#[allow(unsafe_code)]
mod blake3_lanes;
mod continuum;
mod error;
mod hash;
mod scheme;
mod shared;
mod tracked;

use std::sync::Arc;

use continuum::Continuum;
pub use error::RingError;
pub use hash::KeyHasher;
pub use scheme::Scheme;
pub use shared::{Published, SharedRing, Snapshot};
pub use tracked::{Move, TrackedRing};

/// Default number of points per unit of weight.
pub const DEFAULT_REPLICAS: u32 = 160;
/// Largest accepted `replicas`.
pub const MAX_REPLICAS: u32 = 1 << 20;
/// Largest accepted node weight.
pub const MAX_WEIGHT: u32 = 1 << 20;
/// Largest number of points (`replicas * weight`) one node may own.
pub const MAX_POINTS_PER_NODE: u64 = 1 << 24;
/// Batches at least this long are split across threads by [`Ring::locate_many`].
pub const PARALLEL_BATCH: usize = 1 << 15;
/// The number of threads batch lookups split into: the machine's available parallelism, asked
/// once (the query reads cgroup files, far slower than a small batch).
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Keys copied end to end: key `i` is `bytes[ends[i - 1]..ends[i]]`.
struct PackedKeys {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

/// A batch lookup whose keys only the calling thread can read (a binding reading them out of
/// its runtime's objects, under that runtime's lock): `key(i, buf)` appends the bytes of key
/// `i` to `buf`, for `i` in `0..out.len()`, in order, on the calling thread, while other
/// threads (one fewer than the machine's cores) already run `locate` on the keys read so far,
/// [`STREAM_CHUNK`] at a time. The keys are copied, so the caller's objects are not needed once
/// `key` returns. After the last key the calling thread helps finish inside `finish`, which
/// must call the function it is given once (a binding can release its lock around it).
///
/// `locate(keys, out)` fills `out[i]` for `keys[i]` (batches of at most 64 keys). Returns the
/// first error of `key`, which stops the reading (entries of `out` from there on are
/// unspecified).
pub fn stream_lookups<E>(
    out: &mut [u32],
    mut key: impl FnMut(usize, &mut Vec<u8>) -> Result<(), E>,
    finish: impl FnOnce(&(dyn Fn() + Sync)),
    locate: impl Fn(&[&[u8]], &mut [u32]) + Sync,
) -> Result<(), E> {
    let locate_packed = |keys: &PackedKeys, out: &mut [u32]| {
        const GROUP: usize = 64;
        let mut start = 0;
        let mut group: [&[u8]; GROUP] = [&[]; GROUP];
        for (ends, os) in keys.ends.chunks(GROUP).zip(out.chunks_mut(GROUP)) {
            for (slot, &end) in group.iter_mut().zip(ends) {
                *slot = &keys.bytes[start..end];
                start = end;
            }
            locate(&group[..ends.len()], os);
        }
    };
    let helpers = cores() - 1;
    let mut failed = None;
    crossbeam::scope(|s| {
        let (tx, rx) = crossbeam::channel::unbounded::<(PackedKeys, &mut [u32])>();
        for _ in 0..helpers {
            let rx = rx.clone();
            let locate_packed = &locate_packed;
            s.spawn(move |_| {
                for (keys, o) in rx {
                    locate_packed(&keys, o);
                }
            });
        }
        let mut next = 0;
        'read: for os in out.chunks_mut(STREAM_CHUNK) {
            let mut keys = PackedKeys {
                bytes: Vec::with_capacity(os.len() * 16),
                ends: Vec::with_capacity(os.len()),
            };
            for _ in 0..os.len() {
                if let Err(e) = key(next, &mut keys.bytes) {
                    failed = Some(e);
                    break 'read;
                }
                keys.ends.push(keys.bytes.len());
                next += 1;
            }
            // The receivers outlive the sender, so the send cannot fail.
            let _ = tx.send((keys, os));
        }
        drop(tx);
        let work = || {
            for (keys, o) in rx.iter() {
                locate_packed(&keys, o);
            }
        };
        finish(&work);
    })
    .expect("lookup threads do not panic");
    failed.map_or(Ok(()), Err)
}

/// Keys per piece of work in [`stream_lookups`].
pub const STREAM_CHUNK: usize = 4096;

#[derive(Clone, Debug)]
struct Node {
    name: Arc<str>,
    weight: u32,
    /// Insertion number: orders equal points in the compatibility schemes.
    seq: u64,
    /// This node's point hashes, sorted ascending (cached so membership changes rehash only the
    /// node that changed).
    points: Arc<[u64]>,
}

/// A consistent-hash ring: nodes, weights and the continuum built from them.
///
/// Node indexes (`get_index`, `node_name`) follow the bytewise order of node names and are valid
/// until the next membership change.
#[derive(Clone, Debug)]
pub struct Ring {
    replicas: u32,
    scheme: Scheme,
    nodes: Vec<Node>,
    next_seq: u64,
    continuum: Arc<Continuum>,
}

impl Ring {
    /// An empty ring with `replicas` points per unit of weight, hashing with BLAKE3.
    pub fn new(replicas: u32) -> Result<Ring, RingError> {
        Ring::with_hasher(replicas, KeyHasher::Blake3)
    }

    /// An empty ring with an explicit hash function.
    pub fn with_hasher(replicas: u32, hasher: KeyHasher) -> Result<Ring, RingError> {
        Ring::with_scheme(replicas, Scheme::Ringpax(hasher))
    }

    /// An empty ring with an explicit placement scheme. With [`Scheme::Ketama`], `replicas` is
    /// the number of points of a server of average weight (160 in twemproxy) and must be a
    /// multiple of 4.
    pub fn with_scheme(replicas: u32, scheme: Scheme) -> Result<Ring, RingError> {
        if replicas == 0
            || replicas > MAX_REPLICAS
            || (scheme == Scheme::Ketama && replicas % 4 != 0)
        {
            return Err(RingError::InvalidReplicas(replicas as i64));
        }
        Ok(Ring {
            replicas,
            scheme,
            nodes: Vec::new(),
            next_seq: 0,
            continuum: Arc::new(Continuum::default()),
        })
    }

    /// The placement scheme.
    pub fn scheme(&self) -> &Scheme {
        &self.scheme
    }

    /// Points per unit of weight.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// The ring position of a key (its hash under this ring's scheme).
    #[inline]
    pub fn hash(&self, key: &[u8]) -> u64 {
        self.scheme.position(key)
    }

    /// The value the continuum is searched from for `key` (see the module docs).
    #[inline]
    pub fn search_key(&self, key: &[u8]) -> u64 {
        self.scheme.search_key(self.scheme.position(key))
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn continuum_arc(&self) -> &Arc<Continuum> {
        &self.continuum
    }

    /// Number of points on the continuum.
    pub fn point_count(&self) -> usize {
        self.continuum.len()
    }

    /// True when the ring has no nodes.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Node names in bytewise order (the order of node indexes).
    pub fn nodes(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.nodes.iter().map(|n| &*n.name)
    }

    /// Name of node `index`, if it exists.
    pub fn node_name(&self, index: usize) -> Option<&str> {
        self.nodes.get(index).map(|n| &*n.name)
    }

    /// Shared handle to the name of node `index`.
    pub fn node_name_arc(&self, index: usize) -> Option<&Arc<str>> {
        self.nodes.get(index).map(|n| &n.name)
    }

    /// Index of node `name`.
    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.nodes
            .binary_search_by(|n| n.name.as_bytes().cmp(name.as_bytes()))
            .ok()
    }

    /// True when `name` is a node of this ring.
    pub fn contains(&self, name: &str) -> bool {
        self.node_index(name).is_some()
    }

    /// Weight of node `name`.
    pub fn weight(&self, name: &str) -> Option<u32> {
        self.node_index(name).map(|i| self.nodes[i].weight)
    }

    /// Validate a prospective node without changing the ring.
    pub fn check_new_node(&self, name: &str, weight: u32) -> Result<(), RingError> {
        if name.is_empty() {
            return Err(RingError::EmptyNodeName);
        }
        if weight == 0 || weight > MAX_WEIGHT {
            return Err(RingError::InvalidWeight(weight as i64));
        }
        let points = self.replicas as u64 * weight as u64;
        if points > MAX_POINTS_PER_NODE {
            return Err(RingError::TooManyPoints {
                node: name.to_owned(),
                points,
            });
        }
        if self.contains(name) {
            return Err(RingError::DuplicateNode(name.to_owned()));
        }
        Ok(())
    }

    /// Add node `name` with `weight` (>= 1).
    pub fn add_node(&mut self, name: &str, weight: u32) -> Result<(), RingError> {
        self.add_nodes([(name, weight)])
    }

    /// Add many nodes at once (one rebuild instead of one per node). Nothing is added unless
    /// every node is valid.
    pub fn add_nodes<'a>(
        &mut self,
        nodes: impl IntoIterator<Item = (&'a str, u32)>,
    ) -> Result<(), RingError> {
        let mut added: Vec<(&str, u32)> = Vec::new();
        for (name, weight) in nodes {
            self.check_new_node(name, weight)?;
            if added.iter().any(|&(n, _)| n == name) {
                return Err(RingError::DuplicateNode(name.to_owned()));
            }
            added.push((name, weight));
        }
        let total_weight: u64 = self.nodes.iter().map(|n| n.weight as u64).sum::<u64>()
            + added.iter().map(|&(_, w)| w as u64).sum::<u64>();
        let count = self.nodes.len() + added.len();
        let mut fresh: Vec<Node> = added
            .iter()
            .map(|&(name, weight)| {
                let seq = self.next_seq;
                self.next_seq += 1;
                Node {
                    name: Arc::from(name),
                    weight,
                    seq,
                    points: self
                        .scheme
                        .points(name, self.replicas, weight, total_weight, count)
                        .into(),
                }
            })
            .collect();
        if fresh.len() == 1 && !self.scheme.points_depend_on_membership() {
            // One node joining: merge its points in, linear in the ring size, no sort.
            let node = fresh.pop().expect("one node");
            let at = self
                .nodes
                .partition_point(|n| n.name.as_bytes() < node.name.as_bytes());
            let points = node.points.clone();
            self.nodes.insert(at, node);
            let ranks: Vec<u64> = self.tie_ranks();
            self.continuum = Arc::new(self.continuum.with_owner_inserted(
                at as u32,
                &points,
                |o| ranks[o as usize],
            ));
            return Ok(());
        }
        self.nodes.extend(fresh);
        self.nodes
            .sort_unstable_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        self.rebuild();
        Ok(())
    }

    fn tie_ranks(&self) -> Vec<u64> {
        self.scheme
            .tie_ranks(self.nodes.iter().map(|n| (&*n.name, n.seq)))
    }

    /// Remove node `name`; returns its weight.
    pub fn remove_node(&mut self, name: &str) -> Result<u32, RingError> {
        let at = self
            .node_index(name)
            .ok_or_else(|| RingError::UnknownNode(name.to_owned()))?;
        let node = self.nodes.remove(at);
        if self.scheme.points_depend_on_membership() {
            self.rebuild();
        } else {
            self.continuum = Arc::new(self.continuum.with_owner_removed(at as u32, &node.points));
        }
        Ok(node.weight)
    }

    fn rebuild(&mut self) {
        if self.scheme.points_depend_on_membership() {
            let total_weight: u64 = self.nodes.iter().map(|n| n.weight as u64).sum();
            let count = self.nodes.len();
            for n in &mut self.nodes {
                n.points = self
                    .scheme
                    .points(&n.name, self.replicas, n.weight, total_weight, count)
                    .into();
            }
        }
        let ranks = self.tie_ranks();
        let total: usize = self.nodes.iter().map(|n| n.points.len()).sum();
        let mut entries = Vec::with_capacity(total);
        for (idx, node) in self.nodes.iter().enumerate() {
            entries.extend(node.points.iter().map(|&p| (p, ranks[idx], idx as u32)));
        }
        self.continuum = Arc::new(Continuum::from_entries(entries));
    }

    /// Index of the node owning search key `h` (see [`Ring::search_key`]), or `None` on an
    /// empty ring.
    #[inline]
    pub fn locate_hash(&self, h: u64) -> Option<usize> {
        if self.continuum.is_empty() {
            None
        } else {
            Some(self.continuum.owner_of(h) as usize)
        }
    }

    /// Index of the node owning `key`.
    #[inline]
    pub fn get_index(&self, key: &[u8]) -> Result<usize, RingError> {
        if self.continuum.is_empty() {
            return Err(RingError::EmptyRing);
        }
        Ok(self.continuum.owner_of(self.search_key(key)) as usize)
    }

    /// Name of the node owning `key`.
    #[inline]
    pub fn get(&self, key: &[u8]) -> Result<&str, RingError> {
        self.get_index(key).map(|i| &*self.nodes[i].name)
    }

    /// Indexes of up to `n` distinct nodes for `key`, clockwise from its owner (a preference
    /// list). Fewer than `n` when the ring has fewer nodes.
    pub fn get_nodes_index(&self, key: &[u8], n: usize) -> Result<Vec<usize>, RingError> {
        if self.continuum.is_empty() {
            return Err(RingError::EmptyRing);
        }
        Ok(self.walk_from(self.search_key(key), n))
    }

    /// Names of up to `n` distinct nodes for `key`, clockwise from its owner.
    pub fn get_nodes(&self, key: &[u8], n: usize) -> Result<Vec<&str>, RingError> {
        Ok(self
            .get_nodes_index(key, n)?
            .into_iter()
            .map(|i| &*self.nodes[i].name)
            .collect())
    }

    fn walk_from(&self, h: u64, n: usize) -> Vec<usize> {
        self.walk(h).take(n).collect()
    }

    /// Distinct node indexes clockwise from search key `h`: the owner first, then each node
    /// the first time one of its points is passed. Lazy, so callers that stop early (bounded
    /// loads looking for a node with room) pay only for the points they pass.
    pub fn walk(&self, h: u64) -> impl Iterator<Item = usize> + '_ {
        let len = self.continuum.len();
        let start = if len == 0 {
            0
        } else {
            self.continuum.position(h)
        };
        let mut seen = vec![false; self.nodes.len()];
        let mut found = 0;
        (0..len)
            .map(move |step| self.continuum.owner((start + step) % len) as usize)
            .filter(move |&owner| {
                if found == seen.len() || seen[owner] {
                    return false;
                }
                seen[owner] = true;
                found += 1;
                true
            })
    }

    /// Look up a batch of keys; `out[i]` receives the node index of `keys[i]`. Batches of at
    /// least [`PARALLEL_BATCH`] keys are split across the machine's cores.
    ///
    /// # Panics
    /// When `out` is shorter than `keys`.
    pub fn locate_many<K: AsRef<[u8]> + Sync>(
        &self,
        keys: &[K],
        out: &mut [u32],
    ) -> Result<(), RingError> {
        assert!(out.len() >= keys.len(), "output shorter than the batch");
        if self.continuum.is_empty() {
            return Err(RingError::EmptyRing);
        }
        let out = &mut out[..keys.len()];
        let threads = cores();
        if keys.len() < PARALLEL_BATCH || threads < 2 {
            self.locate_chunk(keys, out);
            return Ok(());
        }
        let chunk = keys.len().div_ceil(threads);
        crossbeam::scope(|s| {
            for (k, o) in keys.chunks(chunk).zip(out.chunks_mut(chunk)) {
                s.spawn(move |_| self.locate_chunk(k, o));
            }
        })
        .expect("lookup threads do not panic");
        Ok(())
    }

    /// [`locate_many`](Ring::locate_many) for keys that only the calling thread can read (a
    /// binding reading them out of its runtime's objects), through [`stream_lookups`]: `key(i,
    /// buf)` appends the bytes of key `i` to `buf`, while other threads already look up the
    /// keys read so far; the calling thread helps finish inside `finish`.
    ///
    /// Returns `Err` for an empty ring (before calling `key`), else `Ok` of the first error of
    /// `key`, which stops the reading (entries of `out` from there on are unspecified).
    pub fn locate_streamed<E>(
        &self,
        out: &mut [u32],
        key: impl FnMut(usize, &mut Vec<u8>) -> Result<(), E>,
        finish: impl FnOnce(&(dyn Fn() + Sync)),
    ) -> Result<Result<(), E>, RingError> {
        if self.continuum.is_empty() {
            return Err(RingError::EmptyRing);
        }
        Ok(stream_lookups(out, key, finish, |keys, o| {
            self.locate_chunk(keys, o)
        }))
    }

    fn locate_chunk<K: AsRef<[u8]>>(&self, keys: &[K], out: &mut [u32]) {
        if let Scheme::Ringpax(hasher) = &self.scheme {
            hasher.map_hashes(keys, out, |p| self.continuum.owner_of(p));
            return;
        }
        for (k, o) in keys.iter().zip(out.iter_mut()) {
            *o = self.continuum.owner_of(self.search_key(k.as_ref()));
        }
    }

    /// Share of the hash space owned by each node, in node-index order; sums to 1.
    pub fn distribution(&self) -> Vec<f64> {
        let mut share = vec![0f64; self.nodes.len()];
        let len = self.continuum.len();
        if len == 0 {
            return share;
        }
        const SPACE: f64 = 18_446_744_073_709_551_616.0; // 2^64
        let mut pos = 0;
        while pos < len {
            let v = self.continuum.point(pos);
            // Only the first point of a run of equal values owns the arc ending at it.
            let arc = match self.continuum.prev_distinct(v) {
                None => SPACE,
                Some(p) => v.wrapping_sub(p) as f64,
            };
            share[self.continuum.owner(pos) as usize] += arc / SPACE;
            while pos < len && self.continuum.point(pos) == v {
                pos += 1;
            }
        }
        share
    }

    /// Approximate heap memory held by the ring, in bytes.
    pub fn memory_bytes(&self) -> usize {
        self.continuum.memory_bytes()
            + self
                .nodes
                .iter()
                .map(|n| n.points.len() * 8 + n.name.len() + std::mem::size_of::<Node>())
                .sum::<usize>()
    }

    /// Ranges of ring positions `(lo, hi]` whose owner may change when `name`'s points are added
    /// to (or removed from) `self`; `self` must contain `name`'s points. Wrapping arcs are split.
    fn arcs_of(&self, name: &str) -> Vec<(std::ops::Bound<u64>, u64)> {
        use std::ops::Bound::{Excluded, Unbounded};
        let Some(i) = self.node_index(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut last = None;
        for &v in self.nodes[i].points.iter() {
            if last == Some(v) {
                continue;
            }
            last = Some(v);
            match self.continuum.prev_distinct(v) {
                None => return vec![(Unbounded, u64::MAX)],
                Some(p) if p < v => out.push((Excluded(p), v)),
                Some(p) => {
                    if p < u64::MAX {
                        out.push((Excluded(p), u64::MAX));
                    }
                    out.push((Unbounded, v));
                }
            }
        }
        out
    }
}
