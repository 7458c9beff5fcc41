//! Tracked keys, migration plans, and bounded loads.
//!
//! Invariants:
//! - every tracked key is stored under its search key in `keys`, so the keys that can move when
//!   a node joins or leaves are found by range queries over that node's arcs: a membership change
//!   costs time proportional to the keys in those arcs, not to all tracked keys (ketama, whose
//!   points all change with membership, diffs every key);
//! - with bounded loads (Mirrokni, Thorup, Zadimoghaddam, "Consistent Hashing with Bounded
//!   Loads", SODA 2018) every tracked key has an assigned node, no node holds more than
//!   `ceil(load_factor * tracked / nodes)` keys after any operation, and a key is moved only when
//!   the bound or a membership change forces it (or a new node is the first node with room on its
//!   clockwise walk). `displaced` holds the keys that are not on their natural owner, the only
//!   keys besides a new node's arcs that may prefer a new node.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::ops::Bound::{self, Included};
use std::sync::Arc;

use indexmap::{IndexMap, IndexSet};

use super::{Ring, RingError};

/// One entry of a migration plan: `key` moves from node `source` to node `target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move<K> {
    /// The tracked key.
    pub key: K,
    /// The node that held it before the operation.
    pub source: Arc<str>,
    /// The node that holds it after the operation.
    pub target: Arc<str>,
}

#[derive(Clone, Debug)]
struct Bounded<K: Hash + Eq> {
    factor: f64,
    assigned: HashMap<K, Arc<str>>,
    members: HashMap<Arc<str>, IndexSet<K>>,
    displaced: IndexSet<K>,
}

/// A [`Ring`] plus a set of tracked keys of type `K`, optionally with bounded loads.
///
/// `K` is whatever the caller wants back in migration plans; its bytes (`AsRef<[u8]>`) decide
/// placement, and two keys are the same key when they are `==`.
#[derive(Clone, Debug)]
pub struct TrackedRing<K: Hash + Eq> {
    ring: Ring,
    keys: BTreeMap<u64, Vec<K>>,
    tracked: usize,
    bounded: Option<Bounded<K>>,
}

/// Collects moves so that a key moved twice in one operation is reported once, from where it
/// was before the operation to where it ends up.
struct Plan<K: Hash + Eq> {
    first_source: IndexMap<K, Arc<str>>,
}

impl<K: Hash + Eq + Clone> Plan<K> {
    fn new() -> Self {
        Plan {
            first_source: IndexMap::new(),
        }
    }

    fn record(&mut self, key: &K, source: &Arc<str>) {
        if !self.first_source.contains_key(key) {
            self.first_source.insert(key.clone(), source.clone());
        }
    }

    fn finish(self, now: impl Fn(&K) -> Arc<str>) -> Vec<Move<K>> {
        self.first_source
            .into_iter()
            .filter_map(|(key, source)| {
                let target = now(&key);
                (target != source).then_some(Move {
                    key,
                    source,
                    target,
                })
            })
            .collect()
    }
}

impl<K: AsRef<[u8]> + Eq + Hash + Clone> TrackedRing<K> {
    /// Track keys on `ring` by plain consistent hashing.
    pub fn new(ring: Ring) -> Self {
        TrackedRing {
            ring,
            keys: BTreeMap::new(),
            tracked: 0,
            bounded: None,
        }
    }

    /// Track keys on `ring` with bounded loads: no node holds more than
    /// `ceil(load_factor * tracked / nodes)` keys. `load_factor` must be a finite number >= 1.
    pub fn with_bounded_loads(ring: Ring, load_factor: f64) -> Result<Self, RingError> {
        if !(load_factor.is_finite() && load_factor >= 1.0) {
            return Err(RingError::InvalidLoadFactor(load_factor.to_string()));
        }
        let mut t = TrackedRing::new(ring);
        t.bounded = Some(Bounded {
            factor: load_factor,
            assigned: HashMap::new(),
            members: HashMap::new(),
            displaced: IndexSet::new(),
        });
        Ok(t)
    }

