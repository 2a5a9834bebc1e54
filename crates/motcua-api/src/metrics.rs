//! Prometheus metrics of the HTTP edge.
//!
//! Labels hold command names, stable codes and reasons only: never a dossier key, an account id,
//! a token or anything an applicant wrote, so that metrics carry no personal data and their
//! cardinality stays bounded.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Commands by name and outcome (`ok` or the refusal's stable code).
pub const COMMANDS: &str = "motcua_commands_total";
/// Time the command service took to decide and append a command, by command.
pub const APPEND_SECONDS: &str = "motcua_command_append_seconds";
/// Refused authentications, by reason (`missing_token`, `malformed_token`, `unknown_token`).
pub const AUTH_FAILURES: &str = "motcua_http_auth_failures_total";
/// Event feed (SSE) connections open now.
pub const SSE_STREAMS: &str = "motcua_sse_streams";
/// Events sent on the event feed.
pub const SSE_EVENTS: &str = "motcua_sse_events_total";
/// Queries by endpoint and outcome (`ok` or the refusal's stable code).
pub const QUERIES: &str = "motcua_queries_total";
/// Time a query took, by endpoint (after authentication).
pub const QUERY_SECONDS: &str = "motcua_query_seconds";

/// Histogram buckets of the append and query latencies, in seconds (0.5 ms to 10 s).
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed as the global `metrics` recorder on first use.
///
/// Every part of the process that records through the `metrics` macros (the API, projectors)
/// shows up on `/metrics`. If another global recorder was installed before, this handle renders
/// only what was recorded through it, which is nothing; a warning says so.
pub fn prometheus() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(APPEND_SECONDS.to_owned()), &LATENCY_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full(QUERY_SECONDS.to_owned()),
                        &LATENCY_BUCKETS,
                    )
                })
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!(
                    "another metrics recorder is installed; /metrics will not show motcua's metrics"
                );
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        COMMANDS,
        "Commands by name and outcome (ok or the refusal code)."
    );
    metrics::describe_histogram!(
        APPEND_SECONDS,
        metrics::Unit::Seconds,
        "Time to decide and append a command (command service, including retries)."
    );
    metrics::describe_counter!(AUTH_FAILURES, "Refused authentications by reason.");
    metrics::describe_gauge!(SSE_STREAMS, "Open event feed (SSE) connections.");
    metrics::describe_counter!(SSE_EVENTS, "Events sent on the event feed.");
    metrics::describe_counter!(
        QUERIES,
        "Queries by endpoint and outcome (ok or the refusal code)."
    );
    metrics::describe_histogram!(
        QUERY_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer a query (read models), by endpoint."
    );
}

/// Counts a command's outcome.
pub(crate) fn command_outcome(command: &'static str, outcome: &'static str) {
    metrics::counter!(COMMANDS, "command" => command, "outcome" => outcome).increment(1);
}

/// Counts a query's outcome and records its duration.
pub(crate) fn query_outcome(
    endpoint: &'static str,
    outcome: &'static str,
    elapsed: std::time::Duration,
) {
    metrics::counter!(QUERIES, "endpoint" => endpoint, "outcome" => outcome).increment(1);
    metrics::histogram!(QUERY_SECONDS, "endpoint" => endpoint).record(elapsed.as_secs_f64());
}
