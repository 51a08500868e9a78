//! Accounts and access: users, logins and their throttling, sessions (expiry, revocation,
//! CSRF), API tokens (roles, revocation, last use), memberships, and `authorize` answering
//! another workspace exactly like a missing one.

use crate::common::StoreUnderTest;
use crate::common::{Db, t0};
use chrono::TimeDelta;
use signalcraft_core::accounts::{AccessPermission, PasswordCost, PrincipalKind};
use signalcraft_core::lifecycle::Role;
use signalcraft_core::{Engine, ErrorKind, ManualClock};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Accounts {
    engine: Engine,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

fn engine_at(path: &std::path::Path, clock: Arc<ManualClock>) -> Engine {
    crate::common::builder()
        .store(path)
        .clock(clock)
        .password_cost(PasswordCost::for_tests())
        .build()
        .unwrap()
}

/// An engine on disk with alice (owner of acme) and bob (no workspace yet).
fn setup() -> Accounts {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let engine = engine_at(&dir.path().join("signalcraft.db"), clock.clone());
    engine
        .add_user("Alice@Example.com", "correct horse", Some("Alice"))
        .unwrap();
    engine
        .add_user("bob@example.com", "battery staple", None)
        .unwrap();
    engine
        .create_workspace_with_owner("acme", "alice@example.com")
        .unwrap();
    engine.create_workspace("globex").unwrap();
    Accounts { engine, clock, dir }
}

#[test]
fn users_are_unique_by_email_and_passwords_are_checked() {
    let a = setup();
    let users = a.engine.users().unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].email, "alice@example.com");
    assert_eq!(users[0].name.as_deref(), Some("Alice"));
    let dup = a
        .engine
        .add_user("ALICE@example.com", "whatever1", None)
        .unwrap_err();
    assert_eq!(dup.kind(), ErrorKind::Conflict);
    let short = a
        .engine
        .add_user("carol@example.com", "short", None)
        .unwrap_err();
    assert_eq!(short.kind(), ErrorKind::InvalidInput);
    assert_eq!(short.path(), Some("password"));
    let bad = a.engine.add_user("carol", "long enough", None).unwrap_err();
    assert_eq!(bad.path(), Some("email"));
    // the hash is argon2id, never the password
    let hash = Db::open(a.dir.path().join("signalcraft.db"))
        .rows("SELECT password_hash FROM users WHERE email = 'alice@example.com'")[0][0]
        .text();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("correct horse"));
}

#[test]
fn login_answers_a_session_and_bad_credentials_identically() {
    let a = setup();
    let s = a
        .engine
        .login("alice@example.com", "correct horse", Some("10.0.0.1"))
        .unwrap();
    assert!(s.token.starts_with("scs_"));
    assert_eq!(s.expires_at, t0() + TimeDelta::days(7));
    assert_eq!(s.user.email, "alice@example.com");
    let wrong = a
        .engine
        .login("alice@example.com", "wrong horse", None)
        .unwrap_err();
    let unknown = a
        .engine
        .login("nobody@example.com", "wrong horse", None)
        .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::Unauthenticated);
    assert_eq!(unknown.kind(), ErrorKind::Unauthenticated);
    assert_eq!(wrong.to_string(), unknown.to_string());
    assert_eq!(wrong.to_string(), "invalid email or password");
    // the token is stored only as a hash
    let stored = Db::open(a.dir.path().join("signalcraft.db")).rows("SELECT hash FROM sessions")[0]
        [0]
    .text();
    assert_ne!(stored, s.token);
    assert!(!stored.contains(&s.token[4..]));
}

#[test]
fn unknown_email_and_wrong_password_take_comparable_time() {
    // production cost: this is also the login time a host sees
    let dir = tempfile::tempdir().unwrap();
    let engine = crate::common::builder()
        .store(dir.path().join("signalcraft.db"))
        .build()
        .unwrap();
    engine
        .add_user("alice@example.com", "correct horse", None)
        .unwrap();
    let once = |email: &str, password: &str| {
        let t = Instant::now();
        let _ = engine.login(email, password, None);
        t.elapsed()
    };
    let ok = once("alice@example.com", "correct horse");
    // interleaved rounds, the best of each: a burst of load from tests running beside this one
    // then weighs on both sides alike (4 failures each stay under the login throttle)
    let (mut wrong, mut unknown) = (Duration::MAX, Duration::MAX);
    for _ in 0..4 {
        wrong = wrong.min(once("alice@example.com", "wrong horse!"));
        unknown = unknown.min(once("nobody@example.com", "wrong horse!"));
    }
    eprintln!("login (OWASP argon2id cost): ok {ok:?}, wrong {wrong:?}, unknown {unknown:?}");
    // both run one argon2id verification at the same cost
    let (lo, hi) = if wrong < unknown {
        (wrong, unknown)
    } else {
        (unknown, wrong)
    };
    assert!(
        hi < lo * 3,
        "wrong password {wrong:?} vs unknown email {unknown:?}"
    );
}

