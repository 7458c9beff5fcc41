//! The continuum: an immutable, sorted array of ring points with a top-bits index.
//!
//! Invariants: `entries` is sorted by point; points with equal value are ordered by tie rank, so
//! the first entry of a tie is the scheme's winner. The index has about two to four buckets per
//! point: `index[b].start` is the first position whose point is `>= b << shift`, and
//! `index[b].owner` the owner at that position (wrapping to position 0). A lookup whose bucket
//! holds no point (most of them) is answered by the index alone, one cache line; otherwise it
//! scans the bucket's entries, where point and owner share a cache line.

/// Largest index size, in bits (2^22 buckets = 32 MiB).
const MAX_INDEX_BITS: u32 = 22;

/// Index size in bits for `len` points: two to four buckets per point, at most
/// [`MAX_INDEX_BITS`].
fn index_bits(len: usize) -> u32 {
    (usize::BITS - len.max(2).leading_zeros()).clamp(1, MAX_INDEX_BITS)
}

/// One point of the ring and the node that owns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    point: u64,
    owner: u32,
}

/// One bucket of the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slot {
    /// First position whose point is `>= bucket start`.
    start: u32,
    /// Owner of that position (of position 0 when `start` is past the end).
    owner: u32,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Continuum {
    entries: Vec<Entry>,
    index: Vec<Slot>,
    shift: u32,
}

