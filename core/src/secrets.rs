//! Secrets at rest: XChaCha20-Poly1305 with a 32-byte key, stored as `enc:v1:<base64(nonce‖ct)>`.
//!
//! The key comes from the engine builder, else `SIGNALCRAFT_SECRET_KEY` (64 hex digits or
//! base64 of 32 bytes), else a key file beside the database (`<db>.key`, created on first use
//! with mode 0600). An in-memory engine with none of these uses a random key for its lifetime.
//! Secrets are never logged and are masked whenever they are shown.

use crate::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::fmt;
use std::path::Path;

/// The prefix of an encrypted value.
pub const PREFIX: &str = "enc:v1:";
/// The environment variable holding the key.
pub const KEY_ENV: &str = "SIGNALCRAFT_SECRET_KEY";
/// What `Debug` output shows in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// How `Debug` output shows an optional secret: whether it is set, never the value.
pub fn redacted<T>(secret: &Option<T>) -> Option<&'static str> {
    secret.as_ref().map(|_| REDACTED)
}

/// Encrypts and decrypts stored secrets.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
    /// A key derived from the same key, for signing values the engine hands out (Slack OAuth
    /// states): never the encryption key itself.
    mac_key: [u8; 32],
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(b)
}

/// Parses a key: 64 hex digits or base64 of 32 bytes.
pub fn parse_key(text: &str) -> Result<[u8; 32]> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(t).ok()
    } else {
        B64.decode(t).ok()
    };
    bytes
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .ok_or_else(|| Error::invalid("secret key", "expected 32 bytes as 64 hex digits or base64"))
}

impl SecretBox {
    /// A box with this key.
    pub fn new(key: &[u8; 32]) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.into()),
            mac_key: blake3::derive_key("signalcraft 2026-12-01 signing key v1", key),
        }
    }

    /// The key the engine signs the values it hands out with (derived from the secret key).
    pub(crate) fn mac_key(&self) -> &[u8; 32] {
        &self.mac_key
    }

    /// A box with a random key (for in-memory engines).
    pub fn ephemeral() -> Result<Self> {
        Ok(Self::new(&random::<32>()?))
    }

    /// The key from the environment, else the key file beside `db` (created if missing).
    ///
    /// A new key file is written whole to a temporary file (mode 0600) and then hard-linked into
    /// place, which fails if the name exists: of two engines opening a new database at once,
    /// one links its key and the other reads that one, so both seal with the same key. An
    /// existing key file that its group or others can read, or that another user owns, is
    /// refused.
    pub fn for_database(db: &Path) -> Result<Self> {
        if let Ok(text) = std::env::var(KEY_ENV) {
            return Ok(Self::new(&parse_key(&text)?));
        }
        let mut name = db.as_os_str().to_owned();
        name.push(".key");
        let path = std::path::PathBuf::from(name);
        // the second round reads what a concurrent opener linked in the meantime
        for _ in 0..2 {
            match read_key_file(&path) {
                Ok(key) => return Ok(Self::new(&key)),
                Err(KeyFile::Missing) => {
                    let key = random::<32>()?;
                    match write_key_file(&path, &key)? {
                        Written::Ours => return Ok(Self::new(&key)),
                        Written::Theirs => continue,
                    }
                }
                Err(KeyFile::Bad(e)) => return Err(e),
            }
        }
        Err(Error::Internal(format!(
            "the key file {} appeared and vanished while it was being created",
            path.display()
        )))
    }

    /// Encrypts `plain`.
    pub fn seal(&self, plain: &str) -> Result<String> {
        let nonce = random::<24>()?;
        let ct = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plain.as_bytes())
            .map_err(|_| Error::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{PREFIX}{}", B64.encode(out)))
    }

    /// Decrypts a sealed value (a value without the prefix is returned as it is: plaintext
    /// stored before encryption existed).
    pub fn open(&self, stored: &str) -> Result<String> {
        let Some(b64) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_string());
        };
        let bad = || {
            Error::Internal(
                "a stored secret does not decrypt: wrong SIGNALCRAFT_SECRET_KEY or key file?"
                    .into(),
            )
        };
        let raw = B64.decode(b64).map_err(|_| bad())?;
        if raw.len() < 24 {
            return Err(bad());
        }
        let (nonce, ct) = raw.split_at(24);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), ct)
            .map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }
}

