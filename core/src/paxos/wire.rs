//! A versioned binary encoding of [`Envelope`]s and [`AcceptorState`]s, for carrying messages
//! between processes (the C ABI) and for persisting acceptor state.
//!
//! All integers are little-endian. Every record starts with the version byte
//! [`WIRE_VERSION`] and a kind byte:
//!
//! | kind | record | body after `version, kind` |
//! |------|--------|-----------------------------|
//! | 1 | `Prepare`  | `from:u32 to:u32 ballot` |
//! | 2 | `Promise`  | `from:u32 to:u32 ballot flag:u8 [ballot value]` (flag 1: an accepted value follows) |
//! | 3 | `Accept`   | `from:u32 to:u32 ballot value` |
//! | 4 | `Accepted` | `from:u32 to:u32 ballot value` |
//! | 5 | `Nack`     | `from:u32 to:u32 ballot promised:ballot` |
//! | 16 | acceptor state | `flag:u8 [ballot]` (promised) `flag:u8 [ballot value]` (accepted) |
//!
//! A `ballot` is `round:u64 node:u32`. A `value` is encoded by its [`WireValue`] impl: `u64` as
//! 8 bytes, `Vec<u8>` as `len:u32` followed by `len` bytes.
//!
//! Decoding never panics and never allocates more than the input's length: truncated input,
//! unknown versions or kinds, flags other than 0/1 and trailing bytes are all
//! [`PaxosError::Wire`] errors.

use super::{AcceptorState, Ballot, Envelope, Message, PaxosError, WireError};

/// The version byte this build writes and the only one it reads.
pub const WIRE_VERSION: u8 = 1;

const KIND_PREPARE: u8 = 1;
const KIND_PROMISE: u8 = 2;
const KIND_ACCEPT: u8 = 3;
const KIND_ACCEPTED: u8 = 4;
const KIND_NACK: u8 = 5;
const KIND_STATE: u8 = 16;

/// A value type with a binary encoding.
pub trait WireValue: Sized {
    /// Append the encoding of `self` to `out`.
    fn encode_value(&self, out: &mut Vec<u8>);
    /// Decode one value from the front of `input`; returns it and the number of bytes used.
    fn decode_value(input: &[u8]) -> Result<(Self, usize), WireError>;
}

impl WireValue for u64 {
    fn encode_value(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_le_bytes());
    }

    fn decode_value(input: &[u8]) -> Result<(u64, usize), WireError> {
        let bytes: [u8; 8] = input
            .get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(WireError::Truncated)?;
        Ok((u64::from_le_bytes(bytes), 8))
    }
}

impl WireValue for Vec<u8> {
    /// # Panics
    /// If the value is longer than `u32::MAX` bytes.
    fn encode_value(&self, out: &mut Vec<u8>) {
        let len = u32::try_from(self.len()).expect("wire values are at most u32::MAX bytes");
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(self);
    }

    fn decode_value(input: &[u8]) -> Result<(Vec<u8>, usize), WireError> {
        let len_bytes: [u8; 4] = input
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(WireError::Truncated)?;
        let len = u32::from_le_bytes(len_bytes) as usize;
        let body = input.get(4..4 + len).ok_or(WireError::Truncated)?;
        Ok((body.to_vec(), 4 + len))
    }
}

struct Reader<'a> {
    input: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let bytes = self
            .input
            .get(self.at..self.at + N)
            .and_then(|b| b.try_into().ok())
            .ok_or(WireError::Truncated)?;
        self.at += N;
        Ok(bytes)
    }

    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take::<1>()?[0])
    }

    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.take()?))
    }

    fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.take()?))
    }

    fn ballot(&mut self) -> Result<Ballot, WireError> {
        let round = self.u64()?;
        let node = self.u32()?;
        Ok(Ballot { round, node })
    }

    fn flag(&mut self) -> Result<bool, WireError> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(WireError::InvalidFlag(b)),
        }
    }

    fn value<V: WireValue>(&mut self) -> Result<V, WireError> {
        let (v, used) = V::decode_value(&self.input[self.at..])?;
        self.at += used;
        Ok(v)
    }

    fn header(&mut self) -> Result<u8, WireError> {
        let version = self.u8().map_err(|_| WireError::Empty)?;
        if version != WIRE_VERSION {
            return Err(WireError::UnsupportedVersion(version));
        }
        self.u8()
    }

    fn finish(&self) -> Result<(), WireError> {
        match self.input.len() - self.at {
            0 => Ok(()),
            n => Err(WireError::TrailingBytes(n)),
        }
    }
}

