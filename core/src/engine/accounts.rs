//! Accounts and access: users, memberships, login sessions, API tokens, and the one
//! `authenticate` / `authorize` every host asks before it serves a request.

use super::Engine;
use crate::accounts::{
    self, Access, AccessPermission, ApiToken, Member, Membership, NewApiToken, Principal,
    PrincipalKind, SecretUse, Session, TokenPrincipal, User,
};
use crate::lifecycle::Role;
use crate::store;
use crate::store::db::Conn;
use crate::workspace::Workspace;
use crate::{Error, Result};
use chrono::TimeDelta;

/// How stale `last_used_at` of a token or key may get before a use rewrites it.
pub(super) const LAST_USED_PRECISION: TimeDelta = TimeDelta::minutes(1);

impl Engine {
    // ---- users and members ------------------------------------------------------------------

    /// Adds a user with an argon2id hash of `password` (8 to 1024 bytes). Emails are unique
    /// (compared in lower case): a second user with the same email is a `conflict`.
    pub fn add_user(&self, email: &str, password: &str, name: Option<&str>) -> Result<User> {
        let email = accounts::normalize_email(email)?;
        accounts::check_password(password)?;
        if let Some(n) = name {
            accounts::check_name("name", n)?;
        }
        let hash = self.password_cost.hash(password)?;
        let user = User {
            id: accounts::new_id("usr_")?,
            email,
            name: name.map(str::to_string),
            created_at: self.now(),
        };
        self.store.write(|tx| {
            store::accounts::insert_user(tx, &user, &hash)?;
            Ok(user.clone())
        })
    }

    /// Every user, by email.
    pub fn users(&self) -> Result<Vec<User>> {
        self.store.read(store::accounts::users)
    }

    /// Creates a workspace whose owner is the user with `owner_email`, in one transaction.
    pub fn create_workspace_with_owner(&self, name: &str, owner_email: &str) -> Result<Workspace> {
        let email = accounts::normalize_email(owner_email)?;
        let now = self.now();
        self.store.write(|tx| {
            let (user, _) = store::accounts::user_by_email(tx, &email)?
                .ok_or_else(|| Error::not_found("user", email.clone()))?;
            let ws = self.insert_workspace(tx, name, now)?;
            store::accounts::set_member(tx, &ws.id, &user.id, Role::Owner, now)?;
            Ok(ws)
        })
    }

