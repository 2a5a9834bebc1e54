//! Request body schemas of the commands, for the OpenAPI document.
//!
//! The bodies are parsed into the domain's `CommandBody` (the one definition of a command); these
//! types only describe them, because the domain crate knows nothing of HTTP or OpenAPI. A test
//! compares every schema's fields with the fields the domain serialises, so the two cannot drift.
//! Every body may also carry `command_id` (idempotency key) and `correlation_id`.

#![allow(dead_code)] // Fields are read by the OpenAPI derive only.

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A national procedure code `d.dddddd`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = String, pattern = r"^\d\.\d{6}$", example = "1.004194")]
pub struct ProcedureCodeDoc(String);

/// An office's electronic identifier (mã định danh điện tử).
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = String, pattern = r"^[A-Z0-9][A-Z0-9.]{3,18}[A-Z0-9]$", example = "UB.26740")]
pub struct AgencyIdDoc(String);

/// A dossier code `<office>-<YYMMDD>-<NNNN>`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = String, example = "MC.26740-261123-0001")]
pub struct DossierCodeDoc(String);

/// An instant, RFC 3339 with an offset.
#[derive(Debug, Serialize, ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2026-12-01T17:00:00+07:00")]
pub struct InstantDoc(String);

/// The applicant: personal data, kept in events only (never in logs, metrics or subjects).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantDoc {
    /// Full name.
    name: String,
    /// Citizen ID or business registration number.
    id_number: Option<String>,
    /// Phone.
    phone: Option<String>,
    /// Postal address.
    address: Option<String>,
    /// E-mail.
    email: Option<String>,
}

/// Submission channel.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChannelDoc {
    /// At the desk.
    Direct,
    /// Through the portal.
    Online,
    /// By post.
    Postal,
}

/// The appraisal's proposal.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ProposalDoc {
    /// Grant.
    Grant,
    /// Refuse, with the reason for the applicant.
    Refuse {
        /// The reason.
        reason: String,
    },
}

/// How the result is handed over.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReturnMethodDoc {
    /// At the desk.
    Desk,
    /// By post.
    Post,
    /// Electronically.
    Electronic,
}

/// How a fee was paid.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethodDoc {
    /// Cash.
    Cash,
    /// Bank transfer.
    Transfer,
    /// The portal's payment platform.
    OnlinePortal,
}

/// The applicant's rating.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SatisfactionDoc {
    /// Hài lòng.
    Satisfied,
    /// Bình thường.
    Neutral,
    /// Không hài lòng.
    Dissatisfied,
}

/// Declares a body schema: the command's fields plus `command_id` and `correlation_id`.
macro_rules! body {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            $($(#[$fdoc])* $field: $ty,)*
            /// Idempotency key (UUID); the `Idempotency-Key` header may carry it instead.
            command_id: Option<Uuid>,
            /// Joins the commits of one business transaction.
            correlation_id: Option<Uuid>,
        }
    };
}

body!(
    /// A command without fields.
    NoFields {}
);
body!(
    /// An applicant files a dossier online (the portal's account acts).
    SubmitOnlineBody {
        /// Procedure.
        procedure: ProcedureCodeDoc,
        /// The applicant.
        applicant: ApplicantDoc,
        /// The desk the portal routes it to.
        receiving_agency: AgencyIdDoc,
    }
);
body!(
    /// The desk receives a dossier: a new direct or postal one (procedure and applicant required),
    /// or an online one already submitted.
    ReceiveBody {
        /// The code, when the desk has one; else the next code of the office and day is drawn.
        code: Option<DossierCodeDoc>,
        /// Procedure (required for a new dossier).
        procedure: Option<ProcedureCodeDoc>,
        /// Channel (default direct; ignored for an online submission).
        channel: Option<ChannelDoc>,
        /// The applicant (required for a new dossier).
        applicant: Option<ApplicantDoc>,
        /// The competent office.
        handling_agency: AgencyIdDoc,
        /// Scanned and signed at receipt.
        digitised: Option<bool>,
    }
);
body!(
    /// Items missing, listed once.
    ItemsBody {
        /// What is missing.
        items: Vec<String>,
    }
);
body!(
    /// A reason, as told to the applicant.
    ReasonBody {
        /// The reason.
        reason: String,
    }
);
body!(
    /// Hand the dossier to another office.
    ForwardBody {
        /// The receiving office.
        to: AgencyIdDoc,
        /// Note on the control slip.
        note: Option<String>,
    }
);
body!(
    /// Put an officer in charge.
    AssignBody {
        /// The officer's account id.
        officer: String,
    }
);
body!(
    /// Record the appraisal.
    AppraiseBody {
        /// Grant or refuse.
        proposal: ProposalDoc,
        /// The opinion.
        opinion: String,
    }
);
body!(
    /// Ask for a fee.
    RequestFeeBody {
        /// Amount in VND.
        amount_vnd: u64,
        /// What it is for.
        reason: String,
    }
);
body!(
    /// Record a payment.
    PayFeeBody {
        /// Amount paid in VND (the amount asked).
        amount_vnd: u64,
        /// How.
        method: PaymentMethodDoc,
    }
);
body!(
    /// Number, seal and issue the result.
    IssueBody {
        /// Document number.
        document_no: String,
        /// Electronic document with a digital signature.
        electronic: Option<bool>,
    }
);
body!(
    /// Hand the result to the applicant.
    ReturnResultBody {
        /// How.
        method: ReturnMethodDoc,
    }
);
body!(
    /// Apologise and set a new appointment (once).
    ApologiseBody {
        /// Reason for the delay.
        reason: String,
        /// The new appointment.
        new_due_at: InstantDoc,
    }
);
body!(
    /// Record the applicant's rating.
    FeedbackBody {
        /// How satisfied.
        satisfaction: SatisfactionDoc,
        /// Comment.
        comment: Option<String>,
    }
);

