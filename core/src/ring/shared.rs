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