    /// The placement ring.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// Number of tracked keys.
    pub fn tracked_len(&self) -> usize {
        self.tracked
    }

    /// The load factor, when loads are bounded.
    pub fn load_factor(&self) -> Option<f64> {
        self.bounded.as_ref().map(|b| b.factor)
    }

    /// The current bound on keys per node, when loads are bounded.
    pub fn load_bound(&self) -> Option<usize> {
        let b = self.bounded.as_ref()?;
        Some(capacity(b.factor, self.tracked, self.ring.node_count()))
    }

    /// Tracked keys per node, in node-index order.
    pub fn loads(&self) -> Vec<usize> {
        let mut loads = vec![0usize; self.ring.node_count()];
        match &self.bounded {
            Some(b) => {
                for (i, name) in self.ring.nodes().enumerate() {
                    loads[i] = b.members.get(name).map_or(0, |m| m.len());
                }
            }
            None => {
                for (&s, bucket) in &self.keys {
                    if let Some(i) = self.ring.locate_hash(s) {
                        loads[i] += bucket.len();
                    }
                }
            }
        }
        loads
    }

    /// The node index a tracked key is assigned to (`None` when it is not tracked). Without
    /// bounded loads this is its owner on the ring.
    pub fn assigned(&self, key: &K) -> Option<usize> {
        match &self.bounded {
            Some(b) => b.assigned.get(key).and_then(|n| self.ring.node_index(n)),
            None => self.is_tracked(key).then(|| {
                self.ring
                    .locate_hash(self.ring.search_key(key.as_ref()))
                    .unwrap_or_default()
            }),
        }
    }

    /// Where `key` is (tracked: its assigned node) or would be looked up (untracked: its owner).
    pub fn get_index(&self, key: &K) -> Result<usize, RingError> {
        if let Some(b) = &self.bounded {
            if let Some(n) = b.assigned.get(key) {
                return self.ring.node_index(n).ok_or(RingError::EmptyRing);
            }
        }
        self.ring.get_index(key.as_ref())
    }

    /// Track `key`; returns the index of the node it is assigned to. Tracking a key twice is a
    /// no-op.
    pub fn add(&mut self, key: K) -> Result<usize, RingError> {
        let s = self.ring.search_key(key.as_ref());
        let natural = self.ring.locate_hash(s).ok_or(RingError::EmptyRing)?;
        if let Some(i) = self.assigned(&key) {
            return Ok(i);
        }
        self.keys.entry(s).or_default().push(key.clone());
        self.tracked += 1;
        let Some(b) = &mut self.bounded else {
            return Ok(natural);
        };
        let cap = capacity(b.factor, self.tracked, self.ring.node_count());
        let target = self
            .ring
            .walk(s)
            .find(|&i| load_of(b, self.ring.node_name(i).unwrap_or_default()) < cap)
            .expect("n * bound >= tracked keys, so some node has room");
        let name = self.ring.node_name_arc(target).cloned().unwrap_or_default();
        place(b, &key, &name, target != natural);
        Ok(target)
    }

    /// True when `key` is tracked.
    pub fn is_tracked(&self, key: &K) -> bool {
        let s = self.ring.search_key(key.as_ref());
        self.keys.get(&s).is_some_and(|b| b.contains(key))
    }

    /// Stop tracking `key`; `Err(UnknownKey)` when it was not tracked (`render` prints it).
    /// With bounded loads the bound may shrink, and the keys moved to keep it are returned.
    pub fn remove(
        &mut self,
        key: &K,
        render: impl Fn(&K) -> String,
    ) -> Result<Vec<Move<K>>, RingError> {
        let s = self.ring.search_key(key.as_ref());
        let Some(bucket) = self.keys.get_mut(&s) else {
            return Err(RingError::UnknownKey(render(key)));
        };
        let Some(at) = bucket.iter().position(|k| k == key) else {
            return Err(RingError::UnknownKey(render(key)));
        };
        bucket.swap_remove(at);
        if bucket.is_empty() {
            self.keys.remove(&s);
        }
        self.tracked -= 1;
        let Some(b) = &mut self.bounded else {
            return Ok(Vec::new());
        };
        if let Some(node) = b.assigned.remove(key) {
            if let Some(m) = b.members.get_mut(&node) {
                m.swap_remove(key);
            }
        }
        b.displaced.swap_remove(key);
        let mut plan = Plan::new();
        self.rebalance(&mut plan);
        Ok(self.finish(plan))
    }