fn put_ballot(out: &mut Vec<u8>, b: Ballot) {
    out.extend_from_slice(&b.round.to_le_bytes());
    out.extend_from_slice(&b.node.to_le_bytes());
}

/// Append the encoding of `env` to `out`.
pub fn encode_envelope<V: WireValue>(env: &Envelope<V>, out: &mut Vec<u8>) {
    let kind = match env.msg {
        Message::Prepare { .. } => KIND_PREPARE,
        Message::Promise { .. } => KIND_PROMISE,
        Message::Accept { .. } => KIND_ACCEPT,
        Message::Accepted { .. } => KIND_ACCEPTED,
        Message::Nack { .. } => KIND_NACK,
    };
    out.push(WIRE_VERSION);
    out.push(kind);
    out.extend_from_slice(&env.from.to_le_bytes());
    out.extend_from_slice(&env.to.to_le_bytes());
    put_ballot(out, env.msg.ballot());
    match &env.msg {
        Message::Prepare { .. } => {}
        Message::Promise { accepted, .. } => match accepted {
            None => out.push(0),
            Some((b, v)) => {
                out.push(1);
                put_ballot(out, *b);
                v.encode_value(out);
            }
        },
        Message::Accept { value, .. } | Message::Accepted { value, .. } => value.encode_value(out),
        Message::Nack { promised, .. } => put_ballot(out, *promised),
    }
}

/// The encoding of `env` as a new buffer.
pub fn envelope_to_bytes<V: WireValue>(env: &Envelope<V>) -> Vec<u8> {
    let mut out = Vec::new();
    encode_envelope(env, &mut out);
    out
}

/// Decode exactly one envelope from `bytes`.
pub fn decode_envelope<V: WireValue>(bytes: &[u8]) -> Result<Envelope<V>, PaxosError> {
    let mut r = Reader {
        input: bytes,
        at: 0,
    };
    let kind = r.header()?;
    if !(KIND_PREPARE..=KIND_NACK).contains(&kind) {
        return Err(WireError::UnknownKind(kind).into());
    }
    let from = r.u32()?;
    let to = r.u32()?;
    let ballot = r.ballot()?;
    let msg = match kind {
        KIND_PREPARE => Message::Prepare { ballot },
        KIND_PROMISE => {
            let accepted = if r.flag()? {
                let b = r.ballot()?;
                Some((b, r.value()?))
            } else {
                None
            };
            Message::Promise { ballot, accepted }
        }
        KIND_ACCEPT => Message::Accept {
            ballot,
            value: r.value()?,
        },
        KIND_ACCEPTED => Message::Accepted {
            ballot,
            value: r.value()?,
        },
        _ => Message::Nack {
            ballot,
            promised: r.ballot()?,
        },
    };
    r.finish()?;
    Ok(Envelope { from, to, msg })
}

/// Append the encoding of an acceptor state to `out`.
pub fn encode_state<V: WireValue>(state: &AcceptorState<V>, out: &mut Vec<u8>) {
    out.push(WIRE_VERSION);
    out.push(KIND_STATE);
    match state.promised {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            put_ballot(out, b);
        }
    }
    match &state.accepted {
        None => out.push(0),
        Some((b, v)) => {
            out.push(1);
            put_ballot(out, *b);
            v.encode_value(out);
        }
    }
}

/// The encoding of an acceptor state as a new buffer.
pub fn state_to_bytes<V: WireValue>(state: &AcceptorState<V>) -> Vec<u8> {
    let mut out = Vec::new();
    encode_state(state, &mut out);
    out
}

/// Decode exactly one acceptor state from `bytes`.
pub fn decode_state<V: WireValue>(bytes: &[u8]) -> Result<AcceptorState<V>, PaxosError> {
    let mut r = Reader {
        input: bytes,
        at: 0,
    };
    let kind = r.header()?;
    if kind != KIND_STATE {
        return Err(WireError::UnknownKind(kind).into());
    }
    let promised = if r.flag()? { Some(r.ballot()?) } else { None };
    let accepted = if r.flag()? {
        let b = r.ballot()?;
        Some((b, r.value()?))
    } else {
        None
    };
    r.finish()?;
    Ok(AcceptorState { promised, accepted })
}
