//! Accounts and access: users, workspace memberships, sessions, API tokens and ingest keys, and
//! the pure decisions around them (what a permission needs, how credentials are made and
//! hashed, when logins are throttled). The engine stores them (`engine/accounts.rs`); nothing
//! here does I/O or reads the clock.
//!
//! Every secret the engine hands out (a session token, an API token, an ingest key) is 256
//! random bits from the operating system, shown once and stored only as a keyed blake3 hash;
//! passwords are stored as argon2id hashes (PHC strings). Lookups go by the hash and the hash
//! found is compared again in constant time.

use crate::alert::WorkspaceId;
use crate::lifecycle::{self, Role};
use crate::workspace::Workspace;
use crate::{Error, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine as _;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::str::FromStr;
use subtle::ConstantTimeEq;

/// How long a session lives: a fixed 7 days from login (not extended by use), after which the
/// user logs in again.
pub const SESSION_TTL: TimeDelta = TimeDelta::days(7);

/// Failed logins counted per email and per address within [`THROTTLE_WINDOW`] before further
/// attempts are refused with `rate_limited`.
pub const THROTTLE_LIMIT: u32 = 10;

/// The window failed logins are counted in.
pub const THROTTLE_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest password accepted (argon2 hashes any length; this bounds the work per request).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Prefix of session tokens.
pub const SESSION_PREFIX: &str = "scs_";
/// Prefix of API tokens.
pub const TOKEN_PREFIX: &str = "sct_";
/// Prefix of ingest keys.
pub const INGEST_KEY_PREFIX: &str = "sck_";

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its opaque id (`usr_…`).
    pub id: String,
    /// The login email, lower case.
    pub email: String,
    /// The display name.
    pub name: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A user's membership of a workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The user.
    pub user_id: String,
    /// The user's email.
    pub email: String,
    /// The user's display name.
    pub name: Option<String>,
    /// The user's role in the workspace.
    pub role: Role,
}

/// A new session, as `login` answers it: the token is shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The session token (the host puts it in the `sc_session` cookie).
    pub token: String,
    /// The CSRF token unsafe requests of this session must carry.
    pub csrf_token: String,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub user: User,
}

impl std::fmt::Debug for Session {
    /// The secret redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token", &crate::secrets::REDACTED)
            .field("csrf_token", &crate::secrets::REDACTED)
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

/// An API token as listed (the secret itself is never shown again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Its id (`tok_…`).
    pub id: String,
    /// Its name (the actor is `token:<name>`).
    pub name: String,
    /// Its role in its workspace.
    pub role: Role,
    /// Its workspace.
    pub workspace: WorkspaceId,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new API token: the token is shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    /// Its id.
    pub id: String,
    /// The secret, to send as `Authorization: Bearer`.
    pub token: String,
    /// Its role.
    pub role: Role,
    /// Its workspace.
    pub workspace: WorkspaceId,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewApiToken {
    /// The secret redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewApiToken")
            .field("id", &self.id)
            .field("token", &crate::secrets::REDACTED)
            .field("role", &self.role)
            .field("workspace", &self.workspace)
            .field("name", &self.name)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// An ingest key as listed: its id and the first characters of the key, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestKeyView {
    /// Its id (`key_…`).
    pub id: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a delivery (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A new ingest key: the key is shown this once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewIngestKey {
    /// Its id.
    pub id: String,
    /// The key, for `?key=` or `Authorization: Bearer`.
    pub key: String,
    /// The source it is for.
    pub source: crate::alert::Source,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewIngestKey {
    /// The secret redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewIngestKey")
            .field("id", &self.id)
            .field("key", &crate::secrets::REDACTED)
            .field("source", &self.source)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// The token part of a [`Principal`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPrincipal {
    /// The token's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its workspace.
    pub workspace_id: WorkspaceId,
    /// Its role there.
    pub role: Role,
}

/// One workspace a principal may use, with its role there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    /// The workspace's id.
    pub workspace_id: WorkspaceId,
    /// The workspace's name.
    pub workspace: String,
    /// The role.
    pub role: Role,
}

/// What kind of credential authenticated a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    /// A login session.
    Session,
    /// An API token.
    Token,
}

/// Who a request is from, as [`authenticate`](crate::Engine::authenticate) answers it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    /// Session or token.
    pub kind: PrincipalKind,
    /// The actor name commands are recorded under: `user:<email>` or `token:<name>`.
    pub actor: String,
    /// The user, for a session.
    pub user: Option<User>,
    /// The token, for an API token.
    pub token: Option<TokenPrincipal>,
    /// The session's CSRF token, for a session.
    pub csrf_token: Option<String>,
    /// Every workspace the principal may use, with its role.
    pub memberships: Vec<Membership>,
}

impl std::fmt::Debug for Principal {
    /// Everything but the session's CSRF token, which shows as set or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Principal")
            .field("kind", &self.kind)
            .field("actor", &self.actor)
            .field("user", &self.user)
            .field("token", &self.token)
            .field("csrf_token", &crate::secrets::redacted(&self.csrf_token))
            .field("memberships", &self.memberships)
            .finish()
    }
}