    /// Tracked keys in ring order (by search key), optionally only those assigned to `node`.
    pub fn keys(&self, node: Option<&str>) -> Result<Vec<&K>, RingError> {
        let Some(name) = node else {
            return Ok(self.keys.values().flatten().collect());
        };
        let want = self
            .ring
            .node_index(name)
            .ok_or_else(|| RingError::UnknownNode(name.to_owned()))?;
        Ok(match &self.bounded {
            Some(b) => self
                .keys
                .values()
                .flatten()
                .filter(|k| b.assigned.get(*k).is_some_and(|n| &**n == name))
                .collect(),
            None => self
                .keys
                .iter()
                .filter(|(s, _)| self.ring.locate_hash(**s) == Some(want))
                .flat_map(|(_, b)| b.iter())
                .collect(),
        })
    }

    /// Add a node; returns every tracked key whose node changed.
    pub fn add_node(&mut self, name: &str, weight: u32) -> Result<Vec<Move<K>>, RingError> {
        if self.tracked == 0 {
            // Nothing can move: skip the copy of the old ring and the affected arcs.
            self.ring.add_node(name, weight)?;
            return Ok(Vec::new());
        }
        let before = self.ring.clone();
        self.ring.add_node(name, weight)?;
        let arcs = self.affected(&self.ring, name);
        let mut plan = Plan::new();
        if self.bounded.is_none() {
            self.plain_plan(&before, &arcs, &mut plan);
            return Ok(self.finish_plain(plan));
        }
        // Keys whose walk now meets the new node first, and displaced keys, may move to it (or
        // to any node with room before the one they are on).
        let mut candidates: Vec<(u64, K)> = self.keys_in(&arcs);
        if let Some(b) = &self.bounded {
            for k in &b.displaced {
                candidates.push((self.ring.search_key(k.as_ref()), k.clone()));
            }
        }
        candidates.sort_by_key(|c| c.0);
        candidates.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let cap = capacity(
            self.load_factor_unchecked(),
            self.tracked,
            self.ring.node_count(),
        );
        for (s, key) in &candidates {
            self.pull_closer(*s, key, cap, &mut plan);
        }
        self.rebalance(&mut plan);
        Ok(self.finish(plan))
    }

    /// Add many nodes at once. With no tracked keys this is one rebuild; otherwise the nodes
    /// join one after another and the plans are concatenated (a key may appear more than once).
    /// Nothing is added unless every node is valid.
    pub fn add_nodes<'a>(
        &mut self,
        nodes: impl IntoIterator<Item = (&'a str, u32)>,
    ) -> Result<Vec<Move<K>>, RingError> {
        let nodes: Vec<(&str, u32)> = nodes.into_iter().collect();
        if self.tracked == 0 {
            self.ring.add_nodes(nodes)?;
            return Ok(Vec::new());
        }
        for (i, &(name, weight)) in nodes.iter().enumerate() {
            self.ring.check_new_node(name, weight)?;
            if nodes[..i].iter().any(|&(n, _)| n == name) {
                return Err(RingError::DuplicateNode(name.to_owned()));
            }
        }
        let mut moves = Vec::new();
        for (name, weight) in nodes {
            moves.extend(self.add_node(name, weight)?);
        }
        Ok(moves)
    }

