//! The simulator's event queue: a timing wheel that pops events in `(tick, insertion order)`.
//!
//! Almost every event is due within a few ticks (message delays of 1..=10 ticks, proposer
//! timers of a few round trips), so the queue is a wheel of [`WHEEL`] one-tick buckets, each a
//! FIFO list threaded through one slab of entries. Push and pop are O(1) and never move an
//! event once stored; a bitmask of non-empty buckets finds the next due tick with one
//! `trailing_zeros`. Events due [`WHEEL`] or more ticks ahead wait in a small binary heap keyed
//! by `(tick, sequence)` and move into their bucket as soon as the wheel reaches them, before
//! anything else can be pushed to that tick, so every bucket stays in insertion order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Buckets in the wheel (one per tick); a power of two no larger than 64 (one mask bit each).
const WHEEL: u64 = 64;
const NIL: u32 = u32::MAX;

struct Entry<T> {
    at: u64,
    next: u32,
    item: Option<T>,
}

/// A priority queue of `T` by `(tick, insertion order)`, for ticks that never go back.
pub(super) struct EventQueue<T> {
    /// Every entry in the wheel is due in `[base, base + WHEEL)`; `base` only grows.
    base: u64,
    seq: u64,
    entries: Vec<Entry<T>>,
    free: u32,
    head: [u32; WHEEL as usize],
    tail: [u32; WHEEL as usize],
    /// Bit `i` set when bucket `i` is non-empty.
    occupied: u64,
    /// Entries due at `base + WHEEL` or later: `(tick, sequence, entry index)`.
    far: BinaryHeap<Reverse<(u64, u64, u32)>>,
    len: usize,
}

impl<T> EventQueue<T> {
    /// An empty queue with room for `capacity` events before it allocates again.
    pub(super) fn with_capacity(capacity: usize) -> EventQueue<T> {
        EventQueue {
            base: 0,
            seq: 0,
            entries: Vec::with_capacity(capacity),
            free: NIL,
            head: [NIL; WHEEL as usize],
            tail: [NIL; WHEEL as usize],
            occupied: 0,
            far: BinaryHeap::new(),
            len: 0,
        }
    }

    /// Events queued.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Queue `item` at tick `at`, after everything already queued at `at`. `at` must not be
    /// before the tick of the last event popped (or passed to [`advance`](Self::advance)).
    #[inline(always)]
    pub(super) fn push(&mut self, at: u64, item: T) {
        debug_assert!(
            at >= self.base,
            "event at {at} before the queue's time {}",
            self.base
        );
        let at = at.max(self.base);
        self.seq += 1;
        self.len += 1;
        // The common case, a free entry for a tick the wheel covers, stays inline so the event
        // is written straight into its entry.
        if at - self.base >= WHEEL {
            self.push_slow(at, item);
        } else if self.free != NIL {
            let idx = self.free;
            let slot = &mut self.entries[idx as usize];
            self.free = slot.next;
            slot.at = at;
            slot.next = NIL;
            // A free entry holds no event; writing before dropping the old `None` keeps
            // anything from running between building the event and storing it.
            let old = slot.item.replace(item);
            debug_assert!(old.is_none());
            drop(old);
            self.link(idx);
        } else if self.entries.len() < self.entries.capacity() {
            let idx = self.entries.len() as u32;
            self.entries.push(Entry {
                at,
                next: NIL,
                item: Some(item),
            });
            self.link(idx);
        } else {
            self.push_slow(at, item);
        }
    }

    #[inline(never)]
    fn push_slow(&mut self, at: u64, item: T) {
        let entry = Entry {
            at,
            next: NIL,
            item: Some(item),
        };
        let idx = if self.free != NIL {
            let idx = self.free;
            let slot = &mut self.entries[idx as usize];
            self.free = slot.next;
            *slot = entry;
            idx
        } else {
            let idx = u32::try_from(self.entries.len()).expect("fewer than 2^32 queued events");
            self.entries.push(entry);
            idx
        };
        if at - self.base < WHEEL {
            self.link(idx);
        } else {
            self.far.push(Reverse((at, self.seq, idx)));
        }
    }

