//! The binary wire format: round trips, exact layout, and decoding arbitrary bytes never panics.
use proptest::prelude::*;
use ringpax_core::paxos::wire::{
    WIRE_VERSION, decode_envelope, decode_state, encode_envelope, envelope_to_bytes, state_to_bytes,
};
use ringpax_core::paxos::{AcceptorState, Ballot, Envelope, Message, PaxosError, WireError};

fn ballot() -> impl Strategy<Value = Ballot> {
    (any::<u64>(), any::<u32>()).prop_map(|(r, n)| Ballot::new(r, n))
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..64)
}

fn message() -> impl Strategy<Value = Message<Vec<u8>>> {
    prop_oneof![
        ballot().prop_map(|ballot| Message::Prepare { ballot }),
        (ballot(), prop::option::of((ballot(), value())))
            .prop_map(|(ballot, accepted)| Message::Promise { ballot, accepted }),
        (ballot(), value()).prop_map(|(ballot, value)| Message::Accept { ballot, value }),
        (ballot(), value()).prop_map(|(ballot, value)| Message::Accepted { ballot, value }),
        (ballot(), ballot()).prop_map(|(ballot, promised)| Message::Nack { ballot, promised }),
    ]
}

fn envelope() -> impl Strategy<Value = Envelope<Vec<u8>>> {
    (any::<u32>(), any::<u32>(), message()).prop_map(|(from, to, msg)| Envelope { from, to, msg })
}

proptest! {
    #[test]
    fn envelopes_round_trip(e in envelope()) {
        let bytes = envelope_to_bytes(&e);
        prop_assert_eq!(bytes[0], WIRE_VERSION);
        prop_assert_eq!(decode_envelope::<Vec<u8>>(&bytes).unwrap(), e);
    }

    #[test]
    fn states_round_trip(promised in prop::option::of(ballot()),
                         accepted in prop::option::of((ballot(), value()))) {
        let s = AcceptorState { promised, accepted };
        prop_assert_eq!(decode_state::<Vec<u8>>(&state_to_bytes(&s)).unwrap(), s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..96)) {
        let _ = decode_envelope::<Vec<u8>>(&bytes);
        let _ = decode_envelope::<u64>(&bytes);
        let _ = decode_state::<Vec<u8>>(&bytes);
        let _ = decode_state::<u64>(&bytes);
    }

    #[test]
    fn valid_prefix_with_a_version_byte_never_panics(kind in 0u8..20,
                                                     tail in prop::collection::vec(any::<u8>(), 0..80)) {
        let mut bytes = vec![WIRE_VERSION, kind];
        bytes.extend(tail);
        let _ = decode_envelope::<Vec<u8>>(&bytes);
        let _ = decode_state::<Vec<u8>>(&bytes);
    }

    #[test]
    fn every_truncation_and_every_extension_is_an_error(e in envelope(), extra in 1usize..4) {
        let bytes = envelope_to_bytes(&e);
        for cut in 0..bytes.len() {
            prop_assert!(decode_envelope::<Vec<u8>>(&bytes[..cut]).is_err());
        }
        let mut longer = bytes.clone();
        longer.extend(std::iter::repeat_n(0u8, extra));
        prop_assert_eq!(
            decode_envelope::<Vec<u8>>(&longer).unwrap_err(),
            PaxosError::Wire(WireError::TrailingBytes(extra))
        );
    }

    #[test]
    fn single_byte_corruption_never_panics(e in envelope(), at in any::<prop::sample::Index>(),
                                           byte in any::<u8>()) {
        let mut bytes = envelope_to_bytes(&e);
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = decode_envelope::<Vec<u8>>(&bytes);
    }
}

#[test]
fn layout_is_pinned() {
    let e = Envelope {
        from: 1,
        to: 2,
        msg: Message::Accept {
            ballot: Ballot::new(3, 4),
            value: vec![0xAA, 0xBB],
        },
    };
    let bytes = envelope_to_bytes(&e);
    #[rustfmt::skip]
    let expected = [
        1, 3,                    // version, kind Accept
        1, 0, 0, 0, 2, 0, 0, 0,  // from, to
        3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, // ballot 3.4
        2, 0, 0, 0, 0xAA, 0xBB,  // value
    ];
    assert_eq!(bytes, expected);
    let mut out = Vec::new();
    encode_envelope(
        &Envelope {
            from: 0,
            to: 0,
            msg: Message::<u64>::Accepted {
                ballot: Ballot::new(1, 0),
                value: 7,
            },
        },
        &mut out,
    );
    assert_eq!(&out[..2], [1, 4]);
    assert_eq!(&out[out.len() - 8..], 7u64.to_le_bytes());
}

#[test]
fn malformed_bytes_give_specific_errors() {
    let wire = |e: WireError| PaxosError::Wire(e);
    assert_eq!(
        decode_envelope::<u64>(&[]).unwrap_err(),
        wire(WireError::Empty)
    );
    assert_eq!(
        decode_envelope::<u64>(&[9, 1]).unwrap_err(),
        wire(WireError::UnsupportedVersion(9))
    );
    assert_eq!(
        decode_envelope::<u64>(&[1, 77]).unwrap_err(),
        wire(WireError::UnknownKind(77))
    );
    assert_eq!(
        decode_envelope::<u64>(&[1, 1, 0]).unwrap_err(),
        wire(WireError::Truncated)
    );
    let mut promise = envelope_to_bytes(&Envelope {
        from: 0,
        to: 1,
        msg: Message::<u64>::Promise {
            ballot: Ballot::new(1, 0),
            accepted: None,
        },
    });
    *promise.last_mut().unwrap() = 2;
    assert_eq!(
        decode_envelope::<u64>(&promise).unwrap_err(),
        wire(WireError::InvalidFlag(2))
    );
    // A length prefix far beyond the input must not allocate or panic.
    let mut huge = envelope_to_bytes(&Envelope {
        from: 0,
        to: 1,
        msg: Message::Accept {
            ballot: Ballot::new(1, 0),
            value: vec![1u8],
        },
    });
    let len_at = huge.len() - 5;
    huge[len_at..len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        decode_envelope::<Vec<u8>>(&huge).unwrap_err(),
        wire(WireError::Truncated)
    );
    // A state is not an envelope and vice versa.
    let state = state_to_bytes(&AcceptorState::<u64>::new());
    assert_eq!(
        decode_envelope::<u64>(&state).unwrap_err(),
        wire(WireError::UnknownKind(16))
    );
    assert!(
        decode_state::<u64>(&envelope_to_bytes(&Envelope {
            from: 0,
            to: 0,
            msg: Message::<u64>::Prepare {
                ballot: Ballot::new(1, 0)
            },
        }))
        .is_err()
    );
}