    /// Remove a node; returns every tracked key whose node changed.
    pub fn remove_node(&mut self, name: &str) -> Result<Vec<Move<K>>, RingError> {
        if !self.ring.contains(name) {
            return Err(RingError::UnknownNode(name.to_owned()));
        }
        if self.ring.node_count() == 1 && self.tracked > 0 {
            return Err(RingError::WouldOrphanKeys {
                node: name.to_owned(),
                keys: self.tracked,
            });
        }
        if self.tracked == 0 {
            self.ring.remove_node(name)?;
            if let Some(b) = &mut self.bounded {
                b.members.remove(name);
            }
            return Ok(Vec::new());
        }
        let arcs = self.affected(&self.ring, name);
        let before = self.ring.clone();
        self.ring.remove_node(name)?;
        let mut plan = Plan::new();
        if self.bounded.is_none() {
            self.plain_plan(&before, &arcs, &mut plan);
            return Ok(self.finish_plain(plan));
        }
        let cap = capacity(
            self.load_factor_unchecked(),
            self.tracked,
            self.ring.node_count(),
        );
        let orphans: Vec<K> = self
            .bounded
            .as_mut()
            .and_then(|b| b.members.remove(name))
            .map(|m| m.into_iter().collect())
            .unwrap_or_default();
        let mut orphans: Vec<(u64, K)> = orphans
            .into_iter()
            .map(|k| (self.ring.search_key(k.as_ref()), k))
            .collect();
        orphans.sort_by_key(|o| o.0);
        let gone: Arc<str> = Arc::from(name);
        for (s, key) in orphans {
            plan.record(&key, &gone);
            self.move_to_room(s, &key, None, cap);
        }
        // Natural owners changed in the removed node's arcs: refresh who is displaced.
        for (s, key) in self.keys_in(&arcs) {
            self.refresh_displaced(s, &key);
        }
        self.rebalance(&mut plan);
        Ok(self.finish(plan))
    }

    // -- internals ------------------------------------------------------------------------

    fn load_factor_unchecked(&self) -> f64 {
        self.bounded.as_ref().map_or(1.0, |b| b.factor)
    }

    /// The search-key ranges whose owner may change when `name` joins or leaves `ring` (which
    /// contains it); every range when the scheme moves all points on membership changes.
    fn affected(&self, ring: &Ring, name: &str) -> Vec<(Bound<u64>, u64)> {
        if ring.scheme().points_depend_on_membership() {
            vec![(Bound::Unbounded, u64::MAX)]
        } else {
            ring.arcs_of(name)
        }
    }

    fn keys_in(&self, arcs: &[(Bound<u64>, u64)]) -> Vec<(u64, K)> {
        let mut out = Vec::new();
        for &(lo, hi) in arcs {
            for (&s, bucket) in self.keys.range((lo, Included(hi))) {
                out.extend(bucket.iter().map(|k| (s, k.clone())));
            }
        }
        out
    }

    fn plain_plan(&self, before: &Ring, arcs: &[(Bound<u64>, u64)], plan: &mut Plan<K>) {
        for &(lo, hi) in arcs {
            for (&s, bucket) in self.keys.range((lo, Included(hi))) {
                let (Some(src), Some(dst)) = (before.locate_hash(s), self.ring.locate_hash(s))
                else {
                    continue;
                };
                let source = before.node_name_arc(src).cloned().unwrap_or_default();
                let target = self.ring.node_name_arc(dst);
                if Some(&source) != target {
                    for k in bucket {
                        plan.record(k, &source);
                    }
                }
            }
        }
    }

    fn finish_plain(&self, plan: Plan<K>) -> Vec<Move<K>> {
        plan.finish(|k| {
            let s = self.ring.search_key(k.as_ref());
            self.ring
                .locate_hash(s)
                .and_then(|i| self.ring.node_name_arc(i).cloned())
                .unwrap_or_default()
        })
    }

    fn finish(&self, plan: Plan<K>) -> Vec<Move<K>> {
        if self.bounded.is_none() {
            return self.finish_plain(plan);
        }
        plan.finish(|k| {
            self.bounded
                .as_ref()
                .and_then(|b| b.assigned.get(k).cloned())
                .unwrap_or_default()
        })
    }

