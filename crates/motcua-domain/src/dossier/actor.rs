//! Who acts on a dossier: roles and actors.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::units::AgencyId;

/// What an actor may do. An officer may hold several roles; a command names the one it acts with,
/// and the edge checks that the officer really holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The citizen or business (chủ hồ sơ), acting through the portal.
    Applicant,
    /// One-stop desk officer: receives, forwards, returns (cán bộ tiếp nhận).
    Reception,
    /// Handling officer of the competent office: appraises (chuyên viên xử lý).
    HandlingOfficer,
    /// Head of the office: assigns, approves or rejects, signs (lãnh đạo).
    Approver,
    /// Clerk: numbers, seals and issues the result (văn thư).
    Clerk,
    /// Reads reports; never acts on dossiers.
    Reporter,
    /// Loads historical dossiers; its lines carry the original actors.
    Importer,
    /// Administers the deployment: may stop a dossier.
    Admin,
    /// The system itself, for steps the rules trigger by time (closing an expired supplement).
    System,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 9] = [
        Role::Applicant,
        Role::Reception,
        Role::HandlingOfficer,
        Role::Approver,
        Role::Clerk,
        Role::Reporter,
        Role::Importer,
        Role::Admin,
        Role::System,
    ];

    /// The name used on the wire and in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::Reception => "reception",
            Role::HandlingOfficer => "handling_officer",
            Role::Approver => "approver",
            Role::Clerk => "clerk",
            Role::Reporter => "reporter",
            Role::Importer => "importer",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The actor of a command: an officer of an office acting in one role, an applicant, or the system.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// Stable account identifier (an officer id or a portal account id); never a citizen ID number.
    pub id: String,
    /// The role this command is made in.
    pub role: Role,
    /// The office the officer acts for; `None` for applicants and the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<AgencyId>,
}

impl Actor {
    /// An officer of `agency` acting as `role`.
    pub fn officer(id: impl Into<String>, role: Role, agency: AgencyId) -> Actor {
        Actor {
            id: id.into(),
            role,
            agency: Some(agency),
        }
    }

    /// An applicant with a portal account.
    pub fn applicant(account: impl Into<String>) -> Actor {
        Actor {
            id: account.into(),
            role: Role::Applicant,
            agency: None,
        }
    }

    /// The system acting on a timer.
    pub fn system() -> Actor {
        Actor {
            id: "system".to_owned(),
            role: Role::System,
            agency: None,
        }
    }
}

/// The person or business a dossier is for. Personal data: it lives in events (the record of the
/// State) and never in logs, metrics or subjects; `Debug` prints nothing of it.
/// Unknown fields are refused rather than dropped: a misspelt `id_numbr` must not silently lose
/// a citizen's ID number.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    /// Full name (chủ hồ sơ).
    pub name: String,
    /// Citizen ID or business registration number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl Applicant {
    /// An applicant known by name only.
    pub fn named(name: impl Into<String>) -> Applicant {
        Applicant {
            name: name.into(),
            id_number: None,
            phone: None,
            address: None,
            email: None,
        }
    }
}

impl fmt::Debug for Applicant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Applicant { <personal data withheld> }")
    }
}
