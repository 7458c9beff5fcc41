//! A tracked ring shared by many threads: lookups never wait for a writer.
//!
//! Readers load the current immutable [`Snapshot`] (an atomic pointer load, `arc-swap`); writers
//! serialise on a `parking_lot` mutex around the [`TrackedRing`], change it, and publish a new
//! snapshot. A lookup therefore answers from the ring as it was at one moment during the call:
//! never a half-built continuum, never a node that was not a member then.
//!
//! The snapshot carries an `extra: X` value created fresh (`X::default()`) for each published
//! ring; a face can cache per-snapshot data in it (the Python face keeps its node-name objects
//! there, filled on first use).
//!
//! [`Published`] gives any cloneable value the same guarantee: readers load the current value
//! lock-free, writers serialise on a mutex, change a copy and publish it.

use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use arc_swap::{ArcSwap, Guard};
use parking_lot::{Mutex, MutexGuard};

use super::{Ring, TrackedRing};

/// An immutable ring published by a [`SharedRing`], with the face's per-snapshot cache.
#[derive(Debug)]
pub struct Snapshot<X> {
    ring: Ring,
    /// Whatever the face caches per snapshot.
    pub extra: X,
}

impl<X> Snapshot<X> {
    /// The ring at the moment this snapshot was published.
    pub fn ring(&self) -> &Ring {
        &self.ring
    }
}

/// A [`TrackedRing`] behind a writer mutex, with lock-free snapshot reads.
pub struct SharedRing<K: Hash + Eq, X = ()> {
    current: ArcSwap<Snapshot<X>>,
    writer: Mutex<TrackedRing<K>>,
}

impl<K, X> SharedRing<K, X>
where
    K: AsRef<[u8]> + Eq + Hash + Clone,
    X: Default,
{
    /// Share `tracked`.
    pub fn new(tracked: TrackedRing<K>) -> Self {
        let snap = Snapshot {
            ring: tracked.ring().clone(),
            extra: X::default(),
        };
        SharedRing {
            current: ArcSwap::from_pointee(snap),
            writer: Mutex::new(tracked),
        }
    }

    /// The current snapshot; lock-free, never waits for a writer.
    #[inline]
    pub fn load(&self) -> Guard<Arc<Snapshot<X>>> {
        self.current.load()
    }

    /// The current snapshot as an owned handle (keeps it alive past later changes).
    pub fn snapshot(&self) -> Arc<Snapshot<X>> {
        self.current.load_full()
    }

    /// Change the ring under the writer lock and publish the result. The snapshot is published
    /// even when `f` fails; a failed core operation leaves the ring unchanged, so readers see
    /// the same placement.
    pub fn write<R>(&self, f: impl FnOnce(&mut TrackedRing<K>) -> R) -> R {
        let mut guard = self.writer.lock();
        self.write_locked(&mut guard, f)
    }

    /// Like [`SharedRing::write`], but returns `None` instead of waiting when another writer
    /// holds the lock (so a caller can release other locks before it waits).
    pub fn try_write<R>(&self, f: impl FnOnce(&mut TrackedRing<K>) -> R) -> Option<R> {
        let mut guard = self.writer.try_lock()?;
        Some(self.write_locked(&mut guard, f))
    }

    fn write_locked<R>(
        &self,
        guard: &mut MutexGuard<'_, TrackedRing<K>>,
        f: impl FnOnce(&mut TrackedRing<K>) -> R,
    ) -> R {
        let out = f(guard);
        // Every membership change replaces the continuum; tracking a key does not. Publish only
        // when placement changed.
        if !Arc::ptr_eq(
            guard.ring().continuum_arc(),
            self.current.load().ring.continuum_arc(),
        ) {
            self.current.store(Arc::new(Snapshot {
                ring: guard.ring().clone(),
                extra: X::default(),
            }));
        }
        out
    }

    /// Read the tracked state under the writer lock (tracked keys, loads, assignments).
    pub fn read<R>(&self, f: impl FnOnce(&TrackedRing<K>) -> R) -> R {
        f(&self.writer.lock())
    }

    /// Like [`SharedRing::read`], but `None` instead of waiting for a busy writer.
    pub fn try_read<R>(&self, f: impl FnOnce(&TrackedRing<K>) -> R) -> Option<R> {
        let guard = self.writer.try_lock()?;
        Some(f(&guard))
    }
}

