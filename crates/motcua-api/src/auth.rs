//! Who is calling: accounts, bearer tokens and the acting role.
//!
//! Accounts come from a file (TOML or JSON, see `docs/security.md`): officers with an office and
//! roles, and applicants' portal accounts. A token is 256 random bits; the file holds only its
//! SHA-256, so a leaked file gives no token. A presented token is hashed and compared with the
//! stored hashes in constant time.
//!
//! The acting role of a command is the first role of `CommandBody::allowed_roles()` that the
//! account holds; an account with none of them is refused (403 `wrong_role`) before the rules are
//! asked. The rules then check the office, the holder and the stage.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, RwLock};

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use motcua_domain::Reference;
use motcua_domain::dossier::{Actor, CommandBody, Role};
use motcua_domain::units::AgencyId;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::problem::{ApiError, codes};

/// The prefix of every token, so that secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "motcua_";

/// Random bytes in a token: 256 bits, twice the 128 a bearer token needs.
pub const TOKEN_BYTES: usize = 32;

/// A bearer token in clear. It is shown once, when made, and never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    /// The token itself, to hand to its owner once.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// A new token and the hash to put into the accounts file.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token, for its owner only.
    pub token: SecretToken,
    /// Its SHA-256 in lower-case hex, for the accounts file.
    pub sha256: String,
}

/// Makes a token from the operating system's random source: `motcua_` and 64 hex digits.
///
/// # Errors
/// When the operating system gives no random bytes.
pub fn new_token() -> Result<NewToken, getrandom::Error> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes)?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let sha256 = token_sha256(&token);
    Ok(NewToken {
        token: SecretToken(token),
        sha256,
    })
}

/// The SHA-256 of a token in lower-case hex, as stored in the accounts file.
pub fn token_sha256(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// What an account is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountKind {
    /// An officer of an office.
    Officer {
        /// The office it acts for.
        office: AgencyId,
        /// Its roles (never `applicant` or `system`).
        roles: Vec<Role>,
    },
    /// An applicant's portal account.
    Applicant,
}

/// An authenticated account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Stable account id (officer id or portal account id); appears in events as the actor.
    pub id: String,
    /// Display name (officers; applicants' names are not kept here).
    pub name: String,
    /// Officer or applicant.
    pub kind: AccountKind,
}

impl Account {
    /// The roles the account may act in.
    pub fn roles(&self) -> &[Role] {
        match &self.kind {
            AccountKind::Officer { roles, .. } => roles,
            AccountKind::Applicant => &[Role::Applicant],
        }
    }

    /// The officer's office.
    pub fn office(&self) -> Option<&AgencyId> {
        match &self.kind {
            AccountKind::Officer { office, .. } => Some(office),
            AccountKind::Applicant => None,
        }
    }

    /// Whether the account holds `role`.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// The role this account acts in for `body`: the first of the command's allowed roles that
    /// it holds.
    pub fn acting_role(&self, body: &CommandBody) -> Option<Role> {
        body.allowed_roles()
            .iter()
            .copied()
            .find(|r| self.has_role(*r))
    }

    /// The actor of a command made in `role`.
    pub fn actor(&self, role: Role) -> Actor {
        match &self.kind {
            AccountKind::Officer { office, .. } => Actor::officer(&self.id, role, office.clone()),
            AccountKind::Applicant => Actor::applicant(&self.id),
        }
    }

    /// The refusal when the account holds none of the command's roles.
    pub fn wrong_role(&self, body: &CommandBody) -> ApiError {
        let list = |roles: &[Role]| {
            roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        ApiError::forbidden(
            codes::WRONG_ROLE,
            format!(
                "{} needs one of the roles {}; this account has {}",
                body.name(),
                list(body.allowed_roles()),
                list(self.roles())
            ),
        )
    }
}

/// Why an accounts file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the accounts file {path}: {reason}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Not valid TOML or JSON of the expected shape.
    #[error("the accounts file is not valid {format}: {reason}")]
    Syntax {
        /// `TOML` or `JSON`.
        format: &'static str,
        /// Why.
        reason: String,
    },
    /// A well-formed entry with a wrong value.
    #[error("account {account:?}: {reason}")]
    Invalid {
        /// The account id.
        account: String,
        /// What is wrong.
        reason: String,
    },
    /// A setting that cannot be read.
    #[error("setting {name}: {reason}")]
    Setting {
        /// The variable.
        name: String,
        /// Why.
        reason: String,
    },
}

/// One hash or several (several while a token is being rotated).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Hashes {
    One(String),
    Many(Vec<String>),
}

