//! One documented endpoint per command. The handlers only name their command and hand over to
//! [`crate::commands`]; the OpenAPI paths are generated from these declarations.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[allow(unused_imports)] // Named by the OpenAPI attributes only.
use crate::commands::CommandAnswer;
#[allow(unused_imports)]
use crate::problem::Problem;
#[allow(unused_imports)]
use crate::schema::*;
use crate::{AppState, auth::Caller};

/// `POST /v1/dossiers`: create a dossier.
///
/// `receive` (reception role, at the caller's desk: a direct or postal dossier) or
/// `submit_online` (an applicant's portal account). The dossier's id is the command id when it
/// is a UUID v7, else derived from it, so a retry with the same `Idempotency-Key` finds the
/// same dossier and gets the same answer.
#[utoipa::path(
    post,
    path = "/v1/dossiers",
    tag = "commands",
    operation_id = "create_dossier",
    request_body(content = CreateDossierBody, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "UUID; same as the body's command_id")),
    responses(
        (status = 201, description = "Created; Location names the dossier", body = CommandAnswer,
            headers(("Location" = String, description = "/v1/dossiers/{key}"))),
        (status = 400, description = "Malformed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the caller's role or office", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Idempotency key reused, or the dossier exists", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Refused by the rules", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Event log unavailable; retry with the same key", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_dossier(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    crate::commands::create(state, &caller, &headers, body).await
}

/// Any other name under a dossier: 404 `unknown_command`.
pub(crate) async fn unknown_command(
    Caller(_caller): Caller,
    Path((_key, name)): Path<(String, String)>,
) -> Response {
    crate::commands::unknown_on_dossier(&name)
}

macro_rules! command_endpoints {
    ($($name:ident, $path:tt, $body:ident, $doc:tt;)*) => {
        $(
            #[doc = $doc]
            #[utoipa::path(
                post,
                path = $path,
                tag = "commands",
                request_body(content = $body, content_type = "application/json",
                    description = "May be empty for a command without fields"),
                params(
                    ("key" = String, Path, description = "Dossier key <province>-<uuid>"),
                    ("Idempotency-Key" = Option<String>, Header, description = "UUID; same as the body's command_id"),
                ),
                responses(
                    (status = 200, description = "Committed (or committed before under this id)", body = CommandAnswer),
                    (status = 400, description = "Malformed", body = Problem, content_type = "application/problem+json"),
                    (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
                    (status = 403, description = "Not the caller's role, office or assignment", body = Problem, content_type = "application/problem+json"),
                    (status = 404, description = "No such dossier", body = Problem, content_type = "application/problem+json"),
                    (status = 409, description = "Idempotency key reused, or contended", body = Problem, content_type = "application/problem+json"),
                    (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
                    (status = 415, description = "Not application/json", body = Problem, content_type = "application/problem+json"),
                    (status = 422, description = "Refused by the rules", body = Problem, content_type = "application/problem+json"),
                    (status = 503, description = "Event log unavailable; retry with the same key", body = Problem, content_type = "application/problem+json"),
                ),
                security(("bearer" = []))
            )]
            pub(crate) async fn $name(
                State(state): State<AppState>,
                Caller(caller): Caller,
                Path(key): Path<String>,
                headers: HeaderMap,
                body: Result<Bytes, BytesRejection>,
            ) -> Response {
                crate::commands::on_dossier(state, &caller, stringify!($name), &key, &headers, body).await
            }
        )*

        /// The command names that have an endpoint under a dossier, in declaration order.
        pub const ON_DOSSIER: &[&str] = &[$(stringify!($name)),*];

        /// The routes of every command under a dossier.
        pub(crate) fn on_dossier_routes() -> OpenApiRouter<AppState> {
            OpenApiRouter::new()
                $(.routes(routes!($name)))*
        }
    };
}

command_endpoints! {
    request_intake_supplement, "/v1/dossiers/{key}/request_intake_supplement", ItemsBody,
        "Ask for an online dossier to be completed before accepting it (reception).";
    provide_intake_supplement, "/v1/dossiers/{key}/provide_intake_supplement", NoFields,
        "The applicant completed an online dossier at intake (applicant, or reception for them).";
    refuse_intake, "/v1/dossiers/{key}/refuse_intake", ReasonBody,
        "Refuse an online dossier at intake (reception).";
    receive, "/v1/dossiers/{key}/receive", ReceiveBody,
        "Receive an online dossier already submitted (reception, at the receiving desk).";
    forward, "/v1/dossiers/{key}/forward", ForwardBody,
        "Hand the dossier over to another office (reception, handling officer or approver of the holder).";
    assign, "/v1/dossiers/{key}/assign", AssignBody,
        "Put an officer in charge (approver or handling officer of the holder).";
    appraise, "/v1/dossiers/{key}/appraise", AppraiseBody,
        "Record the appraisal (the assigned handling officer).";
    request_supplement, "/v1/dossiers/{key}/request_supplement", ItemsBody,
        "Ask the applicant for a supplement; the clock pauses (handling officer or reception).";
    provide_supplement, "/v1/dossiers/{key}/provide_supplement", NoFields,
        "The applicant completed the dossier; the clock runs again (applicant, or reception).";
    expire_supplement, "/v1/dossiers/{key}/expire_supplement", NoFields,
        "Close a dossier whose supplement never came (reception; the system on a timer).";
    request_fee, "/v1/dossiers/{key}/request_fee", RequestFeeBody,
        "Ask for a fee or tax; the clock pauses (handling officer or reception).";
    pay_fee, "/v1/dossiers/{key}/pay_fee", PayFeeBody,
        "Record the payment (applicant, reception or clerk).";
    submit_for_approval, "/v1/dossiers/{key}/submit_for_approval", NoFields,
        "Put the appraisal to the head of the office (handling officer).";
    approve, "/v1/dossiers/{key}/approve", NoFields,
        "Approve and sign (approver).";
    reject_approval, "/v1/dossiers/{key}/reject_approval", ReasonBody,
        "Send the appraisal back (approver).";
    issue, "/v1/dossiers/{key}/issue", IssueBody,
        "Number, seal and issue the result (clerk).";
    mark_result_ready, "/v1/dossiers/{key}/mark_result_ready", NoFields,
        "Processing finished; the result goes to the receiving desk (clerk or handling officer).";
    return_result, "/v1/dossiers/{key}/return_result", ReturnResultBody,
        "Hand the result to the applicant (reception at the desk holding it).";
    withdraw, "/v1/dossiers/{key}/withdraw", ReasonBody,
        "Withdraw at the applicant's request (applicant, or reception).";
    stop, "/v1/dossiers/{key}/stop", ReasonBody,
        "Stop processing (approver or admin).";
    apologise, "/v1/dossiers/{key}/apologise", ApologiseBody,
        "Apologise and set a new appointment, once (handling officer or approver).";
    record_feedback, "/v1/dossiers/{key}/record_feedback", FeedbackBody,
        "Record the applicant's rating (applicant, or reception).";
}

#[cfg(test)]
mod tests {
    use motcua_domain::dossier::CommandBody;

    #[test]
    fn every_command_but_submit_online_has_an_endpoint_under_a_dossier() {
        let expected: Vec<&str> = CommandBody::NAMES
            .iter()
            .copied()
            .filter(|n| *n != "submit_online")
            .collect();
        assert_eq!(super::ON_DOSSIER, expected.as_slice());
    }
}
