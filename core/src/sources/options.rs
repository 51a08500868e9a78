//! An integration's options compiled once: [`CompiledOptions`].
//!
//! The options an integration stores as JSON (a generic mapping, severity and status maps, label
//! names, `fingerprint_fields`, signature settings, `reopen_window_secs`) are validated and
//! turned into typed values when they are set ([`CompiledOptions::compile`], which is what
//! [`super::validate_options`] runs) and when the engine loads them
//! ([`CompiledOptions::load`]); the engine keeps the result per integration version, so a
//! delivery reads no option JSON. Parsers get it as [`super::SourceInput::options`].

use super::{FingerprintFields, alertmanager, generic, grafana, sentry};
use crate::alert::Source;
use crate::{Error, Result};
use serde_json::Value;

/// An integration's options, validated and compiled (see the module docs).
///
/// Built strictly by [`CompiledOptions::compile`] (any bad option is an error, with its JSON
/// path), or leniently by [`CompiledOptions::load`] for options already stored: a part that does
/// not compile keeps its error, and the accessor of that part answers it, so a delivery fails
/// exactly where it did when parsers read the JSON themselves.
#[derive(Debug, Clone)]
pub struct CompiledOptions {
    source: Source,
    fingerprint_fields: Kept<Option<FingerprintFields>>,
    reopen_window_secs: Option<u64>,
    own: Own,
    /// The signature headers the options name (`signature_header`, `signature.header`),
    /// trimmed: credentials never stored.
    credential_headers: Vec<String>,
}

/// A source's own options.
#[derive(Debug, Clone)]
enum Own {
    /// Only the common options (datadog, pagerduty, opsgenie, monitor).
    Common,
    Sentry(Kept<sentry::Options>),
    Alertmanager(Kept<alertmanager::LabelOptions>),
    Grafana(Kept<alertmanager::LabelOptions>, Kept<grafana::Options>),
    Generic(Kept<generic::Mapping>),
}

/// A compiled part, or the error it gave.
type Kept<T> = std::result::Result<T, KeptError>;

/// An error kept to be answered again (`Error` itself is not `Clone`).
#[derive(Debug, Clone)]
enum KeptError {
    Invalid { path: String, message: String },
    Other(String),
}

impl KeptError {
    fn keep(e: Error) -> Self {
        match e {
            Error::InvalidInput { path, message } => Self::Invalid { path, message },
            other => Self::Other(other.to_string()),
        }
    }

    fn error(&self) -> Error {
        match self {
            Self::Invalid { path, message } => Error::invalid(path.clone(), message.clone()),
            Self::Other(m) => Error::Internal(m.clone()),
        }
    }
}

fn kept<T>(r: &Kept<T>) -> Result<&T> {
    r.as_ref().map_err(KeptError::error)
}

impl CompiledOptions {
    /// Validates `options` for `source` and compiles them: any bad option is an error naming
    /// its JSON path (`options.fingerprint_fields[2]`).
    pub fn compile(source: Source, options: &Value) -> Result<Self> {
        if !options.is_null() {
            crate::json::Node::at(options, "options").expect_object()?;
        }
        let fingerprint_fields = FingerprintFields::from_options(options)?;
        let reopen_window_secs = super::reopen_override(options)?;
        let own = match source {
            Source::Sentry => Own::Sentry(Ok(sentry::Options::parse(options)?)),
            Source::Alertmanager => {
                super::check_keys(options, &alertmanager::LABEL_OPTIONS)?;
                Own::Alertmanager(Ok(alertmanager::LabelOptions::parse(options)?))
            }
            Source::Grafana => {
                let mut known: Vec<&str> = alertmanager::LABEL_OPTIONS.to_vec();
                known.extend(grafana::OWN_OPTIONS);
                super::check_keys(options, &known)?;
                let labels = alertmanager::LabelOptions::parse(options)?;
                Own::Grafana(Ok(labels), Ok(grafana::Options::parse(options)?))
            }
            Source::Datadog | Source::Pagerduty | Source::Opsgenie => {
                super::check_keys(options, &[])?;
                Own::Common
            }
            Source::Generic => Own::Generic(Ok(generic::Mapping::parse(options)?)),
            Source::Monitor => return Err(super::not_a_webhook()),
        };
        Ok(Self {
            source,
            fingerprint_fields: Ok(fingerprint_fields),
            reopen_window_secs,
            own,
            credential_headers: credential_headers(options),
        })
    }

