//! Tracked keys and migration plans.
//!
//! Invariant: every tracked key is stored under its ring hash in `keys`, so the keys that can
//! move when a node joins or leaves are found by range queries over that node's arcs. The cost
//! of a membership change is proportional to the keys in those arcs, not to all tracked keys.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Ring, RingError};

/// One entry of a migration plan: `key` moves from node `source` to node `target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move<K> {
    /// The tracked key.
    pub key: K,
    /// The node that owned it before the change.
    pub source: Arc<str>,
    /// The node that owns it after the change.
    pub target: Arc<str>,
}

/// A [`Ring`] plus a set of tracked keys of type `K`.
///
/// `K` is whatever the caller wants back in migration plans; its bytes (`AsRef<[u8]>`) decide
/// placement, and two keys are the same key when they are `==`.
#[derive(Clone, Debug)]
pub struct TrackedRing<K> {
    ring: Ring,
    keys: BTreeMap<u64, Vec<K>>,
    tracked: usize,
}

impl<K: AsRef<[u8]> + Eq + Clone> TrackedRing<K> {
    /// Track keys on `ring`.
    pub fn new(ring: Ring) -> Self {
        TrackedRing {
            ring,
            keys: BTreeMap::new(),
            tracked: 0,
        }
    }

    /// The placement ring.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }

    /// Number of tracked keys.
    pub fn tracked_len(&self) -> usize {
        self.tracked
    }

    /// Track `key`; returns the index of the node that owns it. Tracking a key twice is a no-op.
    pub fn add(&mut self, key: K) -> Result<usize, RingError> {
        let h = self.ring.hash(key.as_ref());
        let node = self.ring.locate_hash(h).ok_or(RingError::EmptyRing)?;
        let bucket = self.keys.entry(h).or_default();
        if !bucket.contains(&key) {
            bucket.push(key);
            self.tracked += 1;
        }
        Ok(node)
    }

    /// True when `key` is tracked.
    pub fn is_tracked(&self, key: &K) -> bool {
        let h = self.ring.hash(key.as_ref());
        self.keys.get(&h).is_some_and(|b| b.contains(key))
    }

    /// Stop tracking `key`; `Err(UnknownKey)` when it was not tracked (`render` prints it).
    pub fn remove(&mut self, key: &K, render: impl Fn(&K) -> String) -> Result<(), RingError> {
        let h = self.ring.hash(key.as_ref());
        let Some(bucket) = self.keys.get_mut(&h) else {
            return Err(RingError::UnknownKey(render(key)));
        };
        let Some(at) = bucket.iter().position(|k| k == key) else {
            return Err(RingError::UnknownKey(render(key)));
        };
        bucket.swap_remove(at);
        if bucket.is_empty() {
            self.keys.remove(&h);
        }
        self.tracked -= 1;
        Ok(())
    }

    /// Tracked keys in hash order, optionally only those owned by `node`.
    pub fn keys(&self, node: Option<&str>) -> Result<Vec<&K>, RingError> {
        let Some(name) = node else {
            return Ok(self.keys.values().flatten().collect());
        };
        let want = self
            .ring
            .node_index(name)
            .ok_or_else(|| RingError::UnknownNode(name.to_owned()))?;
        Ok(self
            .keys
            .iter()
            .filter(|(h, _)| self.ring.locate_hash(**h) == Some(want))
            .flat_map(|(_, b)| b.iter())
            .collect())
    }

    /// Add a node; returns every tracked key whose owner changed (all of them move to `name`).
    pub fn add_node(&mut self, name: &str, weight: u32) -> Result<Vec<Move<K>>, RingError> {
        let before = self.ring.clone();
        self.ring.add_node(name, weight)?;
        let arcs = self.ring.arcs_of(name);
        Ok(self.plan(&before, &arcs))
    }

    /// Add many nodes at once. With no tracked keys this is one rebuild; otherwise the nodes
    /// join one after another and the plans are concatenated (a key may move more than once).
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

    /// Remove a node; returns every tracked key whose owner changed (all of them leave `name`).
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
        let arcs = self.ring.arcs_of(name);
        let before = self.ring.clone();
        self.ring.remove_node(name)?;
        Ok(self.plan(&before, &arcs))
    }

    fn plan(&self, before: &Ring, arcs: &[(std::ops::Bound<u64>, u64)]) -> Vec<Move<K>> {
        use std::ops::Bound::Included;
        let mut moves = Vec::new();
        for &(lo, hi) in arcs {
            for (&h, bucket) in self.keys.range((lo, Included(hi))) {
                let (Some(src), Some(dst)) = (before.locate_hash(h), self.ring.locate_hash(h))
                else {
                    continue;
                };
                let source = before.node_name_arc(src).cloned().unwrap_or_default();
                let target = self.ring.node_name_arc(dst).cloned().unwrap_or_default();
                if source != target {
                    moves.extend(bucket.iter().map(|k| Move {
                        key: k.clone(),
                        source: source.clone(),
                        target: target.clone(),
                    }));
                }
            }
        }
        moves
    }
}
