//! An NDJSON import file: every line through `import::parse_line`, the parsed lines through the
//! `Grouper`, and each complete dossier replayed as `Importer::import_dossier` does (each line
//! decided at its own time, the accepted history wrapped as one imported envelope that must
//! round-trip). Nothing may panic; refusals are fine.
#![no_main]

use libfuzzer_sys::fuzz_target;
use motcua_command::import::{Grouped, Grouper, parse_line};

/// Lines read per input: enough for a dossier's whole life and a few dossiers.
const MAX_LINES: usize = 64;

fuzz_target!(|bytes: &[u8]| {
    // The importer reads lines as UTF-8 text; an invalid byte sequence is lossily replaced.
    let text = String::from_utf8_lossy(bytes);
    let mut grouper = Grouper::default();
    for (i, text) in text.split('\n').take(MAX_LINES).enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let Ok(numbered) = parse_line(i as u64 + 1, text) else {
            continue;
        };
        match grouper.push(numbered) {
            Grouped::Pending | Grouped::Split(_) => {}
            Grouped::Ready(key, lines) => motcua_fuzz::import_dossier(&key, &lines),
        }
    }
    if let Some((key, lines)) = grouper.finish() {
        motcua_fuzz::import_dossier(&key, &lines);
    }
});
