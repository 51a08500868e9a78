//! HMAC-SHA256 signature checks, constant-time, with an optional timestamp skew limit.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Hex HMAC-SHA256 of `message` keyed with `secret` (lowercase).
pub fn hmac_sha256_hex(secret: &[u8], message: &[u8]) -> String {
    hex::encode(hmac_sha256(secret, message))
}

/// Raw HMAC-SHA256 of `message` keyed with `secret`.
pub fn hmac_sha256(secret: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    // `Hmac::new_from_slice` only fails for fixed-size-key MACs, never for HMAC.
    panic!("HMAC rejected its key")
}

/// Checks that `given_hex` (as sent in a header) is the HMAC-SHA256 of `message` under `secret`.
/// The comparison runs in constant time; case of the hex digits does not matter.
pub fn verify_hex(secret: &[u8], message: &[u8], given_hex: &str, header: &str) -> Result<()> {
    let given = hex::decode(given_hex.trim().to_ascii_lowercase())
        .map_err(|_| Error::Signature(format!("{header}: not a hex digest")))?;
    let expected = hmac_sha256(secret, message);
    if given.len() == expected.len() && bool::from(given.as_slice().ct_eq(&expected)) {
        Ok(())
    } else {
        Err(Error::Signature(format!(
            "{header}: does not match the body"
        )))
    }
}

/// The digest a verified signed message is remembered by (replay defence): BLAKE3 of the
/// message exactly as signed.
pub fn digest(message: &[u8]) -> [u8; 32] {
    *blake3::hash(message).as_bytes()
}

/// Checks a unix-seconds timestamp header against `now`, allowing `max_skew_secs` either way.
pub fn check_skew(
    header: &str,
    value: Option<&str>,
    max_skew_secs: u64,
    now: DateTime<Utc>,
) -> Result<()> {
    let value = value.ok_or_else(|| Error::Signature(format!("{header}: missing")))?;
    let ts: i64 = value
        .trim()
        .parse()
        .map_err(|_| Error::Signature(format!("{header}: not a unix timestamp: {value:?}")))?;
    let skew = now.timestamp().abs_diff(ts);
    if skew > max_skew_secs {
        return Err(Error::Signature(format!(
            "{header}: {skew}s away from now, more than the allowed {max_skew_secs}s"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verify_accepts_upper_case_and_rejects_other() {
        let sig = hmac_sha256_hex(b"k", b"body").to_uppercase();
        assert!(verify_hex(b"k", b"body", &sig, "X").is_ok());
        assert!(verify_hex(b"k", b"body2", &sig, "X").is_err());
        assert!(verify_hex(b"k", b"body", "zz", "X").is_err());
        assert!(verify_hex(b"k", b"body", "abcd", "X").is_err());
    }

    #[test]
    fn skew_bounds() {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap_or_default();
        assert!(check_skew("T", Some("1000300"), 300, now).is_ok());
        assert!(check_skew("T", Some("999700"), 300, now).is_ok());
        assert!(check_skew("T", Some("1000301"), 300, now).is_err());
        assert!(check_skew("T", None, 300, now).is_err());
        assert!(check_skew("T", Some("soon"), 300, now).is_err());
    }
}
