//! Other consistent-hashing algorithms behind the same shape as [`Ring`](super::Ring):
//! jump consistent hash, weighted rendezvous hashing and Maglev (work in progress).