/// The key in the key file beside `db` (`<db>.key`), if there is one; never created, and
/// `SIGNALCRAFT_SECRET_KEY` not consulted (what `signalcraft migrate` reads a source's key from).
pub fn key_file_beside(db: &Path) -> Result<Option<[u8; 32]>> {
    let mut name = db.as_os_str().to_owned();
    name.push(".key");
    match read_key_file(Path::new(&name)) {
        Ok(key) => Ok(Some(key)),
        Err(KeyFile::Missing) => Ok(None),
        Err(KeyFile::Bad(e)) => Err(e),
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

/// How a secret is shown: never the value.
pub fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n <= 8 {
        "••••".into()
    } else {
        let tail: String = secret.chars().skip(n - 4).collect();
        format!("••••{tail}")
    }
}

enum KeyFile {
    Missing,
    Bad(Error),
}

enum Written {
    /// Our key is the file's.
    Ours,
    /// Another opener's file was there first.
    Theirs,
}

/// Reads and checks an existing key file.
fn read_key_file(path: &Path) -> std::result::Result<[u8; 32], KeyFile> {
    let shown = path.display();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(KeyFile::Missing),
        Err(e) => {
            return Err(KeyFile::Bad(Error::Internal(format!(
                "cannot read the key file {shown}: {e}"
            ))));
        }
    };
    check_key_file(path, &meta).map_err(KeyFile::Bad)?;
    let text = std::fs::read_to_string(path).map_err(|e| {
        KeyFile::Bad(Error::Internal(format!(
            "cannot read the key file {shown}: {e}"
        )))
    })?;
    parse_key(&text).map_err(|_| {
        KeyFile::Bad(Error::Internal(format!(
            "the key file {shown} is not a key"
        )))
    })
}

#[cfg(unix)]
fn check_key_file(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::Internal(format!(
            "the key file {} is readable by its group or others (mode {mode:04o}): it must be              private to its owner (chmod 600)",
            path.display()
        )));
    }
    if let Some(me) = effective_uid()
        && meta.uid() != me
    {
        return Err(Error::Internal(format!(
            "the key file {} is owned by another user (uid {}, this process runs as uid {me})",
            path.display(),
            meta.uid()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_key_file(_path: &Path, _meta: &std::fs::Metadata) -> Result<()> {
    Ok(())
}

/// The process's effective user id: the owner of `/proc/self` (Linux; `None` elsewhere, where
/// the owner check is skipped).
#[cfg(unix)]
fn effective_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    if cfg!(target_os = "linux") {
        std::fs::metadata("/proc/self").ok().map(|m| m.uid())
    } else {
        None
    }
}

#[cfg(unix)]
fn write_key_file(path: &Path, key: &[u8; 32]) -> Result<Written> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        hex::encode(random::<6>()?)
    ));
    let tmp = std::path::PathBuf::from(tmp);
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(hex::encode(key).as_bytes())?;
            f.sync_all()
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::Internal(format!(
            "cannot create the key file {shown}: {e}"
        )));
    }
    // link, not rename: a rename would replace a key another opener already uses
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(Written::Ours),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Written::Theirs),
        Err(e) => Err(Error::Internal(format!(
            "cannot create the key file {shown}: {e}"
        ))),
    }
}

#[cfg(not(unix))]
fn write_key_file(path: &Path, key: &[u8; 32]) -> Result<Written> {
    use std::io::Write;
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(Written::Theirs),
        Err(e) => {
            return Err(Error::Internal(format!(
                "cannot create the key file {}: {e}",
                path.display()
            )));
        }
    };
    f.write_all(hex::encode(key).as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| {
            Error::Internal(format!("cannot write the key file {}: {e}", path.display()))
        })?;
    Ok(Written::Ours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let b = SecretBox::new(&[7u8; 32]);
        let s = b.seal("xoxb-secret-token").unwrap_or_default();
        assert!(s.starts_with(PREFIX) && !s.contains("xoxb"));
        assert_ne!(
            s,
            b.seal("xoxb-secret-token").unwrap_or_default(),
            "fresh nonce each time"
        );
        assert_eq!(b.open(&s).ok().as_deref(), Some("xoxb-secret-token"));
        assert!(SecretBox::new(&[8u8; 32]).open(&s).is_err(), "wrong key");
        let mut t = s.clone();
        t.pop();
        t.push(if s.ends_with('A') { 'B' } else { 'A' });
        assert!(b.open(&t).is_err(), "tampered");
        assert_eq!(b.open("plain").ok().as_deref(), Some("plain"));
        assert_eq!(mask("xoxb-1234567890"), "••••7890");
        assert!(parse_key(&"ab".repeat(32)).is_ok());
        assert!(parse_key("short").is_err());
    }
}
