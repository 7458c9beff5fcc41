//! The named, weighted node set shared by [`Rendezvous`](super::Rendezvous) and
//! [`Maglev`](super::Maglev). Invariant: members are sorted bytewise by name and names are
//! unique and non-empty; weights are in `MIN_WEIGHT..=MAX_WEIGHT`.
use std::sync::Arc;

use super::{AlgorithmError, MAX_WEIGHT, MIN_WEIGHT};

#[derive(Clone, Debug)]
pub(crate) struct Member<T> {
    pub name: Arc<str>,
    pub weight: f64,
    /// What the algorithm derives from the name (hash seeds).
    pub data: T,
}

#[derive(Clone, Debug)]
pub(crate) struct Members<T> {
    items: Vec<Member<T>>,
}

impl<T> Default for Members<T> {
    fn default() -> Self {
        Members { items: Vec::new() }
    }
}

pub(crate) fn check_weight(weight: f64) -> Result<(), AlgorithmError> {
    // NaN fails both comparisons.
    if (MIN_WEIGHT..=MAX_WEIGHT).contains(&weight) {
        Ok(())
    } else {
        Err(AlgorithmError::InvalidWeight(weight))
    }
}

impl<T> Members<T> {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn as_slice(&self) -> &[Member<T>] {
        &self.items
    }

    pub fn get(&self, index: usize) -> Option<&Member<T>> {
        self.items.get(index)
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.items
            .binary_search_by(|m| m.name.as_bytes().cmp(name.as_bytes()))
            .ok()
    }

    /// True when every member has the same weight (the fast, unweighted paths apply).
    pub fn uniform(&self) -> bool {
        self.items
            .first()
            .is_none_or(|f| self.items.iter().all(|m| m.weight == f.weight))
    }

    pub fn check_new(&self, name: &str, weight: f64) -> Result<(), AlgorithmError> {
        if name.is_empty() {
            return Err(AlgorithmError::EmptyNodeName);
        }
        check_weight(weight)?;
        if self.index_of(name).is_some() {
            return Err(AlgorithmError::DuplicateNode(name.to_owned()));
        }
        Ok(())
    }

    /// Validate a batch of new members: each valid, none present, no repeats within the batch.
    pub fn check_batch<'a>(
        &self,
        batch: impl IntoIterator<Item = (&'a str, f64)>,
    ) -> Result<Vec<(&'a str, f64)>, AlgorithmError> {
        let mut out: Vec<(&'a str, f64)> = Vec::new();
        for (name, weight) in batch {
            self.check_new(name, weight)?;
            out.push((name, weight));
        }
        let mut names: Vec<&str> = out.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(AlgorithmError::DuplicateNode(w[0].to_owned()));
        }
        Ok(out)
    }

    /// Insert an already validated member; returns its index.
    pub fn insert(&mut self, member: Member<T>) -> usize {
        let at = self
            .items
            .partition_point(|m| m.name.as_bytes() < member.name.as_bytes());
        self.items.insert(at, member);
        at
    }

    /// Insert already validated members (one sort instead of one shift per member).
    pub fn extend(&mut self, members: impl IntoIterator<Item = Member<T>>) {
        self.items.extend(members);
        self.items
            .sort_unstable_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    }

    pub fn remove(&mut self, name: &str) -> Result<Member<T>, AlgorithmError> {
        let at = self
            .index_of(name)
            .ok_or_else(|| AlgorithmError::UnknownNode(name.to_owned()))?;
        Ok(self.items.remove(at))
    }

    pub fn memory_bytes(&self) -> usize {
        self.items.capacity() * std::mem::size_of::<Member<T>>()
            + self.items.iter().map(|m| m.name.len()).sum::<usize>()
    }
}