    #[inline]
    fn link(&mut self, idx: u32) {
        let b = (self.entries[idx as usize].at % WHEEL) as usize;
        if self.head[b] == NIL {
            self.head[b] = idx;
            self.occupied |= 1 << b;
        } else {
            self.entries[self.tail[b] as usize].next = idx;
        }
        self.tail[b] = idx;
    }

    /// The tick of the next event.
    #[inline]
    pub(super) fn peek_at(&self) -> Option<u64> {
        if self.occupied != 0 {
            let offset = self
                .occupied
                .rotate_right((self.base % WHEEL) as u32)
                .trailing_zeros();
            Some(self.base + u64::from(offset))
        } else {
            self.far.peek().map(|Reverse((at, _, _))| *at)
        }
    }

    /// Move the queue's time to `now` (no event may be due before it): far events that the
    /// wheel now covers move into their buckets, in `(tick, sequence)` order.
    pub(super) fn advance(&mut self, now: u64) {
        if now <= self.base {
            return;
        }
        debug_assert!(self.peek_at().is_none_or(|t| t >= now));
        self.base = now;
        while let Some(&Reverse((at, _, idx))) = self.far.peek() {
            if at - self.base >= WHEEL {
                break;
            }
            self.far.pop();
            self.link(idx);
        }
    }

    /// Remove and return the earliest event and its tick (insertion order among equal ticks).
    #[inline]
    pub(super) fn pop(&mut self) -> Option<(u64, T)> {
        let at = self.peek_at()?;
        self.advance(at);
        let b = (at % WHEEL) as usize;
        let idx = self.head[b];
        let entry = &mut self.entries[idx as usize];
        debug_assert_eq!(entry.at, at);
        let item = entry.item.take().expect("a linked entry holds an event");
        self.head[b] = entry.next;
        if entry.next == NIL {
            self.occupied &= !(1 << b);
        }
        entry.next = self.free;
        self.free = idx;
        self.len -= 1;
        Some((at, item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// Push at `now + delay`.
        Push(u64),
        Pop,
        /// Jump the clock forward, as `Sim::run_until_tick` does when nothing is due.
        Skip(u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => prop_oneof![0u64..8, 0u64..70, 0u64..1000].prop_map(Op::Push),
            3 => Just(Op::Pop),
            1 => (0u64..200).prop_map(Op::Skip),
        ]
    }

    proptest! {
        /// Same pops as a binary heap ordered by (tick, insertion order).
        #[test]
        fn matches_a_heap_by_tick_then_insertion(ops in proptest::collection::vec(op(), 0..400)) {
            let mut q = EventQueue::with_capacity(4);
            let mut model: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
            let (mut now, mut n) = (0u64, 0u64);
            for op in ops {
                match op {
                    Op::Push(d) => {
                        n += 1;
                        q.push(now + d, n);
                        model.push(Reverse((now + d, n)));
                    }
                    Op::Pop => {
                        let want = model.pop().map(|Reverse(e)| e);
                        let got = q.pop();
                        prop_assert_eq!(got, want);
                        if let Some((at, _)) = got {
                            now = at;
                        }
                    }
                    Op::Skip(d) => {
                        let to = now + d;
                        if model.peek().is_none_or(|Reverse((at, _))| *at >= to) {
                            now = to;
                            q.advance(now);
                        }
                    }
                }
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.peek_at(), model.peek().map(|Reverse((at, _))| *at));
            }
            while let Some(Reverse(e)) = model.pop() {
                prop_assert_eq!(q.pop(), Some(e));
            }
            prop_assert_eq!(q.pop(), None);
        }
    }

    #[test]
    fn far_events_keep_insertion_order_with_near_ones() {
        let mut q = EventQueue::with_capacity(0);
        q.push(100, "far-first");
        q.push(1, "near");
        q.push(100, "far-second");
        assert_eq!(q.pop(), Some((1, "near")));
        // Now 100 is still beyond the wheel (1 + 64 <= 100): a push goes to the far heap too.
        q.push(100, "third");
        q.advance(50);
        q.push(100, "fourth (direct to the wheel)");
        assert_eq!(q.pop(), Some((100, "far-first")));
        assert_eq!(q.pop(), Some((100, "far-second")));
        assert_eq!(q.pop(), Some((100, "third")));
        assert_eq!(q.pop(), Some((100, "fourth (direct to the wheel)")));
        assert_eq!(q.pop(), None);
    }
}