impl Continuum {
    /// Build from `(point, owner)` pairs with the owner as tie rank.
    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: Vec<(u64, u32)>) -> Self {
        Continuum::from_entries(pairs.into_iter().map(|(p, o)| (p, o as u64, o)).collect())
    }

    /// Build from `(point, tie rank, owner)` entries in any order; equal points are ordered by
    /// tie rank.
    pub(crate) fn from_entries(mut raw: Vec<(u64, u64, u32)>) -> Self {
        raw.sort_unstable();
        let entries = raw
            .iter()
            .map(|&(point, _, owner)| Entry { point, owner })
            .collect();
        Continuum::from_sorted(entries)
    }

    /// This continuum with owner `at` inserted: `new_points` (sorted) belong to it, and every
    /// existing owner index `>= at` shifts up by one; `rank` gives the tie rank of an owner
    /// index after the shift. Linear and cheap: runs of old entries are copied whole, and the
    /// index is shifted rather than rebuilt when its size does not change.
    pub(crate) fn with_owner_inserted(
        &self,
        at: u32,
        new_points: &[u64],
        rank: impl Fn(u32) -> u64,
    ) -> Self {
        let old = &self.entries;
        let mut entries = Vec::with_capacity(old.len() + new_points.len());
        let shift = |e: &Entry| Entry {
            point: e.point,
            owner: e.owner + (e.owner >= at) as u32,
        };
        let new_rank = rank(at);
        let mut i = 0;
        for &np in new_points {
            let mut j = i + old[i..].partition_point(|e| e.point < np);
            while j < old.len() && old[j].point == np && rank(shift(&old[j]).owner) < new_rank {
                j += 1;
            }
            entries.extend(old[i..j].iter().map(shift));
            entries.push(Entry {
                point: np,
                owner: at,
            });
            i = j;
        }
        entries.extend(old[i..].iter().map(shift));
        self.rebuilt(entries, new_points, true, at)
    }

    /// This continuum without owner `at`, whose points are `old_points` (sorted); owner indexes
    /// above `at` shift down by one.
    pub(crate) fn with_owner_removed(&self, at: u32, old_points: &[u64]) -> Self {
        let old = &self.entries;
        let mut entries = Vec::with_capacity(old.len().saturating_sub(old_points.len()));
        let shift = |e: &Entry| Entry {
            point: e.point,
            owner: e.owner - (e.owner > at) as u32,
        };
        let mut i = 0;
        for &v in old_points {
            // The entry (v, at): among the entries equal to v, the one owned by `at`.
            let mut j = i + old[i..].partition_point(|e| e.point < v);
            while j < old.len() && old[j].owner != at {
                j += 1;
            }
            entries.extend(old[i..j].iter().map(shift));
            i = (j + 1).min(old.len());
        }
        entries.extend(old[i..].iter().map(shift));
        self.rebuilt(entries, old_points, false, at)
    }

    /// A continuum over `entries`, which differ from `self` by the points `changed` (sorted) of
    /// owner `at`, added or removed. Reuses the index layout when its size stays the same: each
    /// slot's start moves by the number of changed points below its bucket (constant between
    /// changed points, so the loop is a plain map), and its owner shifts with the owner indexes;
    /// only the slots whose first point is a changed one are looked up again.
    fn rebuilt(&self, entries: Vec<Entry>, changed: &[u64], added: bool, at: u32) -> Self {
        if index_bits(entries.len()) != index_bits(self.entries.len()) || self.index.is_empty() {
            return Continuum::from_sorted(entries);
        }
        let buckets = self.index.len() - 1;
        let len = entries.len() as u32;
        let owner_at = |pos: u32| {
            entries
                .get(pos as usize)
                .or(entries.first())
                .map_or(0, |e| e.owner)
        };
        let mut index = Vec::with_capacity(self.index.len());
        let mut from = 0usize;
        for j in 0..=changed.len() {
            // Buckets before `to` have exactly j changed points below their start.
            let to = match changed.get(j) {
                Some(&c) => ((c >> self.shift) as usize + 1).min(buckets),
                None => buckets,
            };
            if to <= from {
                continue;
            }
            let j = j as u32;
            if added {
                index.extend(self.index[from..to].iter().map(|old| Slot {
                    start: old.start + j,
                    owner: old.owner + (old.owner >= at) as u32,
                }));
            } else {
                index.extend(self.index[from..to].iter().map(|old| Slot {
                    start: old.start - j,
                    // The slot's first point was removed: look its successor up below.
                    owner: if old.owner == at {
                        u32::MAX
                    } else {
                        old.owner - (old.owner > at) as u32
                    },
                }));
            }
            from = to;
        }
        index.push(Slot {
            start: len,
            owner: owner_at(len),
        });
        if added {
            // Slots whose first point is now one of the new points (found by walking back from
            // each new point's bucket), and the wrap-around slots if a new point came first.
            for &c in changed {
                let mut pos = entries.partition_point(|e| e.point < c);
                while entries[pos].owner != at {
                    pos += 1;
                }
                let pos = pos as u32;
                let mut b = (c >> self.shift) as usize;
                loop {
                    if index[b].start == pos {
                        index[b].owner = at;
                    } else if index[b].start < pos {
                        break;
                    }
                    if b == 0 {
                        break;
                    }
                    b -= 1;
                }
            }
            let first = owner_at(0);
            for slot in index.iter_mut().rev().take_while(|s| s.start == len) {
                slot.owner = first;
            }
        } else {
            for slot in index.iter_mut() {
                if slot.owner == u32::MAX {
                    slot.owner = owner_at(slot.start);
                }
            }
        }
        Continuum {
            entries,
            index,
            shift: self.shift,
        }
    }

    fn from_sorted(entries: Vec<Entry>) -> Self {
        let bits = index_bits(entries.len());
        let shift = 64 - bits;
        let buckets = 1usize << bits;
        let mut index = Vec::with_capacity(buckets + 1);
        for (pos, e) in entries.iter().enumerate() {
            let bucket = (e.point >> shift) as usize;
            while index.len() <= bucket {
                index.push(slot(&entries, pos as u32));
            }
        }
        while index.len() <= buckets {
            index.push(slot(&entries, entries.len() as u32));
        }
        Continuum {
            entries,
            index,
            shift,
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    pub(crate) fn point(&self, pos: usize) -> u64 {
        self.entries[pos].point
    }

    #[inline]
    pub(crate) fn owner(&self, pos: usize) -> u32 {
        self.entries[pos].owner
    }

    /// Position of the first point `>= h`, wrapping to 0 past the largest point.
    /// The continuum must not be empty.
    #[inline]
    pub(crate) fn position(&self, h: u64) -> usize {
        let b = (h >> self.shift) as usize;
        let mut lo = self.index[b].start as usize;
        let hi = self.index[b + 1].start as usize;
        if hi - lo > 8 {
            lo += self.entries[lo..hi].partition_point(|e| e.point < h);
        } else {
            while lo < hi && self.entries[lo].point < h {
                lo += 1;
            }
        }
        if lo == self.entries.len() { 0 } else { lo }
    }

    /// Owner of the first point `>= h` (wrapping). The continuum must not be empty.
    #[inline]
    pub(crate) fn owner_of(&self, h: u64) -> u32 {
        let b = (h >> self.shift) as usize;
        let next = self.index[b + 1];
        let lo = self.index[b].start as usize;
        let n = next.start as usize - lo;
        if n == 0 {
            // An empty bucket (about half of them): the index slot answers, and the entries
            // are not read at all. On a ring larger than the caches that saves a dependent
            // miss, worth more than the branch's mispredictions.
            return self.index[b].owner;
        }
        if n <= 2 {
            // Nearly every bucket holds 0, 1 or 2 points: count the points below `h` without
            // data-dependent branches (they mispredict half the time), then pick the owner.
            const PAST: Entry = Entry {
                point: u64::MAX,
                owner: 0,
            };
            let e0 = self.entries.get(lo).copied().unwrap_or(PAST);
            let e1 = self.entries.get(lo + 1).copied().unwrap_or(PAST);
            let below = ((n >= 1) & (e0.point < h)) as usize + ((n >= 2) & (e1.point < h)) as usize;
            // All points of the bucket below `h`: the first point after the bucket owns it.
            let owners = [e0.owner, e1.owner, next.owner];
            return owners[if below == n { 2 } else { below }];
        }
        self.entries[self.position(h)].owner
    }

    /// The largest point value strictly below `v`, wrapping to the largest point; `None` when
    /// every point equals `v`.
    pub(crate) fn prev_distinct(&self, v: u64) -> Option<u64> {
        let pos = self.entries.partition_point(|e| e.point < v);
        if pos > 0 {
            return Some(self.entries[pos - 1].point);
        }
        let last = self.entries.last()?.point;
        if last == v { None } else { Some(last) }
    }

    /// Bytes of memory held by this continuum.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.entries.capacity() * std::mem::size_of::<Entry>()
            + self.index.capacity() * std::mem::size_of::<Slot>()
    }
}