/// The body of `POST /v1/dossiers`: a command that creates a dossier.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum CreateDossierBody {
    /// A desk receives a new direct or postal dossier.
    Receive(ReceiveBody),
    /// An applicant files online.
    SubmitOnline(SubmitOnlineBody),
}

/// The body schema's name of each command, in `CommandBody::NAMES` order.
pub const BODY_OF: [(&str, &str); 23] = [
    ("submit_online", "SubmitOnlineBody"),
    ("request_intake_supplement", "ItemsBody"),
    ("provide_intake_supplement", "NoFields"),
    ("refuse_intake", "ReasonBody"),
    ("receive", "ReceiveBody"),
    ("forward", "ForwardBody"),
    ("assign", "AssignBody"),
    ("appraise", "AppraiseBody"),
    ("request_supplement", "ItemsBody"),
    ("provide_supplement", "NoFields"),
    ("expire_supplement", "NoFields"),
    ("request_fee", "RequestFeeBody"),
    ("pay_fee", "PayFeeBody"),
    ("submit_for_approval", "NoFields"),
    ("approve", "NoFields"),
    ("reject_approval", "ReasonBody"),
    ("issue", "IssueBody"),
    ("mark_result_ready", "NoFields"),
    ("return_result", "ReturnResultBody"),
    ("withdraw", "ReasonBody"),
    ("stop", "ReasonBody"),
    ("apologise", "ApologiseBody"),
    ("record_feedback", "FeedbackBody"),
];

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeSet;

    use motcua_domain::dossier::{
        Applicant, CommandBody, PaymentMethod, Proposal, ReturnMethod, Satisfaction,
    };
    use utoipa::PartialSchema;
    use utoipa::openapi::{RefOr, schema::Schema};

    use super::*;

    fn properties(schema: &RefOr<Schema>) -> BTreeSet<String> {
        match schema {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            _ => panic!("not an object schema"),
        }
    }

    fn schema_of(name: &str) -> BTreeSet<String> {
        let schemas: Vec<(String, RefOr<Schema>)> = vec![
            ("NoFields".into(), NoFields::schema()),
            ("SubmitOnlineBody".into(), SubmitOnlineBody::schema()),
            ("ReceiveBody".into(), ReceiveBody::schema()),
            ("ItemsBody".into(), ItemsBody::schema()),
            ("ReasonBody".into(), ReasonBody::schema()),
            ("ForwardBody".into(), ForwardBody::schema()),
            ("AssignBody".into(), AssignBody::schema()),
            ("AppraiseBody".into(), AppraiseBody::schema()),
            ("RequestFeeBody".into(), RequestFeeBody::schema()),
            ("PayFeeBody".into(), PayFeeBody::schema()),
            ("IssueBody".into(), IssueBody::schema()),
            ("ReturnResultBody".into(), ReturnResultBody::schema()),
            ("ApologiseBody".into(), ApologiseBody::schema()),
            ("FeedbackBody".into(), FeedbackBody::schema()),
        ];
        let (_, schema) = schemas.iter().find(|(n, _)| n == name).unwrap();
        let mut props = properties(schema);
        assert!(props.remove("command_id") && props.remove("correlation_id"));
        props
    }

    /// Every command with every optional field given.
    fn samples() -> Vec<CommandBody> {
        let applicant = Applicant {
            name: "Nguyễn Văn An".into(),
            id_number: Some("079200000001".into()),
            phone: Some("0900000000".into()),
            address: Some("1 Lê Lợi".into()),
            email: Some("an@example.vn".into()),
        };
        let reason = || "lý do".to_owned();
        vec![
            CommandBody::SubmitOnline {
                procedure: "1.004194".parse().unwrap(),
                applicant: applicant.clone(),
                receiving_agency: "MC.26740".parse().unwrap(),
            },
            CommandBody::RequestIntakeSupplement {
                items: vec!["x".into()],
            },
            CommandBody::ProvideIntakeSupplement,
            CommandBody::RefuseIntake { reason: reason() },
            CommandBody::Receive {
                code: Some("MC.26740-261123-0001".parse().unwrap()),
                procedure: Some("1.004194".parse().unwrap()),
                channel: Some(motcua_domain::catalogue::Channel::Direct),
                applicant: Some(applicant),
                handling_agency: "UB.26740".parse().unwrap(),
                digitised: true,
            },
            CommandBody::Forward {
                to: "UB.26740".parse().unwrap(),
                note: Some("n".into()),
            },
            CommandBody::Assign {
                officer: "cv01".into(),
            },
            CommandBody::Appraise {
                proposal: Proposal::Grant,
                opinion: "ok".into(),
            },
            CommandBody::RequestSupplement {
                items: vec!["x".into()],
            },
            CommandBody::ProvideSupplement,
            CommandBody::ExpireSupplement,
            CommandBody::RequestFee {
                amount_vnd: 1,
                reason: reason(),
            },
            CommandBody::PayFee {
                amount_vnd: 1,
                method: PaymentMethod::Cash,
            },
            CommandBody::SubmitForApproval,
            CommandBody::Approve,
            CommandBody::RejectApproval { reason: reason() },
            CommandBody::Issue {
                document_no: "1".into(),
                electronic: true,
            },
            CommandBody::MarkResultReady,
            CommandBody::ReturnResult {
                method: ReturnMethod::Desk,
            },
            CommandBody::Withdraw { reason: reason() },
            CommandBody::Stop { reason: reason() },
            CommandBody::Apologise {
                reason: reason(),
                new_due_at: "2026-12-01T10:00:00Z".parse().unwrap(),
            },
            CommandBody::RecordFeedback {
                satisfaction: Satisfaction::Satisfied,
                comment: Some("c".into()),
            },
        ]
    }

    #[test]
    fn every_command_has_a_body_schema_with_the_domains_fields() {
        let samples = samples();
        assert_eq!(samples.len(), CommandBody::NAMES.len());
        for (i, sample) in samples.iter().enumerate() {
            let (name, schema) = BODY_OF[i];
            assert_eq!(sample.name(), name);
            assert_eq!(CommandBody::NAMES[i], name);
            let value = serde_json::to_value(sample).unwrap();
            let mut fields: BTreeSet<String> = value.as_object().unwrap().keys().cloned().collect();
            fields.remove("command");
            assert_eq!(
                fields,
                schema_of(schema),
                "{name}: domain fields vs {schema}"
            );
        }
    }

    /// The rows of the roles table in docs/security.md: each role and the commands it may make.
    fn role_rows() -> Vec<String> {
        use motcua_domain::dossier::Role;
        let samples = samples();
        Role::ALL
            .iter()
            .filter(|r| **r != Role::System)
            .map(|role| {
                let commands: Vec<String> = samples
                    .iter()
                    .filter(|s| s.allowed_roles().contains(role))
                    .map(|s| format!("`{}`", s.name()))
                    .collect();
                let list = if commands.is_empty() {
                    "none".to_owned()
                } else {
                    commands.join(", ")
                };
                format!("| `{}` | {list} |", role.as_str())
            })
            .collect()
    }

    #[test]
    fn the_security_document_lists_each_roles_commands() {
        let doc = include_str!("../../../docs/security.md");
        let missing: Vec<String> = role_rows()
            .into_iter()
            .filter(|row| !doc.contains(row.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "docs/security.md lacks the rows\n{}",
            missing.join("\n")
        );
    }
}
