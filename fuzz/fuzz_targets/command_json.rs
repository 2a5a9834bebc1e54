//! A command as it arrives over NATS (`CommandRequest` JSON): parsing never panics, and a
//! parsed command decided against realistic dossiers (new, submitted online, received, in
//! handling, paused for a supplement, awaiting a fee, pending approval, result ready, returned)
//! at realistic times never panics either. Refusals are fine; an accepted command must leave a
//! state that satisfies its invariants.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_command::nats::CommandRequest;

fuzz_target!(|bytes: &[u8]| {
    let Ok(request) = serde_json::from_slice::<CommandRequest>(bytes) else {
        return;
    };
    // What the service sends back or logs about a request must not panic either.
    let _ = serde_json::to_vec(&request);
    let command = motcua_fuzz::command(&request);
    for fixture in motcua_fuzz::fixtures() {
        for now in motcua_fuzz::decision_times(&fixture.state) {
            let _ = motcua_fuzz::decide_and_check(&fixture.state, &command, now);
        }
    }
});
