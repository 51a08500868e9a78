//! Group keys: which alerts are "the same problem".
//!
//! The key is a blake3 hash in derive-key mode (its context string names the version) over a
//! canonical, length-prefixed encoding of (workspace, source, project, environment, fingerprint).
//! Length prefixes make the encoding unambiguous (`("ab", "c")` and `("a", "bc")` differ), and a
//! marker byte tells an absent field from an empty one. The bytes are fixed by this module, not by
//! any serializer, so the key is stable across runs, versions of dependencies and platforms.

use crate::alert::{NormalizedAlert, Source, WorkspaceId};
use std::fmt;

/// The derive-key context of version 1 of the group key. Changing the encoding means a new context.
pub const GROUP_KEY_CONTEXT_V1: &str = "signalcraft 2026-11-22 group key v1";

/// A 32-byte group key, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey([u8; 32]);

impl GroupKey {
    /// The key as lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for GroupKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupKey({})", self.to_hex())
    }
}

/// What the group key is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupKeyInputs<'a> {
    /// The workspace.
    pub workspace: &'a str,
    /// The source's name.
    pub source: &'a str,
    /// The project, if any.
    pub project: Option<&'a str>,
    /// The environment, if any.
    pub environment: Option<&'a str>,
    /// The source's fingerprint.
    pub fingerprint: &'a str,
}

impl<'a> GroupKeyInputs<'a> {
    /// The inputs of a normalized alert.
    pub fn of(alert: &'a NormalizedAlert) -> Self {
        Self {
            workspace: alert.workspace.as_str(),
            source: alert.source.as_str(),
            project: alert.project.as_deref(),
            environment: alert.environment.as_deref(),
            fingerprint: &alert.fingerprint,
        }
    }
}

/// The group key of `inputs`.
pub fn group_key(inputs: &GroupKeyInputs<'_>) -> GroupKey {
    let mut hasher = blake3::Hasher::new_derive_key(GROUP_KEY_CONTEXT_V1);
    put(&mut hasher, Some(inputs.workspace));
    put(&mut hasher, Some(inputs.source));
    put(&mut hasher, inputs.project);
    put(&mut hasher, inputs.environment);
    put(&mut hasher, Some(inputs.fingerprint));
    GroupKey(*hasher.finalize().as_bytes())
}

/// The group key of an alert.
pub fn alert_group_key(alert: &NormalizedAlert) -> GroupKey {
    group_key(&GroupKeyInputs::of(alert))
}

/// The group key for explicit parts (handy for hosts and tests).
pub fn group_key_of(
    workspace: &WorkspaceId,
    source: Source,
    project: Option<&str>,
    environment: Option<&str>,
    fingerprint: &str,
) -> GroupKey {
    group_key(&GroupKeyInputs {
        workspace: workspace.as_str(),
        source: source.as_str(),
        project,
        environment,
        fingerprint,
    })
}

fn put(hasher: &mut blake3::Hasher, field: Option<&str>) {
    match field {
        None => {
            hasher.update(&[0]);
        }
        Some(s) => {
            hasher.update(&[1]);
            hasher.update(&(s.len() as u64).to_le_bytes());
            hasher.update(s.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: Option<&str>, e: Option<&str>, f: &str) -> String {
        group_key(&GroupKeyInputs {
            workspace: "ws",
            source: "sentry",
            project: p,
            environment: e,
            fingerprint: f,
        })
        .to_hex()
    }

    #[test]
    fn pinned_value_is_stable_across_runs_and_platforms() {
        // If this changes, every stored group key changes: bump the context instead.
        assert_eq!(
            key(Some("front-end"), Some("production"), "issue:1117540176"),
            key(Some("front-end"), Some("production"), "issue:1117540176")
        );
        insta::assert_snapshot!(key(
            Some("front-end"),
            Some("production"),
            "issue:1117540176"
        ));
    }

    #[test]
    fn encoding_is_unambiguous() {
        assert_ne!(
            key(Some("ab"), Some("c"), "f"),
            key(Some("a"), Some("bc"), "f")
        );
        assert_ne!(key(None, Some("x"), "f"), key(Some(""), Some("x"), "f"));
        assert_ne!(key(Some("x"), None, "f"), key(None, Some("x"), "f"));
    }
}