    /// Gives the user with `email` `role` in a workspace (adding or changing their membership).
    /// The last owner cannot be demoted (`conflict`).
    pub fn set_member(&self, workspace: &str, email: &str, role: Role) -> Result<Member> {
        let email = accounts::normalize_email(email)?;
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            let (user, _) = store::accounts::user_by_email(tx, &email)?
                .ok_or_else(|| Error::not_found("user", email.clone()))?;
            let before = store::accounts::member_role(tx, &ws.id, &user.id)?;
            if before == Some(Role::Owner)
                && role != Role::Owner
                && store::accounts::owners(tx, &ws.id)? <= 1
            {
                return Err(Error::Conflict(format!(
                    "{email} is the workspace's last owner; make someone else owner first"
                )));
            }
            store::accounts::set_member(tx, &ws.id, &user.id, role, now)?;
            Ok(Member {
                workspace_id: ws.id.clone(),
                user_id: user.id,
                email: user.email,
                name: user.name,
                role,
            })
        })
    }

    /// Removes a user from a workspace (`not_found` if they are not a member; the last owner
    /// cannot be removed).
    pub fn remove_member(&self, workspace: &str, email: &str) -> Result<()> {
        let email = accounts::normalize_email(email)?;
        self.write_in(workspace, |tx, ws| {
            let (user, _) = store::accounts::user_by_email(tx, &email)?
                .ok_or_else(|| Error::not_found("member", email.clone()))?;
            if store::accounts::member_role(tx, &ws.id, &user.id)? == Some(Role::Owner)
                && store::accounts::owners(tx, &ws.id)? <= 1
            {
                return Err(Error::Conflict(format!(
                    "{email} is the workspace's last owner; make someone else owner first"
                )));
            }
            if !store::accounts::remove_member(tx, &ws.id, &user.id)? {
                return Err(Error::not_found("member", email.clone()));
            }
            Ok(())
        })
    }

    /// A workspace's members, by email.
    pub fn members(&self, workspace: &str) -> Result<Vec<Member>> {
        self.read_in(workspace, |tx, ws| store::accounts::members(tx, &ws.id))
    }

    // ---- sessions ---------------------------------------------------------------------------

    /// Logs a user in: a new session (token and CSRF token shown once) valid for
    /// [`accounts::SESSION_TTL`] from now — fixed, not extended by use.
    ///
    /// A wrong password and an unknown email get the same `unauthenticated` answer in about the
    /// same time (an unknown email is verified against a dummy hash). After
    /// [`accounts::THROTTLE_LIMIT`] failures within [`accounts::THROTTLE_WINDOW`] for the email,
    /// or for the `address` (the client's IP, as the host sees it), further attempts are
    /// `rate_limited` until the window frees up. Failures are stored, so the limit holds across
    /// processes sharing the database.
    pub fn login(&self, email: &str, password: &str, address: Option<&str>) -> Result<Session> {
        let now = self.now();
        // Made before the lookup, whatever it finds: the first login of an engine costs the
        // same for a known and an unknown email.
        let dummy = self.dummy_hash()?;
        let email_key = email.trim().to_lowercase();
        let since = now - accounts::THROTTLE_WINDOW;
        let address = address.map(str::trim).filter(|a| !a.is_empty());
        let found = self.store.read(|tx| {
            let limit = accounts::THROTTLE_LIMIT;
            accounts::throttle(
                &store::accounts::failures(tx, "email", &email_key, since, limit)?,
                now,
            )?;
            if let Some(a) = address {
                accounts::throttle(
                    &store::accounts::failures(tx, "address", a, since, limit)?,
                    now,
                )?;
            }
            match accounts::normalize_email(email) {
                Ok(e) => store::accounts::user_by_email(tx, &e),
                Err(_) => Ok(None),
            }
        })?;
        // An over-long password is never right, and is not hashed at its length either.
        let valid = password.len() <= accounts::MAX_PASSWORD_BYTES;
        let candidate = if valid { password } else { "" };
        let user = match found {
            Some((user, hash)) => {
                (accounts::verify_password(&hash, candidate) && valid).then_some(user)
            }
            None => {
                let _ = accounts::verify_password(&dummy, candidate);
                None
            }
        };
        let Some(user) = user else {
            self.store.write(|tx| {
                store::accounts::add_failure(tx, "email", &email_key, now)?;
                if let Some(a) = address {
                    store::accounts::add_failure(tx, "address", a, now)?;
                }
                // failures older than the window no longer count: keep the table bounded
                store::accounts::purge(tx, now, since)
            })?;
            return Err(accounts::bad_credentials());
        };
        let token = accounts::new_secret(accounts::SESSION_PREFIX)?;
        let csrf_token = accounts::new_secret("")?;
        let expires_at = now + accounts::SESSION_TTL;
        self.store.write(|tx| {
            store::accounts::clear_failures(tx, "email", &email_key)?;
            store::accounts::insert_session(
                tx,
                &accounts::secret_hash(SecretUse::Session, &token),
                &user.id,
                &csrf_token,
                now,
                expires_at,
            )?;
            store::accounts::purge(tx, now, since)
        })?;
        Ok(Session {
            token,
            csrf_token,
            expires_at,
            user,
        })
    }

    /// Ends a session. An unknown or already ended session is a no-op.
    pub fn logout(&self, token: &str) -> Result<()> {
        let now = self.now();
        let hash = accounts::secret_hash(SecretUse::Session, token);
        self.store
            .write(|tx| store::accounts::revoke_session(tx, &hash, now))
    }

    fn dummy_hash(&self) -> Result<String> {
        if let Some(h) = self.dummy_hash.get() {
            return Ok(h.clone());
        }
        let h = self.password_cost.hash("signalcraft: no such user")?;
        Ok(self.dummy_hash.get_or_init(|| h).clone())
    }

    // ---- API tokens -------------------------------------------------------------------------

    /// Creates an API token for a workspace with `role`; the token is in the answer only.
    /// `name` (default: the token's id) is what the actor `token:<name>` shows.
    pub fn create_token(
        &self,
        workspace: &str,
        role: Role,
        name: Option<&str>,
    ) -> Result<NewApiToken> {
        if let Some(n) = name {
            accounts::check_name("name", n)?;
        }
        let id = accounts::new_id("tok_")?;
        let token = accounts::new_secret(accounts::TOKEN_PREFIX)?;
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            let t = ApiToken {
                id: id.clone(),
                name: name.map_or_else(|| id.clone(), str::to_string),
                role,
                workspace: ws.id.clone(),
                created_at: now,
                last_used_at: None,
            };
            store::accounts::insert_token(
                tx,
                &t,
                &accounts::secret_hash(SecretUse::ApiToken, &token),
            )?;
            Ok(NewApiToken {
                id: t.id,
                token: token.clone(),
                role,
                workspace: t.workspace,
                name: t.name,
                created_at: now,
            })
        })
    }

    /// A workspace's live API tokens (never the secrets).
    pub fn tokens(&self, workspace: &str) -> Result<Vec<ApiToken>> {
        self.read_in(workspace, |tx, ws| store::accounts::tokens(tx, &ws.id))
    }

    /// Revokes a workspace's API token (`not_found` for another workspace's or a revoked one).
    pub fn revoke_token(&self, workspace: &str, id: &str) -> Result<()> {
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            if store::accounts::revoke_token(tx, &ws.id, id, now)? {
                Ok(())
            } else {
                Err(Error::not_found("token", id))
            }
        })
    }

    // ---- authenticate and authorize ---------------------------------------------------------

    /// Who `credential` (a session token or an API token) is. Unknown, expired or revoked is
    /// `unauthenticated`. For a session and an `unsafe_` request (one that changes something),
    /// `csrf` must be the session's CSRF token (compared in constant time), else `forbidden`.
    /// A token's `last_used_at` is kept to the minute.
    pub fn authenticate(
        &self,
        credential: &str,
        unsafe_: bool,
        csrf: Option<&str>,
    ) -> Result<Principal> {
        let now = self.now();
        let credential = credential.trim();
        if credential.starts_with(accounts::SESSION_PREFIX) {
            let hash = accounts::secret_hash(SecretUse::Session, credential);
            let (row, user, memberships) = self.store.read(|tx| {
                let Some(row) = store::accounts::session(tx, &hash)? else {
                    return Err(accounts::bad_credential());
                };
                if !accounts::hashes_equal(&row.hash, &hash) || row.revoked || row.expires_at <= now
                {
                    return Err(accounts::bad_credential());
                }
                let user = store::accounts::user_by_id(tx, &row.user_id)?
                    .ok_or_else(accounts::bad_credential)?;
                let memberships = store::accounts::memberships_of(tx, &user.id)?;
                Ok((row, user, memberships))
            })?;
            if unsafe_ {
                let ok = csrf.is_some_and(|c| accounts::hashes_equal(c, &row.csrf_token));
                if !ok {
                    return Err(Error::Forbidden(
                        "missing or wrong CSRF token for this session".into(),
                    ));
                }
            }
            return Ok(Principal {
                kind: PrincipalKind::Session,
                actor: format!("user:{}", user.email),
                user: Some(user),
                token: None,
                csrf_token: Some(row.csrf_token),
                memberships,
            });
        }
        if credential.starts_with(accounts::TOKEN_PREFIX) {
            let hash = accounts::secret_hash(SecretUse::ApiToken, credential);
            let (token, ws) = self.store.read(|tx| {
                let Some((token, stored)) = store::accounts::token_by_hash(tx, &hash)? else {
                    return Err(accounts::bad_credential());
                };
                if !accounts::hashes_equal(&stored, &hash) {
                    return Err(accounts::bad_credential());
                }
                let ws = store::workspaces::resolve(tx, token.workspace.as_str())?;
                Ok((token, ws))
            })?;
            let stale = token
                .last_used_at
                .is_none_or(|t| t < now - LAST_USED_PRECISION);
            if stale {
                self.store.write(|tx| {
                    store::accounts::touch_token(tx, &token.id, now, now - LAST_USED_PRECISION)
                })?;
            }
            return Ok(Principal {
                kind: PrincipalKind::Token,
                actor: format!("token:{}", token.name),
                user: None,
                token: Some(TokenPrincipal {
                    id: token.id,
                    name: token.name,
                    workspace_id: token.workspace,
                    role: token.role,
                }),
                csrf_token: None,
                memberships: vec![Membership {
                    workspace_id: ws.id,
                    workspace: ws.name,
                    role: token.role,
                }],
            });
        }
        Err(accounts::bad_credential())
    }

    /// [`Engine::authenticate`], then whether the principal may do `permission` in `workspace`
    /// (an id or a name). A workspace the principal has no role in answers `not_found` exactly
    /// as one that does not exist; too low a role is `forbidden`.
    pub fn authorize(
        &self,
        credential: &str,
        workspace: &str,
        permission: AccessPermission,
        unsafe_: bool,
        csrf: Option<&str>,
    ) -> Result<Access> {
        let principal = self.authenticate(credential, unsafe_, csrf)?;
        let ws = self
            .store
            .read(|tx| visible_workspace(tx, workspace, &principal))?;
        let role = principal
            .role_in(&ws.id)
            .ok_or_else(|| Error::not_found("workspace", workspace))?;
        accounts::check_permission(role, permission)?;
        Ok(Access {
            actor: principal.actor.clone(),
            role,
            workspace: ws,
            principal,
        })
    }
}

/// The workspace `reference` names, if the principal has a role there; `not_found` (the same
/// error as a workspace that does not exist) otherwise.
fn visible_workspace(tx: &Conn, reference: &str, p: &Principal) -> Result<Workspace> {
    match store::workspaces::resolve(tx, reference) {
        Ok(ws) if p.role_in(&ws.id).is_some() => Ok(ws),
        Ok(_) => Err(Error::not_found("workspace", reference)),
        Err(e) => Err(e),
    }
}
