//! `Envelope::decode` on arbitrary bytes: it never panics, and what it accepts survives
//! encoding and decoding again unchanged. Accepted envelopes are also unpacked into events and
//! folded into a dossier, as the projectors do with every message of the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_domain::dossier::Dossier;
use motcua_log::Envelope;
use motcua_log::envelope::chain_hash;

fuzz_target!(|bytes: &[u8]| {
    let Ok(envelope) = Envelope::decode(bytes) else {
        return;
    };
    motcua_fuzz::check_envelope_round_trip(&envelope);
    let _ = envelope.type_names();
    let _ = chain_hash(bytes);
    let _ = Dossier::replay(&envelope.events());
});