/// A value shared by many threads: readers load the current immutable version lock-free,
/// writers serialise on a mutex and publish a changed copy.
///
/// Guarantee: a reader that loads once per call sees the value as it was at one moment during
/// its call (the last version published before its load), never a half-applied change, however
/// long it keeps it. Writers never block readers and readers never block writers; writers
/// wait only for each other. Each change clones the current value, so this suits values that
/// are read far more often than changed.
pub struct Published<T> {
    current: ArcSwap<T>,
    writer: Mutex<()>,
}

impl<T: fmt::Debug> fmt::Debug for Published<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Published")
            .field("current", &*self.current.load())
            .finish_non_exhaustive()
    }
}

impl<T: Clone> Published<T> {
    /// Publish `value` as the first version.
    pub fn new(value: T) -> Self {
        Published {
            current: ArcSwap::from_pointee(value),
            writer: Mutex::new(()),
        }
    }

    /// The current version; lock-free, never waits for a writer. Keep the guard short-lived
    /// (use [`Published::snapshot`] to hold a version for long).
    #[inline]
    pub fn load(&self) -> Guard<Arc<T>> {
        self.current.load()
    }

    /// The current version as an owned handle (keeps it alive past later changes).
    pub fn snapshot(&self) -> Arc<T> {
        self.current.load_full()
    }

    /// Under the writer lock: clone the current version, apply `f` to the copy and publish
    /// it. The copy is published whatever `f` returns, so `f` must leave the value as it was
    /// (or valid) when it fails.
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let _writer = self.writer.lock();
        self.update_locked(f)
    }

    /// Like [`Published::update`], but hands `f` back instead of waiting when another writer
    /// holds the lock (so a caller can release other locks before it waits, see
    /// [`Published::wait_for_writer`]).
    pub fn try_update<R, F: FnOnce(&mut T) -> R>(&self, f: F) -> Result<R, F> {
        match self.writer.try_lock() {
            Some(_writer) => Ok(self.update_locked(f)),
            None => Err(f),
        }
    }

    /// Wait until no writer holds the lock (it may be taken again right after).
    pub fn wait_for_writer(&self) {
        drop(self.writer.lock());
    }

    fn update_locked<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut next = T::clone(&self.current.load());
        let out = f(&mut next);
        self.current.store(Arc::new(next));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Published;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Barrier};
    use std::thread;

    #[test]
    fn update_publishes_a_changed_copy() {
        let p = Published::new(vec![1, 2]);
        let before = p.snapshot();
        let len = p.update(|v| {
            v.push(3);
            v.len()
        });
        assert_eq!(len, 3);
        assert_eq!(*before, [1, 2], "an old version is never changed");
        assert_eq!(**p.load(), [1, 2, 3]);
        let failed: Result<(), &str> = p.update(|_| Err("no"));
        assert_eq!(failed, Err("no"));
        assert_eq!(**p.load(), [1, 2, 3]);
    }

    #[test]
    fn try_update_hands_back_the_change_while_a_writer_works() {
        let p = Published::new(0u32);
        p.update(|v| {
            // The writer lock is held here: another change would have to wait.
            let back = p.try_update(|v| *v += 100);
            assert!(back.is_err());
            *v += 1;
        });
        assert!(p.try_update(|v| *v += 1).is_ok());
        p.wait_for_writer();
        assert_eq!(**p.load(), 2);
    }

    #[test]
    fn concurrent_readers_see_whole_versions_and_writers_serialise() {
        // Invariant of every version: the vector is `[n, n, ..., n]` of length n.
        const WRITERS: usize = 2;
        const CHANGES: usize = 300;
        let p = Arc::new(Published::new(Vec::<usize>::new()));
        let done = Arc::new(AtomicBool::new(false));
        let start = Arc::new(Barrier::new(WRITERS + 4));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (p, done, start) = (p.clone(), done.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    let mut last = 0;
                    let mut loads = 0u64;
                    while !done.load(Ordering::Acquire) || loads == 0 {
                        let v = p.load();
                        let n = v.len();
                        assert!(v.iter().all(|&x| x == n), "a half-applied change");
                        assert!(n >= last, "versions went backwards: {n} after {last}");
                        last = n;
                        loads += 1;
                    }
                    loads
                })
            })
            .collect();
        let writers: Vec<_> = (0..WRITERS)
            .map(|_| {
                let (p, start) = (p.clone(), start.clone());
                thread::spawn(move || {
                    start.wait();
                    for _ in 0..CHANGES {
                        p.update(|v| {
                            let n = v.len() + 1;
                            v.iter_mut().for_each(|x| *x = n);
                            v.push(n);
                        });
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, Ordering::Release);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
        // No change was lost: each writer's update saw the previous one's result.
        assert_eq!(p.load().len(), WRITERS * CHANGES);
    }
}
