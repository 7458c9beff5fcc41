//! C ABI for JumpHash, Rendezvous and Maglev (work in progress).