#[test]
fn logins_are_throttled_per_email_and_per_address() {
    let a = setup();
    for _ in 0..10 {
        let e = a
            .engine
            .login("alice@example.com", "nope nope", Some("10.0.0.9"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    }
    // the right password is refused too while throttled, from any address
    let e = a
        .engine
        .login("alice@example.com", "correct horse", Some("10.0.0.2"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    assert_eq!(e.retry_after_secs(), Some(15 * 60));
    // the address is throttled for other emails too
    let e = a
        .engine
        .login("bob@example.com", "battery staple", Some("10.0.0.9"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    // bob from elsewhere is fine
    a.engine
        .login("bob@example.com", "battery staple", Some("10.0.0.3"))
        .unwrap();
    // a second engine on the same file sees the same failures
    let other = engine_at(&a.dir.path().join("signalcraft.db"), a.clock.clone());
    let e = other
        .login("alice@example.com", "correct horse", None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::RateLimited);
    a.clock.advance(TimeDelta::minutes(10));
    let e = a
        .engine
        .login("alice@example.com", "correct horse", None)
        .unwrap_err();
    assert_eq!(e.retry_after_secs(), Some(5 * 60));
    a.clock
        .advance(TimeDelta::minutes(5) + TimeDelta::seconds(1));
    a.engine
        .login("alice@example.com", "correct horse", None)
        .unwrap();
}

#[test]
fn sessions_expire_and_are_revoked_by_logout() {
    let a = setup();
    let s = a
        .engine
        .login("alice@example.com", "correct horse", None)
        .unwrap();
    let p = a.engine.authenticate(&s.token, false, None).unwrap();
    assert_eq!(p.kind, PrincipalKind::Session);
    assert_eq!(p.actor, "user:alice@example.com");
    assert_eq!(p.csrf_token.as_deref(), Some(s.csrf_token.as_str()));
    assert_eq!(p.memberships.len(), 1);
    assert_eq!(p.memberships[0].workspace, "acme");
    assert_eq!(p.memberships[0].role, Role::Owner);

    a.clock.advance(TimeDelta::days(7) - TimeDelta::seconds(1));
    a.engine.authenticate(&s.token, false, None).unwrap();
    a.clock.advance(TimeDelta::seconds(1));
    let e = a.engine.authenticate(&s.token, false, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);

    let s2 = a
        .engine
        .login("alice@example.com", "correct horse", None)
        .unwrap();
    a.engine.authenticate(&s2.token, false, None).unwrap();
    a.engine.logout(&s2.token).unwrap();
    let e = a.engine.authenticate(&s2.token, false, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    // logging out twice, or an unknown token, is a no-op
    a.engine.logout(&s2.token).unwrap();
    a.engine.logout("scs_nonsense").unwrap();
    for junk in ["", "scs_", "sct_x", "garbage", &s2.token[..20]] {
        let e = a.engine.authenticate(junk, false, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthenticated, "{junk:?}");
    }
}

#[test]
fn unsafe_session_requests_need_the_csrf_token() {
    let a = setup();
    let s = a
        .engine
        .login("alice@example.com", "correct horse", None)
        .unwrap();
    a.engine
        .authenticate(&s.token, true, Some(&s.csrf_token))
        .unwrap();
    for bad in [None, Some(""), Some("x"), Some(&s.csrf_token[1..])] {
        let e = a.engine.authenticate(&s.token, true, bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Forbidden, "{bad:?}");
    }
    // safe requests need none; another session's token does not do
    a.engine.authenticate(&s.token, false, None).unwrap();
    let other = a
        .engine
        .login("alice@example.com", "correct horse", None)
        .unwrap();
    let e = a
        .engine
        .authenticate(&s.token, true, Some(&other.csrf_token))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    let e = a
        .engine
        .authorize(&s.token, "acme", AccessPermission::Act, true, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
}

#[test]
fn tokens_have_roles_names_and_can_be_revoked() {
    let a = setup();
    let t = a
        .engine
        .create_token("acme", Role::Member, Some("ci"))
        .unwrap();
    assert!(t.token.starts_with("sct_"));
    assert_eq!(t.role, Role::Member);
    assert_eq!(t.name, "ci");
    let access = a
        .engine
        .authorize(&t.token, "acme", AccessPermission::Act, true, None)
        .unwrap();
    assert_eq!(access.actor, "token:ci");
    assert_eq!(access.role, Role::Member);
    assert_eq!(access.workspace.name, "acme");
    assert_eq!(access.principal.kind, PrincipalKind::Token);
    // by id too
    let ws_id = access.workspace.id.clone();
    a.engine
        .authorize(
            &t.token,
            ws_id.as_str(),
            AccessPermission::Read,
            false,
            None,
        )
        .unwrap();
    let e = a
        .engine
        .authorize(&t.token, "acme", AccessPermission::Configure, true, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);

    // last_used_at: set on use, rewritten at most once a minute
    let listed = a.engine.tokens("acme").unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].last_used_at, Some(t0()));
    a.clock.advance(TimeDelta::seconds(30));
    a.engine.authenticate(&t.token, false, None).unwrap();
    assert_eq!(a.engine.tokens("acme").unwrap()[0].last_used_at, Some(t0()));
    a.clock.advance(TimeDelta::seconds(31));
    a.engine.authenticate(&t.token, false, None).unwrap();
    assert_eq!(
        a.engine.tokens("acme").unwrap()[0].last_used_at,
        Some(t0() + TimeDelta::seconds(61))
    );

    // a default name is the id; the secret is stored hashed
    let unnamed = a.engine.create_token("acme", Role::Viewer, None).unwrap();
    assert_eq!(unnamed.name, unnamed.id);
    let n = Db::open(a.dir.path().join("signalcraft.db")).int(&format!(
        "SELECT COUNT(*) FROM api_tokens WHERE hash = {}",
        crate::common::lit(&unnamed.token)
    ));
    assert_eq!(n, 0);

    // revocation: another workspace cannot revoke it, its own can
    let e = a.engine.revoke_token("globex", &t.id).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    a.engine.revoke_token("acme", &t.id).unwrap();
    let e = a.engine.authenticate(&t.token, false, None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unauthenticated);
    assert_eq!(a.engine.tokens("acme").unwrap().len(), 1);
    let e = a.engine.revoke_token("acme", &t.id).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn a_foreign_workspace_is_not_found_exactly_like_a_missing_one() {
    let a = setup();
    let t = a.engine.create_token("acme", Role::Owner, None).unwrap();
    let s = a
        .engine
        .login("alice@example.com", "correct horse", None)
        .unwrap();
    for cred in [&t.token, &s.token] {
        let foreign = a
            .engine
            .authorize(cred, "globex", AccessPermission::Read, false, None)
            .unwrap_err();
        let missing = a
            .engine
            .authorize(cred, "initech", AccessPermission::Read, false, None)
            .unwrap_err();
        assert_eq!(foreign.kind(), ErrorKind::NotFound);
        assert_eq!(missing.kind(), ErrorKind::NotFound);
        assert_eq!(
            foreign.to_string().replace("globex", "X"),
            missing.to_string().replace("initech", "X")
        );
    }
    let globex = a.engine.workspace("globex").unwrap();
    let e = a
        .engine
        .authorize(
            &t.token,
            globex.id.as_str(),
            AccessPermission::Read,
            false,
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn members_get_roles_and_the_last_owner_stays() {
    let a = setup();
    let m = a
        .engine
        .set_member("acme", "BOB@example.com", Role::Viewer)
        .unwrap();
    assert_eq!(m.email, "bob@example.com");
    assert_eq!(m.role, Role::Viewer);
    let s = a
        .engine
        .login("bob@example.com", "battery staple", None)
        .unwrap();
    a.engine
        .authorize(&s.token, "acme", AccessPermission::Read, false, None)
        .unwrap();
    let e = a
        .engine
        .authorize(
            &s.token,
            "acme",
            AccessPermission::Act,
            true,
            Some(&s.csrf_token),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Forbidden);
    // roles change at once for live sessions
    a.engine
        .set_member("acme", "bob@example.com", Role::Admin)
        .unwrap();
    let access = a
        .engine
        .authorize(
            &s.token,
            "acme",
            AccessPermission::Configure,
            true,
            Some(&s.csrf_token),
        )
        .unwrap();
    assert_eq!(access.role, Role::Admin);
    assert_eq!(access.actor, "user:bob@example.com");
    let members = a.engine.members("acme").unwrap();
    assert_eq!(
        members
            .iter()
            .map(|m| (m.email.as_str(), m.role))
            .collect::<Vec<_>>(),
        [
            ("alice@example.com", Role::Owner),
            ("bob@example.com", Role::Admin)
        ]
    );
    // the only owner can be neither demoted nor removed
    let e = a
        .engine
        .set_member("acme", "alice@example.com", Role::Admin)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    let e = a
        .engine
        .remove_member("acme", "alice@example.com")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    a.engine.remove_member("acme", "bob@example.com").unwrap();
    let e = a
        .engine
        .authorize(&s.token, "acme", AccessPermission::Read, false, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = a
        .engine
        .remove_member("acme", "bob@example.com")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let e = a
        .engine
        .set_member("acme", "nobody@example.com", Role::Viewer)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // a workspace with an unknown owner is not created at all
    let e = a
        .engine
        .create_workspace_with_owner("initech", "nobody@example.com")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert!(a.engine.workspace("initech").is_err());
}
