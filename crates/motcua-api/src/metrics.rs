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

/// The stream's last sequence minus the projector's checkpoint, by province.
pub const PROJECTOR_LAG: &str = "motcua_projector_lag_messages";
/// The projector's checkpoint (last stream sequence applied), by province.
pub const PROJECTOR_CHECKPOINT: &str = "motcua_projector_checkpoint";
/// The stream's last sequence as the projector last saw it, by province.
pub const PROJECTOR_STREAM_LAST: &str = "motcua_projector_stream_last_seq";
/// The projector's phase: 1 for the one it is in, 0 for the others, by province and phase.
pub const PROJECTOR_PHASE: &str = "motcua_projector_phase";
/// Dead letters in the views' store now, by province.
pub const DEAD_LETTERS: &str = "motcua_projector_dead_letters";
/// Dead letters written since the process started, by province.
pub const DEAD_LETTERS_TOTAL: &str = "motcua_projector_dead_letters_total";
/// Events applied to the views since the process started, by province.
pub const PROJECTED_EVENTS: &str = "motcua_projector_events_total";
/// Times a projector stopped on an error, by province.
pub const PROJECTOR_FAILURES: &str = "motcua_projector_failures_total";
/// Rebuilds of the views from the stream (self-heal), by province.
pub const PROJECTOR_REBUILDS: &str = "motcua_projector_rebuilds_total";
/// While a projector rebuilds: the last sequence applied, by province (0 otherwise).
pub const REBUILD_SEQ: &str = "motcua_projector_rebuild_seq";
/// While a projector rebuilds: the sequence it rebuilds to, by province (0 otherwise).
pub const REBUILD_TARGET: &str = "motcua_projector_rebuild_target_seq";
/// 1 while the data disk (sled: cache and views) takes writes, 0 while it fails.
pub const STORAGE_WRITABLE: &str = "motcua_storage_writable";

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
    metrics::describe_gauge!(
        PROJECTOR_LAG,
        "Messages in the province stream not yet applied to the views (stream last sequence - checkpoint)."
    );
    metrics::describe_gauge!(
        PROJECTOR_CHECKPOINT,
        "Last stream sequence applied to the views."
    );
    metrics::describe_gauge!(
        PROJECTOR_STREAM_LAST,
        "The province stream's last sequence as the projector last saw it."
    );
    metrics::describe_gauge!(
        PROJECTOR_PHASE,
        "1 for the phase the projector is in (starting, rebuilding, running, failed, stopped)."
    );
    metrics::describe_gauge!(DEAD_LETTERS, "Dead letters in the views' store.");
    metrics::describe_counter!(DEAD_LETTERS_TOTAL, "Dead letters written.");
    metrics::describe_counter!(PROJECTED_EVENTS, "Events applied to the views.");
    metrics::describe_counter!(
        PROJECTOR_FAILURES,
        "Times a projector stopped on an error (its supervisor starts it again)."
    );
    metrics::describe_counter!(
        PROJECTOR_REBUILDS,
        "Rebuilds of the views from the stream (self-heal)."
    );
    metrics::describe_gauge!(
        REBUILD_SEQ,
        "While rebuilding: last sequence applied (0 otherwise)."
    );
    metrics::describe_gauge!(
        REBUILD_TARGET,
        "While rebuilding: the sequence the rebuild goes to (0 otherwise)."
    );
    metrics::describe_gauge!(
        STORAGE_WRITABLE,
        "1 while the data disk (write-side cache, views) takes writes, 0 while it fails."
    );
    metrics::describe_histogram!(
        QUERY_SECONDS,
        metrics::Unit::Seconds,
        "Time to answer a query (read models), by endpoint."
    );
}

/// Copies one projector's numbers into the recorder.
pub(crate) fn projector(province: &str, stats: &motcua_views::ProjectorStats) {
    use std::sync::atomic::Ordering::Relaxed;
    let province = province.to_owned();
    let s = stats.status();
    let gauge = |name: &'static str, v: u64| {
        metrics::gauge!(name, "province" => province.clone()).set(v as f64);
    };
    gauge(PROJECTOR_LAG, s.lag);
    gauge(PROJECTOR_CHECKPOINT, s.checkpoint);
    gauge(PROJECTOR_STREAM_LAST, s.stream_last);
    gauge(DEAD_LETTERS, s.dead_letters);
    gauge(REBUILD_SEQ, s.rebuild.map_or(0, |r| r.seq));
    gauge(REBUILD_TARGET, s.rebuild.map_or(0, |r| r.target));
    for phase in [
        motcua_views::Phase::Starting,
        motcua_views::Phase::Rebuilding,
        motcua_views::Phase::Running,
        motcua_views::Phase::Failed,
        motcua_views::Phase::Stopped,
    ] {
        metrics::gauge!(PROJECTOR_PHASE, "province" => province.clone(), "phase" => phase.as_str())
            .set(if phase == s.phase { 1.0 } else { 0.0 });
    }
    let counter = |name: &'static str, v: u64| {
        metrics::counter!(name, "province" => province.clone()).absolute(v);
    };
    counter(DEAD_LETTERS_TOTAL, stats.dead.load(Relaxed));
    counter(PROJECTED_EVENTS, stats.events.load(Relaxed));
    counter(PROJECTOR_FAILURES, stats.failures.load(Relaxed));
    counter(PROJECTOR_REBUILDS, stats.rebuilds.load(Relaxed));
}

/// Whether the data disk takes writes.
pub(crate) fn storage(writable: bool) {
    metrics::gauge!(STORAGE_WRITABLE).set(if writable { 1.0 } else { 0.0 });
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