impl Principal {
    /// The principal's role in `workspace` (by id), if it has one.
    pub fn role_in(&self, workspace: &WorkspaceId) -> Option<Role> {
        self.memberships
            .iter()
            .find(|m| &m.workspace_id == workspace)
            .map(|m| m.role)
    }
}

/// What [`authorize`](crate::Engine::authorize) answers: the principal may do the thing here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Access {
    /// The actor name to record commands under.
    pub actor: String,
    /// The principal's role in the workspace.
    pub role: Role,
    /// The workspace.
    pub workspace: Workspace,
    /// Who.
    pub principal: Principal,
}

/// What a request wants to do in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessPermission {
    /// Read anything (viewer and above).
    Read,
    /// Work groups: every lifecycle command (member and above).
    Act,
    /// Change configuration (admin and above).
    Configure,
    /// Manage members and tokens (owner).
    Administer,
}

impl FromStr for AccessPermission {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "read" => Ok(Self::Read),
            "act" => Ok(Self::Act),
            "configure" => Ok(Self::Configure),
            "administer" => Ok(Self::Administer),
            _ => Err(Error::invalid(
                "permission",
                format!("unknown permission {s:?} (expected read, act, configure or administer)"),
            )),
        }
    }
}

/// Whether `role` has `permission`: [`lifecycle::authorize`]'s ladder (viewer reads, member
/// acts, admin configures, owner administers); a refusal is `forbidden`.
pub fn check_permission(role: Role, permission: AccessPermission) -> Result<()> {
    let command = lifecycle::Command::Ack;
    lifecycle::authorize(
        role,
        match permission {
            AccessPermission::Read => lifecycle::Permission::Read,
            AccessPermission::Act => lifecycle::Permission::Act(&command),
            AccessPermission::Configure => lifecycle::Permission::Configure,
            AccessPermission::Administer => lifecycle::Permission::Administer,
        },
    )
    .map_err(|_| {
        Error::Forbidden(format!(
            "a {} may not {} (needs {} or above)",
            role.as_str(),
            match permission {
                AccessPermission::Read => "read this workspace",
                AccessPermission::Act => "act on groups",
                AccessPermission::Configure => "change configuration",
                AccessPermission::Administer => "manage members and tokens",
            },
            match permission {
                AccessPermission::Read => "viewer",
                AccessPermission::Act => "member",
                AccessPermission::Configure => "admin",
                AccessPermission::Administer => "owner",
            }
        ))
    })
}

/// Normalizes and checks an email: trimmed, lower case, one `@` with text on both sides, at most
/// 254 bytes, no whitespace or control characters.
pub fn normalize_email(email: &str) -> Result<String> {
    let e = email.trim().to_lowercase();
    let ok = e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(e.split_once('@'), Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@'));
    if !ok {
        return Err(Error::invalid(
            "email",
            format!("expected an email address, got {email:?}"),
        ));
    }
    Ok(e)
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::invalid(
            "password",
            format!("must be at most {MAX_PASSWORD_BYTES} bytes"),
        ));
    }
    Ok(())
}

/// Checks a display or token name: 1 to 100 characters, no control characters.
pub fn check_name(what: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(Error::invalid(
            what,
            "expected 1 to 100 characters without control characters",
        ));
    }
    Ok(())
}

/// The argon2id cost of password hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordCost {
    /// OWASP's recommendation for argon2id: 19 MiB, 2 passes, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordCost {
    /// A cheap cost for tests only (1 MiB, 1 pass): never use it for real accounts.
    pub fn for_tests() -> Self {
        Self {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn hasher(self) -> Result<argon2::Argon2<'static>> {
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| Error::invalid("password_cost", e.to_string()))?;
        Ok(argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            params,
        ))
    }

    /// Hashes `password` with a random salt: a PHC string (`$argon2id$v=19$m=…`).
    pub fn hash(self, password: &str) -> Result<String> {
        let salt_bytes = random_bytes::<16>()?;
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| Error::Internal(format!("encoding a salt: {e}")))?;
        self.hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing a password: {e}")))
    }
}

/// Whether `password` matches the PHC string `hash` (argon2's own constant-time comparison; the
/// cost is the one the hash was made with). A hash that does not parse never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(b)
}