    /// Move `key` to the first node of its walk with room, unless its current node comes first.
    fn pull_closer(&mut self, s: u64, key: &K, cap: usize, plan: &mut Plan<K>) {
        let Some(b) = &self.bounded else { return };
        let Some(current) = b.assigned.get(key).cloned() else {
            return;
        };
        let better = self
            .ring
            .walk(s)
            .map(|i| self.ring.node_name_arc(i).cloned().unwrap_or_default())
            .take_while(|n| *n != current)
            .find(|n| load_of(b, n) < cap);
        if let Some(target) = better {
            plan.record(key, &current);
            self.reassign(s, key, &target);
        } else {
            self.refresh_displaced(s, key);
        }
    }

    /// Assign `key` to the first node of its walk with room, skipping `avoid`.
    fn move_to_room(&mut self, s: u64, key: &K, avoid: Option<&Arc<str>>, cap: usize) {
        let Some(b) = &self.bounded else { return };
        let target = self
            .ring
            .walk(s)
            .map(|i| self.ring.node_name_arc(i).cloned().unwrap_or_default())
            .find(|n| Some(n) != avoid && load_of(b, n) < cap)
            .expect("n * bound >= tracked keys, so some node has room");
        self.reassign(s, key, &target);
    }

    fn reassign(&mut self, s: u64, key: &K, target: &Arc<str>) {
        let natural = self
            .ring
            .locate_hash(s)
            .and_then(|i| self.ring.node_name_arc(i).cloned());
        let Some(b) = &mut self.bounded else { return };
        if let Some(old) = b.assigned.get(key).cloned() {
            if let Some(m) = b.members.get_mut(&old) {
                m.swap_remove(key);
            }
        }
        place(b, key, target, natural.as_ref() != Some(target));
    }

    fn refresh_displaced(&mut self, s: u64, key: &K) {
        let natural = self
            .ring
            .locate_hash(s)
            .and_then(|i| self.ring.node_name_arc(i).cloned());
        let Some(b) = &mut self.bounded else { return };
        let on_natural = b
            .assigned
            .get(key)
            .is_some_and(|n| Some(n) == natural.as_ref());
        if on_natural {
            b.displaced.swap_remove(key);
        } else if b.assigned.contains_key(key) {
            b.displaced.insert(key.clone());
        }
    }

    /// Move keys off every node above the bound, each to the first node of its walk with room.
    fn rebalance(&mut self, plan: &mut Plan<K>) {
        let Some(b) = &self.bounded else { return };
        let cap = capacity(b.factor, self.tracked, self.ring.node_count());
        let mut over: Vec<Arc<str>> = b
            .members
            .iter()
            .filter(|(_, m)| m.len() > cap)
            .map(|(n, _)| n.clone())
            .collect();
        over.sort();
        for node in over {
            loop {
                let Some(b) = &self.bounded else { return };
                let Some(m) = b.members.get(&node) else { break };
                if m.len() <= cap {
                    break;
                }
                // Deterministic choice: the last key of the node's set leaves first.
                let key = m.last().cloned().expect("an overloaded node has keys");
                let s = self.ring.search_key(key.as_ref());
                plan.record(&key, &node);
                self.move_to_room(s, &key, Some(&node), cap);
            }
        }
    }
}

fn capacity(factor: f64, tracked: usize, nodes: usize) -> usize {
    if nodes == 0 {
        return 0;
    }
    ((factor * tracked as f64) / nodes as f64).ceil() as usize
}

fn load_of<K: Hash + Eq>(b: &Bounded<K>, node: &str) -> usize {
    b.members.get(node).map_or(0, |m| m.len())
}

fn place<K: Hash + Eq + Clone>(b: &mut Bounded<K>, key: &K, node: &Arc<str>, displaced: bool) {
    b.assigned.insert(key.clone(), node.clone());
    b.members
        .entry(node.clone())
        .or_default()
        .insert(key.clone());
    if displaced {
        b.displaced.insert(key.clone());
    } else {
        b.displaced.swap_remove(key);
    }
}