impl Hashes {
    fn into_vec(self) -> Vec<String> {
        match self {
            Hashes::One(h) => vec![h],
            Hashes::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficerEntry {
    id: String,
    name: String,
    office: String,
    roles: Vec<Role>,
    token_sha256: Hashes,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplicantEntry {
    id: String,
    #[serde(default)]
    name: Option<String>,
    token_sha256: Hashes,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountsFile {
    #[serde(default)]
    officers: Vec<OfficerEntry>,
    #[serde(default)]
    applicants: Vec<ApplicantEntry>,
}

#[derive(Debug, Default)]
struct Directory {
    accounts: Vec<Arc<Account>>,
    /// SHA-256 of a token → index into `accounts`.
    by_hash: HashMap<[u8; 32], usize>,
}

/// The accounts the API knows, by token hash. Cheap to clone; [`ActorDirectory::replace`] swaps
/// in a reloaded file for every clone at once (token rotation without a restart).
#[derive(Debug, Clone, Default)]
pub struct ActorDirectory {
    inner: Arc<RwLock<Arc<Directory>>>,
}

impl ActorDirectory {
    /// Reads an accounts file: `.json` as JSON, anything else as TOML.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, the account or the setting that is wrong.
    pub fn load(path: &Path) -> Result<ActorDirectory, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            ActorDirectory::from_json(&text)
        } else {
            ActorDirectory::from_toml(&text)
        }
    }

    /// Parses an accounts file in TOML.
    ///
    /// # Errors
    /// [`ConfigError`].
    pub fn from_toml(text: &str) -> Result<ActorDirectory, ConfigError> {
        let file: AccountsFile = toml::from_str(text).map_err(|e| ConfigError::Syntax {
            format: "TOML",
            reason: hint(e.message()),
        })?;
        ActorDirectory::build(file)
    }

    /// Parses an accounts file in JSON.
    ///
    /// # Errors
    /// [`ConfigError`].
    pub fn from_json(text: &str) -> Result<ActorDirectory, ConfigError> {
        let file: AccountsFile = serde_json::from_str(text).map_err(|e| ConfigError::Syntax {
            format: "JSON",
            reason: hint(&e.to_string()),
        })?;
        ActorDirectory::build(file)
    }

    /// A directory of the given accounts with one token hash each (for tests and tools).
    ///
    /// # Errors
    /// [`ConfigError`] as for a file.
    pub fn from_accounts(
        accounts: impl IntoIterator<Item = (Account, String)>,
    ) -> Result<ActorDirectory, ConfigError> {
        let mut dir = Directory::default();
        for (account, hash) in accounts {
            add(&mut dir, account, vec![hash])?;
        }
        Ok(ActorDirectory::wrap(dir))
    }

    fn build(file: AccountsFile) -> Result<ActorDirectory, ConfigError> {
        let mut dir = Directory::default();
        for o in file.officers {
            let invalid = |reason: String| ConfigError::Invalid {
                account: o.id.clone(),
                reason,
            };
            let office: AgencyId = o.office.parse().map_err(|e| invalid(format!("{e}")))?;
            let account = Account {
                id: o.id.clone(),
                name: o.name,
                kind: AccountKind::Officer {
                    office,
                    roles: o.roles,
                },
            };
            add(&mut dir, account, o.token_sha256.into_vec())?;
        }
        for a in file.applicants {
            let account = Account {
                id: a.id,
                name: a.name.unwrap_or_default(),
                kind: AccountKind::Applicant,
            };
            add(&mut dir, account, a.token_sha256.into_vec())?;
        }
        Ok(ActorDirectory::wrap(dir))
    }

    fn wrap(dir: Directory) -> ActorDirectory {
        ActorDirectory {
            inner: Arc::new(RwLock::new(Arc::new(dir))),
        }
    }

    fn current(&self) -> Arc<Directory> {
        match self.inner.read() {
            Ok(d) => Arc::clone(&d),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Checks every officer's office against the reference data.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] for the first unknown office.
    pub fn check_offices(&self, reference: &Reference) -> Result<(), ConfigError> {
        for account in &self.current().accounts {
            if let Some(office) = account.office()
                && reference.agencies.unit_of(office).is_none()
            {
                return Err(ConfigError::Invalid {
                    account: account.id.clone(),
                    reason: format!("unknown office {office}"),
                });
            }
        }
        Ok(())
    }

    /// Swaps in the accounts of `other` (a reloaded file) for this directory and all its clones.
    pub fn replace(&self, other: &ActorDirectory) {
        let next = other.current();
        match self.inner.write() {
            Ok(mut d) => *d = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }

    /// Number of accounts.
    pub fn len(&self) -> usize {
        self.current().accounts.len()
    }

    /// Whether there is no account.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The account holding `token`, if any.
    pub fn authenticate(&self, token: &str) -> Option<Arc<Account>> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let dir = self.current();
        // The map is keyed by the digest, never by the token: a timing difference in the lookup
        // tells at most something about a SHA-256 output, which does not help to find a token.
        // The final comparison is constant-time all the same.
        let (stored, &index) = dir.by_hash.get_key_value(&digest)?;
        if bool::from(stored.ct_eq(&digest)) {
            dir.accounts.get(index).cloned()
        } else {
            None
        }
    }
}

fn add(dir: &mut Directory, account: Account, hashes: Vec<String>) -> Result<(), ConfigError> {
    let invalid = |reason: String| ConfigError::Invalid {
        account: account.id.clone(),
        reason,
    };
    let id_ok = !account.id.is_empty()
        && account.id.len() <= 64
        && account
            .id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'@'));
    if !id_ok {
        return Err(invalid(
            "an account id is 1 to 64 letters, digits, '.', '_', '-' or '@'".to_owned(),
        ));
    }
    if dir.accounts.iter().any(|a| a.id == account.id) {
        return Err(invalid("the id is used twice".to_owned()));
    }
    if let AccountKind::Officer { roles, .. } = &account.kind {
        if account.name.trim().is_empty() {
            return Err(invalid("an officer needs a display name".to_owned()));
        }
        if roles.is_empty() {
            return Err(invalid("an officer needs at least one role".to_owned()));
        }
        if let Some(r) = roles
            .iter()
            .find(|r| matches!(r, Role::Applicant | Role::System))
        {
            return Err(invalid(format!(
                "role {r} is not for officers (applicants are listed under applicants; system is the service itself)"
            )));
        }
    }
    if hashes.is_empty() {
        return Err(invalid("no token_sha256".to_owned()));
    }
    let index = dir.accounts.len();
    for h in hashes {
        let digest: [u8; 32] = hex::decode(h.trim())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| {
                invalid(
                    "token_sha256 must be 64 hex digits: the SHA-256 of the token, never the token (motcua token new prints both)"
                        .to_owned(),
                )
            })?;
        if dir.by_hash.insert(digest, index).is_some() {
            return Err(invalid(
                "this token hash is already given to another account".to_owned(),
            ));
        }
    }
    dir.accounts.push(Arc::new(account));
    Ok(())
}

/// Adds advice to a parse error that names a clear-text token field.
fn hint(message: &str) -> String {
    if message.contains("unknown field `token`") {
        format!("{message}; store token_sha256 (the hash), never the token itself")
    } else {
        message.to_owned()
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller(pub Arc<Account>);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let refuse = |code: &'static str, detail: &str| {
            metrics::counter!(crate::metrics::AUTH_FAILURES, "reason" => code).increment(1);
            ApiError::unauthorized(code, detail)
        };
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(refuse(
                codes::MISSING_TOKEN,
                "send Authorization: Bearer <token>",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(refuse(
                codes::MALFORMED_TOKEN,
                "the Authorization header must be Bearer <token>",
            ));
        };
        match state.actors.authenticate(token) {
            Some(account) => Ok(Caller(account)),
            None => Err(refuse(
                codes::UNKNOWN_TOKEN,
                "the token belongs to no account (revoked or mistyped)",
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn hash_of(token: &str) -> String {
        token_sha256(token)
    }

    #[test]
    fn a_new_token_is_long_random_and_hashes_to_its_hash() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a.token, b.token);
        let t = a.token.expose_secret();
        assert!(t.starts_with(TOKEN_PREFIX));
        assert_eq!(t.len(), TOKEN_PREFIX.len() + 2 * TOKEN_BYTES);
        assert_eq!(a.sha256, token_sha256(t));
        assert_eq!(a.sha256.len(), 64);
        assert!(!format!("{a:?}").contains(t), "Debug printed the token");
    }

    #[test]
    fn the_example_file_parses_with_known_offices() {
        let text = include_str!("../actors.example.toml");
        let dir = ActorDirectory::from_toml(text).unwrap();
        assert!(dir.len() >= 4);
        dir.check_offices(&Reference::official()).unwrap();
    }

    #[test]
    fn toml_and_json_give_the_same_accounts() {
        let h1 = hash_of("t1");
        let h2 = hash_of("t2");
        let h3 = hash_of("t3");
        let toml = format!(
            r#"
[[officers]]
id = "tn01"
name = "Lê Thị Thu"
office = "MC.26740"
roles = ["reception"]
token_sha256 = ["{h1}", "{h2}"]

[[applicants]]
id = "portal-1"
token_sha256 = "{h3}"
"#
        );
        let json = format!(
            r#"{{"officers":[{{"id":"tn01","name":"Lê Thị Thu","office":"MC.26740","roles":["reception"],"token_sha256":["{h1}","{h2}"]}}],
               "applicants":[{{"id":"portal-1","token_sha256":"{h3}"}}]}}"#
        );
        for dir in [
            ActorDirectory::from_toml(&toml).unwrap(),
            ActorDirectory::from_json(&json).unwrap(),
        ] {
            // Both hashes of a rotating officer work.
            assert_eq!(dir.authenticate("t1").unwrap().id, "tn01");
            assert_eq!(dir.authenticate("t2").unwrap().id, "tn01");
            let applicant = dir.authenticate("t3").unwrap();
            assert_eq!(applicant.kind, AccountKind::Applicant);
            assert!(dir.authenticate("t4").is_none());
            assert!(dir.authenticate("").is_none());
        }
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let h = hash_of("x");
        let officer = |extra: &str| {
            format!("[[officers]]\nid = \"a1\"\nname = \"A\"\noffice = \"MC.26740\"\n{extra}\n")
        };
        let cases = [
            (
                officer(&format!("roles = [\"reception\"]\ntoken = \"{h}\"")),
                "never the token",
            ),
            (
                officer("roles = [\"reception\"]\ntoken_sha256 = \"motcua_abc\""),
                "64 hex digits",
            ),
            (
                officer(&format!("roles = []\ntoken_sha256 = \"{h}\"")),
                "at least one role",
            ),
            (
                officer(&format!("roles = [\"system\"]\ntoken_sha256 = \"{h}\"")),
                "not for officers",
            ),
            (
                officer(&format!("roles = [\"chief\"]\ntoken_sha256 = \"{h}\"")),
                "unknown variant",
            ),
            (
                format!(
                    "{}{}",
                    officer(&format!("roles = [\"clerk\"]\ntoken_sha256 = \"{h}\"")),
                    officer(&format!(
                        "roles = [\"clerk\"]\ntoken_sha256 = \"{}\"",
                        hash_of("y")
                    ))
                ),
                "used twice",
            ),
            (
                format!(
                    "{}[[applicants]]\nid = \"p1\"\ntoken_sha256 = \"{h}\"\n",
                    officer(&format!("roles = [\"clerk\"]\ntoken_sha256 = \"{h}\""))
                ),
                "another account",
            ),
        ];
        for (text, needle) in cases {
            let err = ActorDirectory::from_toml(&text).unwrap_err().to_string();
            assert!(err.contains(needle), "{needle:?} not in {err:?}");
        }
        let unknown_office = ActorDirectory::from_toml(
            &officer(&format!("roles = [\"clerk\"]\ntoken_sha256 = \"{h}\""))
                .replace("26740", "99999"),
        )
        .unwrap();
        assert!(
            unknown_office
                .check_offices(&Reference::official())
                .is_err()
        );
    }

    #[test]
    fn the_acting_role_follows_the_commands_order() {
        let officer = Account {
            id: "cv01".into(),
            name: "Chuyên viên".into(),
            kind: AccountKind::Officer {
                office: "UB.26740".parse().unwrap(),
                roles: vec![Role::Clerk, Role::HandlingOfficer],
            },
        };
        // mark_result_ready allows [clerk, handling_officer]: clerk comes first.
        assert_eq!(
            officer.acting_role(&CommandBody::MarkResultReady),
            Some(Role::Clerk)
        );
        // appraise allows only handling_officer.
        let appraise = CommandBody::Appraise {
            proposal: motcua_domain::dossier::Proposal::Grant,
            opinion: "ok".into(),
        };
        assert_eq!(officer.acting_role(&appraise), Some(Role::HandlingOfficer));
        assert_eq!(officer.acting_role(&CommandBody::Approve), None);
        assert_eq!(
            officer.wrong_role(&CommandBody::Approve).code(),
            codes::WRONG_ROLE
        );
    }

    #[test]
    fn replace_swaps_accounts_for_every_clone() {
        let a = ActorDirectory::from_toml(&format!(
            "[[applicants]]\nid = \"p1\"\ntoken_sha256 = \"{}\"\n",
            hash_of("old")
        ))
        .unwrap();
        let clone = a.clone();
        let b = ActorDirectory::from_toml(&format!(
            "[[applicants]]\nid = \"p1\"\ntoken_sha256 = \"{}\"\n",
            hash_of("new")
        ))
        .unwrap();
        a.replace(&b);
        assert!(clone.authenticate("old").is_none());
        assert!(clone.authenticate("new").is_some());
    }
}