/// A new secret: `prefix` followed by 256 random bits, base64url without padding.
pub fn new_secret(prefix: &str) -> Result<String> {
    let bytes = random_bytes::<32>()?;
    Ok(format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// A new opaque id: `prefix` and 80 random bits in hex.
pub fn new_id(prefix: &str) -> Result<String> {
    Ok(format!("{prefix}{}", hex::encode(random_bytes::<10>()?)))
}

/// What a secret is stored as: its blake3 hash, derived with a context per use (a session
/// token's hash is never an API token's), in hex.
pub fn secret_hash(context: SecretUse, secret: &str) -> String {
    let mut h = blake3::Hasher::new_derive_key(context.context());
    h.update(secret.as_bytes());
    h.finalize().to_hex().to_string()
}

/// Constant-time equality of two stored hashes.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// What a secret is for (the hash context of [`secret_hash`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUse {
    /// A login session.
    Session,
    /// An API token.
    ApiToken,
    /// An ingest key.
    IngestKey,
}

impl SecretUse {
    fn context(self) -> &'static str {
        match self {
            SecretUse::Session => "signalcraft session token v1",
            SecretUse::ApiToken => "signalcraft api token v1",
            SecretUse::IngestKey => "signalcraft ingest key v1",
        }
    }
}

/// Whether another login may be tried, given the times of the failures counted against the
/// email or the address within the window (any order): `Err(rate_limited)` with the seconds
/// until the oldest of them leaves the window once there are [`THROTTLE_LIMIT`] of them.
pub fn throttle(failures: &[DateTime<Utc>], now: DateTime<Utc>) -> Result<()> {
    let since = now - THROTTLE_WINDOW;
    let mut recent: Vec<DateTime<Utc>> = failures.iter().copied().filter(|t| *t > since).collect();
    if recent.len() < THROTTLE_LIMIT as usize {
        return Ok(());
    }
    recent.sort();
    // The attempt is allowed again once fewer than LIMIT failures remain in the window.
    let frees = recent[recent.len() - THROTTLE_LIMIT as usize] + THROTTLE_WINDOW;
    let secs = ((frees - now).num_milliseconds().max(0) as u64).div_ceil(1000);
    Err(Error::rate_limited(
        "too many failed logins; try again later",
        secs,
    ))
}

/// The one answer to bad credentials, whether the email is unknown or the password wrong.
pub fn bad_credentials() -> Error {
    Error::Unauthenticated("invalid email or password".into())
}

/// The one answer to a session or token that is not valid (unknown, expired, revoked).
pub fn bad_credential() -> Error {
    Error::Unauthenticated("invalid, expired or revoked credential".into())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let cost = PasswordCost::for_tests();
        let h = cost.hash("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"), "{h}");
        assert!(verify_password(&h, "correct horse"));
        assert!(!verify_password(&h, "correct horsf"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert_ne!(h, cost.hash("correct horse").unwrap(), "salted");
    }

    #[test]
    fn default_cost_is_owasp() {
        let c = PasswordCost::default();
        assert_eq!((c.memory_kib, c.iterations, c.parallelism), (19456, 2, 1));
    }

    #[test]
    fn secrets_are_256_bits_and_hash_per_use() {
        let s = new_secret(TOKEN_PREFIX).unwrap();
        assert_eq!(s.len(), TOKEN_PREFIX.len() + 43);
        assert_ne!(s, new_secret(TOKEN_PREFIX).unwrap());
        assert_ne!(
            secret_hash(SecretUse::Session, &s),
            secret_hash(SecretUse::ApiToken, &s)
        );
        let h = secret_hash(SecretUse::IngestKey, &s);
        assert!(hashes_equal(&h, &secret_hash(SecretUse::IngestKey, &s)));
        assert!(!hashes_equal(&h, &h[1..]));
    }

    #[test]
    fn emails_are_normalized() {
        assert_eq!(
            normalize_email(" Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in ["", "alice", "@x", "a@", "a b@x", "a@b@c"] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn throttle_counts_failures_in_the_window() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let nine: Vec<_> = (0..9).map(|i| now - TimeDelta::minutes(i)).collect();
        assert!(throttle(&nine, now).is_ok());
        let mut ten = nine.clone();
        ten.push(now - TimeDelta::minutes(14));
        let e = throttle(&ten, now).unwrap_err();
        assert_eq!(e.retry_after_secs(), Some(60));
        // old failures do not count
        let mut old = nine;
        old.push(now - TimeDelta::minutes(16));
        assert!(throttle(&old, now).is_ok());
    }

    #[test]
    fn permissions_follow_the_role_ladder() {
        assert!(check_permission(Role::Viewer, AccessPermission::Read).is_ok());
        assert!(check_permission(Role::Viewer, AccessPermission::Act).is_err());
        assert!(check_permission(Role::Member, AccessPermission::Act).is_ok());
        assert!(check_permission(Role::Member, AccessPermission::Configure).is_err());
        assert!(check_permission(Role::Admin, AccessPermission::Configure).is_ok());
        assert!(check_permission(Role::Admin, AccessPermission::Administer).is_err());
        assert!(check_permission(Role::Owner, AccessPermission::Administer).is_ok());
        let e = check_permission(Role::Viewer, AccessPermission::Act).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Forbidden);
    }
}
