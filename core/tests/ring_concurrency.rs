//! SharedRing under concurrent readers and a writer.
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, mpsc};

use ringpax_core::ring::{Ring, SharedRing, TrackedRing};

fn shared(nodes: usize) -> SharedRing<Vec<u8>> {
    let mut r = Ring::new(64).unwrap();
    for i in 0..nodes {
        r.add_node(&format!("base-{i}"), 1).unwrap();
    }
    SharedRing::new(TrackedRing::new(r))
}

#[test]
fn every_lookup_answers_a_node_that_was_a_member_during_the_call() {
    let ring = Arc::new(shared(3));
    // history[e] = the members after the e-th change.
    let history = Arc::new(Mutex::new(vec![
        ring.load()
            .ring()
            .nodes()
            .map(String::from)
            .collect::<BTreeSet<_>>(),
    ]));
    let epoch = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for t in 0..3 {
        let (ring, history, epoch, stop, checked) = (
            ring.clone(),
            history.clone(),
            epoch.clone(),
            stop.clone(),
            checked.clone(),
        );
        readers.push(std::thread::spawn(move || {
            let mut i = 0u64;
            while !stop.load(Ordering::SeqCst) {
                let e0 = epoch.load(Ordering::SeqCst);
                let key = format!("t{t}-k{i}");
                let snap = ring.load();
                let node = snap.ring().get(key.as_bytes()).unwrap().to_owned();
                let e1 = epoch.load(Ordering::SeqCst);
                let h = history.lock().unwrap();
                // The snapshot is published just before the epoch moves on, hence e1 + 1.
                let ok = (e0..=(e1 + 1).min(h.len() - 1)).any(|e| h[e].contains(&node));
                assert!(ok, "{node} was not a member between epochs {e0} and {e1}");
                checked.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }));
    }
    for round in 0..200 {
        let name = format!("x-{}", round % 7);
        ring.write(|t| {
            if t.ring().contains(&name) {
                t.remove_node(&name).unwrap();
            } else {
                t.add_node(&name, 1 + round % 3).unwrap();
            }
            // Record the new members before `write` publishes them.
            let members = t.ring().nodes().map(String::from).collect();
            history.lock().unwrap().push(members);
        });
        epoch.fetch_add(1, Ordering::SeqCst);
    }
    stop.store(true, Ordering::SeqCst);
    for r in readers {
        r.join().unwrap();
    }
    assert!(checked.load(Ordering::Relaxed) > 100);
}

#[test]
fn lookups_proceed_while_a_writer_is_in_the_middle_of_a_change() {
    let ring = Arc::new(shared(50));
    let inside = Arc::new(Barrier::new(2));
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let writer = {
        let (ring, inside) = (ring.clone(), inside.clone());
        std::thread::spawn(move || {
            ring.write(|t| {
                t.add_node("joining", 1).unwrap();
                inside.wait();
                // Hold the writer lock until the readers are done.
                release_rx.recv().unwrap();
            })
        })
    };
    inside.wait();
    // The writer holds the lock right now; readers must not wait for it.
    for i in 0..10_000 {
        let snap = ring.load();
        let node = snap.ring().get(format!("k{i}").as_bytes()).unwrap();
        assert_ne!(
            node, "joining",
            "the change is not published until the writer finishes"
        );
    }
    assert!(
        ring.try_write(|_| ()).is_none(),
        "the writer still holds the lock"
    );
    release_tx.send(()).unwrap();
    writer.join().unwrap();
    assert!(ring.load().ring().contains("joining"));
}
