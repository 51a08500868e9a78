//! HTTP request headers as a host hands them over: names compared without regard to case.

/// An ordered list of `(name, value)` header pairs. `Debug` shows the values of credential
/// headers (see [`is_credential`]) redacted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

/// Whether a header's name says it carries a credential (`Authorization`, `Cookie`,
/// `X-Api-Key`, `X-Routing-Key`, signatures, tokens, secrets, passwords).
pub fn is_credential(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "auth",
        "cookie",
        "token",
        "secret",
        "key",
        "signature",
        "password",
    ]
    .iter()
    .any(|w| n.contains(w))
}

impl std::fmt::Debug for Headers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Headers")
            .field(&DebugPairs(&self.0))
            .finish()
    }
}

struct DebugPairs<'a>(&'a [(String, String)]);

impl std::fmt::Debug for DebugPairs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, v)| {
                let v = if is_credential(n) {
                    crate::secrets::REDACTED
                } else {
                    v.as_str()
                };
                (n, v)
            }))
            .finish()
    }
}

impl Headers {
    /// No headers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a header (builder style).
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.push(name, value);
        self
    }

    /// Adds a header.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// The first value of `name`, compared case-insensitively, with surrounding white space trimmed.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }

    /// Parses one `Name: value` line (as the CLI's `--header` takes it).
    pub fn parse_line(line: &str) -> crate::Result<(String, String)> {
        let (name, value) = line.split_once(':').ok_or_else(|| {
            crate::Error::invalid(
                "--header",
                format!("expected \"Name: value\", got {line:?}"),
            )
        })?;
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(crate::Error::invalid(
                "--header",
                format!("bad header name in {line:?}"),
            ));
        }
        Ok((name.to_string(), value.trim().to_string()))
    }

    /// The pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<T: IntoIterator<Item = (N, V)>>(iter: T) -> Self {
        Self(
            iter.into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}