    /// Compiles options already stored (validated when they were set): never fails; a part
    /// that does not compile (a generic integration without a mapping, a value stored by an
    /// older build) keeps its error for its accessor. A bad `reopen_window_secs` is ignored, as
    /// ingest always did.
    pub fn load(source: Source, options: &Value) -> Self {
        let own = match source {
            Source::Sentry => Own::Sentry(sentry::Options::parse(options).map_err(KeptError::keep)),
            Source::Alertmanager => Own::Alertmanager(
                alertmanager::LabelOptions::parse(options).map_err(KeptError::keep),
            ),
            Source::Grafana => Own::Grafana(
                alertmanager::LabelOptions::parse(options).map_err(KeptError::keep),
                grafana::Options::parse(options).map_err(KeptError::keep),
            ),
            Source::Generic => {
                Own::Generic(generic::Mapping::parse(options).map_err(KeptError::keep))
            }
            Source::Datadog | Source::Pagerduty | Source::Opsgenie | Source::Monitor => Own::Common,
        };
        Self {
            source,
            fingerprint_fields: FingerprintFields::from_options(options).map_err(KeptError::keep),
            reopen_window_secs: super::reopen_override(options).ok().flatten(),
            own,
            credential_headers: credential_headers(options),
        }
    }

    /// The source these options were compiled for.
    pub fn source(&self) -> Source {
        self.source
    }

    /// `fingerprint_fields`, if set.
    pub fn fingerprint_fields(&self) -> Result<Option<&FingerprintFields>> {
        kept(&self.fingerprint_fields).map(Option::as_ref)
    }

    /// `reopen_window_secs`, if set (it overrides the workspace's reopen window).
    pub fn reopen_window_secs(&self) -> Option<u64> {
        self.reopen_window_secs
    }

    /// Whether header `name` is a credential (the fixed list of [`super::redact`], or a
    /// signature header these options name).
    pub fn is_credential_header(&self, name: &str) -> bool {
        super::redact::is_fixed_credential_header(name)
            || self
                .credential_headers
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h))
    }

    /// Sentry's own options.
    pub(crate) fn sentry(&self) -> Result<&sentry::Options> {
        match &self.own {
            Own::Sentry(o) => kept(o),
            _ => Err(self.not_for(Source::Sentry)),
        }
    }

    /// The label options of Alertmanager and Grafana.
    pub(crate) fn labels(&self) -> Result<&alertmanager::LabelOptions> {
        match &self.own {
            Own::Alertmanager(o) | Own::Grafana(o, _) => kept(o),
            _ => Err(self.not_for(Source::Alertmanager)),
        }
    }

    /// Grafana's signature options.
    pub(crate) fn grafana(&self) -> Result<&grafana::Options> {
        match &self.own {
            Own::Grafana(_, o) => kept(o),
            _ => Err(self.not_for(Source::Grafana)),
        }
    }

    /// The generic mapping.
    pub(crate) fn generic(&self) -> Result<&generic::Mapping> {
        match &self.own {
            Own::Generic(o) => kept(o),
            _ => Err(self.not_for(Source::Generic)),
        }
    }

    fn not_for(&self, wanted: Source) -> Error {
        Error::invalid(
            "options",
            format!(
                "compiled for the {} source, not {wanted}",
                self.source.as_str()
            ),
        )
    }
}

/// The signature headers options name, trimmed.
fn credential_headers(options: &Value) -> Vec<String> {
    [
        options.get("signature_header"),
        options.get("signature").and_then(|s| s.get("header")),
    ]
    .into_iter()
    .flatten()
    .filter_map(Value::as_str)
    .map(|h| h.trim().to_string())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strict_keeps_paths() {
        let bad = json!({"fingerprint_fields": ["title", "tags.x", "a..b"]});
        let e = CompiledOptions::compile(Source::Alertmanager, &bad)
            .err()
            .map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|m| m.starts_with("options.fingerprint_fields[2]:")),
            "{e:?}"
        );
        let unknown = json!({"severity_lable": "x"});
        assert!(CompiledOptions::compile(Source::Alertmanager, &unknown).is_err());
        assert!(CompiledOptions::compile(Source::Monitor, &Value::Null).is_err());
        assert!(CompiledOptions::compile(Source::Generic, &Value::Null).is_err());
    }

    #[test]
    fn lenient_keeps_errors_for_their_accessor() {
        let o = CompiledOptions::load(Source::Generic, &Value::Null);
        let e = o.generic().err().map(|e| e.to_string());
        assert!(
            e.as_deref()
                .is_some_and(|m| m.contains("the generic source needs a mapping")),
            "{e:?}"
        );
        assert!(o.fingerprint_fields().is_ok_and(|f| f.is_none()));
        let o = CompiledOptions::load(
            Source::Sentry,
            &json!({"reopen_window_secs": "soon", "fingerprint_fields": []}),
        );
        assert_eq!(o.reopen_window_secs(), None);
        assert!(o.fingerprint_fields().is_err());
        assert!(o.sentry().is_ok());
        assert!(o.labels().is_err());
    }

    #[test]
    fn credential_headers_named_by_options() {
        let o = CompiledOptions::load(
            Source::Generic,
            &json!({"fields": {"title": "t"}, "signature": {"header": " X-Sig "}}),
        );
        assert!(o.is_credential_header("x-sig"));
        assert!(o.is_credential_header("Authorization"));
        assert!(!o.is_credential_header("X-Other"));
    }
}
