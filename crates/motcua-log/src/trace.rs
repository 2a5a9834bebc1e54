//! W3C Trace Context (`traceparent`, <https://www.w3.org/TR/trace-context/>) for joining one
//! trace across HTTP, NATS requests and the projectors.
//!
//! The envelope carries the `traceparent` of the span that made the commit (and the append sends
//! it as a NATS header too); a projector applying the commit logs the same trace id with that
//! span as its parent. No exporter: the ids are plain `tracing` fields (`trace_id`, `span_id`,
//! `parent_span_id`), so a log search joins them.
//!
//! Parsing follows the specification's rules for receivers: version `00` is exactly 55
//! characters; a later version may be longer (extra fields after a `-` are ignored); version
//! `ff`, upper-case hex and all-zero ids are invalid, and an invalid header is treated as absent
//! (a new trace starts).

use std::fmt;

/// A trace id, a span id and the trace flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: [u8; 16],
    span_id: [u8; 8],
    flags: u8,
}

/// The header name, over HTTP and NATS.
pub const TRACEPARENT: &str = "traceparent";

/// `sampled`: the caller records this trace.
const SAMPLED: u8 = 0x01;

impl TraceContext {
    /// Reads a `traceparent` value; `None` when it is not a valid one.
    pub fn parse(value: &str) -> Option<TraceContext> {
        let v = value.trim().as_bytes();
        if v.len() < 55 || v[2] != b'-' || v[35] != b'-' || v[52] != b'-' {
            return None;
        }
        let version = hex_byte(&v[0..2])?;
        if version == 0xff || (version == 0 && v.len() != 55) || (v.len() > 55 && v[55] != b'-') {
            return None;
        }
        let mut trace_id = [0u8; 16];
        for (i, b) in trace_id.iter_mut().enumerate() {
            *b = hex_byte(&v[3 + 2 * i..5 + 2 * i])?;
        }
        let mut span_id = [0u8; 8];
        for (i, b) in span_id.iter_mut().enumerate() {
            *b = hex_byte(&v[36 + 2 * i..38 + 2 * i])?;
        }
        let flags = hex_byte(&v[53..55])?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(TraceContext {
            trace_id,
            span_id,
            flags,
        })
    }

    /// A new trace (sampled), for a request that came without one.
    pub fn new_root() -> TraceContext {
        TraceContext {
            trace_id: *uuid::Uuid::new_v4().as_bytes(),
            span_id: new_span_id(),
            flags: SAMPLED,
        }
    }

    /// A span of the same trace whose parent is this one.
    pub fn child(&self) -> TraceContext {
        TraceContext {
            span_id: new_span_id(),
            ..*self
        }
    }

    /// The incoming context's child, or a new trace when there is none (or it is invalid).
    pub fn child_of(incoming: Option<&str>) -> (TraceContext, Option<TraceContext>) {
        let parent = incoming.and_then(TraceContext::parse);
        let own = parent
            .as_ref()
            .map_or_else(TraceContext::new_root, Self::child);
        (own, parent)
    }

    /// The trace id, 32 lower-case hex digits.
    pub fn trace_id(&self) -> String {
        hex(&self.trace_id)
    }

    /// The span id, 16 lower-case hex digits.
    pub fn span_id(&self) -> String {
        hex(&self.span_id)
    }
}

impl fmt::Display for TraceContext {
    /// The `traceparent` value (version `00`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "00-{}-{}-{:02x}",
            self.trace_id(),
            self.span_id(),
            self.flags
        )
    }
}

fn new_span_id() -> [u8; 8] {
    loop {
        let bytes = *uuid::Uuid::new_v4().as_bytes();
        let mut id = [0u8; 8];
        id.copy_from_slice(&bytes[8..]);
        // A v4 UUID's last eight bytes carry the variant bits and 62 random ones; all-zero is
        // invalid and practically never drawn, but the specification forbids it outright.
        if id != [0; 8] {
            return id;
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Two lower-case hex digits (the specification allows no upper case).
fn hex_byte(pair: &[u8]) -> Option<u8> {
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    match pair {
        [h, l] => Some(digit(*h)? << 4 | digit(*l)?),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn the_specification_example_round_trips() {
        let t = TraceContext::parse(EXAMPLE).unwrap();
        assert_eq!(t.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.span_id(), "00f067aa0ba902b7");
        assert_eq!(t.to_string(), EXAMPLE);
    }

    #[test]
    fn invalid_values_are_refused() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0ỳ",
        ] {
            assert_eq!(TraceContext::parse(bad), None, "{bad:?} accepted");
        }
    }

    #[test]
    fn later_versions_may_carry_more_fields() {
        let later = "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes";
        let t = TraceContext::parse(later).unwrap();
        assert_eq!(t.span_id(), "00f067aa0ba902b7");
        // We answer in the version we speak.
        assert_eq!(t.to_string(), EXAMPLE);
    }

    #[test]
    fn a_child_keeps_the_trace_and_gets_a_new_span() {
        let parent = TraceContext::parse(EXAMPLE).unwrap();
        let child = parent.child();
        assert_eq!(child.trace_id(), parent.trace_id());
        assert_ne!(child.span_id(), parent.span_id());
        assert_eq!(TraceContext::parse(&child.to_string()), Some(child));
        let (own, incoming) = TraceContext::child_of(Some("garbage"));
        assert!(incoming.is_none());
        assert_ne!(own.trace_id(), parent.trace_id());
        assert_eq!(TraceContext::parse(&own.to_string()), Some(own));
        let (own, incoming) = TraceContext::child_of(Some(EXAMPLE));
        assert_eq!(incoming, Some(parent));
        assert_eq!(own.trace_id(), parent.trace_id());
    }
}