/// The index slot for a bucket whose first point is at `pos`.
fn slot(entries: &[Entry], pos: u32) -> Slot {
    let at = if pos as usize >= entries.len() {
        0
    } else {
        pos as usize
    };
    Slot {
        start: pos,
        owner: entries.get(at).map_or(0, |e| e.owner),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(points: &[(u64, u32)], h: u64) -> u32 {
        let mut s = points.to_vec();
        s.sort_unstable();
        s.iter().find(|p| p.0 >= h).unwrap_or(&s[0]).1
    }

    #[test]
    fn position_matches_a_linear_scan() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in [1usize, 2, 3, 17, 1000] {
            let pairs: Vec<(u64, u32)> = (0..n).map(|i| (next(), (i % 5) as u32)).collect();
            let c = Continuum::from_pairs(pairs.clone());
            for _ in 0..2000 {
                let h = next();
                assert_eq!(c.owner_of(h), naive(&pairs, h));
                assert_eq!(c.owner(c.position(h)), c.owner_of(h));
            }
            assert_eq!(c.owner_of(u64::MAX), naive(&pairs, u64::MAX));
            assert_eq!(c.owner_of(0), naive(&pairs, 0));
        }
    }

    #[test]
    fn incremental_changes_equal_a_fresh_build() {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        // Small value ranges force ties; sizes cross index-size boundaries.
        for (owners, per, range) in [
            (5u32, 3usize, 50u64),
            (20, 40, u64::MAX),
            (9, 7, 30),
            (60, 20, 1 << 12),
            (40, 160, u64::MAX),
        ] {
            let mut sets: Vec<Vec<u64>> = Vec::new();
            let mut c = Continuum::default();
            for _ in 0..owners {
                let mut pts: Vec<u64> = (0..per).map(|_| next(range)).collect();
                pts.sort_unstable();
                // Insert the new owner at a random index: the owners above it shift up.
                let at = next(sets.len() as u64 + 1) as usize;
                c = c.with_owner_inserted(at as u32, &pts, |x| x as u64);
                sets.insert(at, pts);
                let fresh = Continuum::from_pairs(
                    sets.iter()
                        .enumerate()
                        .flat_map(|(i, s)| s.iter().map(move |&p| (p, i as u32)))
                        .collect(),
                );
                assert_eq!(c.entries, fresh.entries);
                assert_eq!(c.index, fresh.index);
            }
            while sets.len() > 1 {
                let at = next(sets.len() as u64) as usize;
                let gone = sets.remove(at);
                c = c.with_owner_removed(at as u32, &gone);
                let fresh = Continuum::from_pairs(
                    sets.iter()
                        .enumerate()
                        .flat_map(|(i, s)| s.iter().map(move |&p| (p, i as u32)))
                        .collect(),
                );
                assert_eq!(c.entries, fresh.entries);
                assert_eq!(c.index, fresh.index);
            }
        }
    }

    #[test]
    fn ties_go_to_the_smallest_owner() {
        let c = Continuum::from_pairs(vec![(10, 3), (10, 1), (10, 2), (20, 0)]);
        assert_eq!(c.owner_of(5), 1);
        assert_eq!(c.owner_of(10), 1);
        assert_eq!(c.owner_of(11), 0);
        assert_eq!(c.owner_of(21), 1);
        assert_eq!(c.prev_distinct(10), Some(20));
        assert_eq!(c.prev_distinct(20), Some(10));
    }
}
