//! Email channel: SMTP (lettre), plain text and HTML. Email gets firing, escalation and resolve
//! notifications; other status changes are skipped.

use super::dispatch::{Notifier, Outgoing, SendOutcome};
use crate::group::AlertGroup;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::Value;
use std::time::Duration;

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Subject, plain text and HTML of a notification.
pub fn render(out: &Outgoing<'_>, g: &AlertGroup) -> (String, String, String) {
    let what = match out.kind {
        "resolved" => "RESOLVED",
        "escalation" => "ESCALATED",
        _ => "FIRING",
    };
    let subject: String = format!(
        "[{what}] [{}] {}",
        g.severity.as_str().to_uppercase(),
        g.title
    )
    .chars()
    .filter(|c| !c.is_control())
    .take(200)
    .collect();
    let rows = [
        ("Status", g.status.as_str().to_string()),
        ("Severity", g.severity.as_str().to_string()),
        (
            "Environment",
            g.environment.clone().unwrap_or_else(|| "-".into()),
        ),
        ("Project", g.project.clone().unwrap_or_else(|| "-".into())),
        ("Events", g.count.to_string()),
        ("First seen", g.first_seen.to_rfc3339()),
        ("Last seen", g.last_seen.to_rfc3339()),
        ("Group", g.id.to_string()),
    ];
    let mut text = format!("{}\n\n", g.title);
    for (k, v) in &rows {
        text.push_str(&format!("{k}: {v}\n"));
    }
    // links only for http(s), labelled by where they go (notify::source_link_label)
    let link = g.link.as_deref().and_then(|l| {
        let label = super::source_link_label(g.source, super::source_name(g.source), l)?;
        Some((l.trim(), label))
    });
    if let Some((l, label)) = &link {
        text.push_str(&format!("\n{label}: {l}\n"));
    }
    let mut html = format!("<h2>{}</h2><table>", escape_html(&g.title));
    for (k, v) in &rows {
        html.push_str(&format!(
            "<tr><th align=\"left\">{k}</th><td>{}</td></tr>",
            escape_html(v)
        ));
    }
    html.push_str("</table>");
    if let Some((l, label)) = &link {
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            escape_html(l),
            escape_html(label)
        ));
    }
    (subject, text, html)
}

/// Sends to an email channel: STARTTLS is required unless the channel says `insecure: true`;
/// the SMTP host is resolved and checked by the SSRF guard, then connected to by address (the
/// certificate is still checked against the host name).
#[derive(Debug, Clone, Default)]
pub struct EmailNotifier {
    /// Which non-public addresses it may reach.
    pub policy: std::sync::Arc<crate::net::PrivateTargets>,
}

/// A short reason for an SMTP error: lettre's own words for client-side errors, the reply code
/// only for the server's (its text stays out of the tenant's delivery log).
fn smtp_reason(e: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = e.status() {
        return format!("the server answered {code}");
    }
    if e.is_client() {
        let t = e.to_string();
        return t.trim_start_matches("internal client error: ").to_string();
    }
    if e.is_tls() {
        return "the TLS handshake failed".into();
    }
    if e.is_timeout() {
        return "timed out".into();
    }
    "cannot connect".into()
}

impl Notifier for EmailNotifier {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome {
        if !matches!(
            out.kind,
            "firing" | "resolved" | "escalation" | "test" | "digest"
        ) {
            return SendOutcome::Skip {
                reason: format!("email gets no {} notifications", out.kind),
            };
        }
        let group = out.group;
        if group.is_none() && !matches!(out.kind, "test" | "digest") {
            return SendOutcome::Skip {
                reason: "no group".into(),
            };
        }
        let c = out.channel;
        let fail = |error: String| SendOutcome::Fail {
            http_status: None,
            error,
        };
        let Some(host) = c.text("smtp_host") else {
            return fail("no smtp_host".into());
        };
        let port = c
            .config
            .get("smtp_port")
            .and_then(Value::as_u64)
            .unwrap_or(25) as u16;
        let from: Mailbox = match c.text("from").unwrap_or_default().parse() {
            Ok(m) => m,
            Err(e) => return fail(format!("bad from address: {e}")),
        };
        let (subject, text, html) = match group {
            Some(g) => render(out, g),
            None if out.kind == "digest" => {
                let d: super::storm::Digest =
                    serde_json::from_value(out.payload.clone()).unwrap_or_default();
                let mut t = format!("{}\n\n{}", d.summary(), d.link_text());
                let mut html = format!("<p>{}</p>", escape_html(&d.summary()));
                match d.link() {
                    Some(l) => {
                        t.push_str(&format!("\n{l}\n"));
                        html.push_str(&format!(
                            "<p><a href=\"{}\">Open them in the inbox</a></p>",
                            escape_html(&l)
                        ));
                    }
                    None => html.push_str(&format!("<p>{}</p>", escape_html(&d.link_text()))),
                }
                (
                    "[DIGEST] SignalCraft: notifications over the channel's cap".to_string(),
                    t,
                    html,
                )
            }
            None => {
                let t = out
                    .payload
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or("Test notification from SignalCraft")
                    .to_string();
                let html = format!("<p>{}</p>", escape_html(&t));
                ("[TEST] SignalCraft test notification".to_string(), t, html)
            }
        };
        let mut msg = Message::builder().from(from).subject(subject);
        for to in c
            .config
            .get("to")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            match to.parse::<Mailbox>() {
                Ok(m) => msg = msg.to(m),
                Err(e) => return fail(format!("bad to address {to:?}: {e}")),
            }
        }
        let message = match msg
            .header(lettre::message::header::MessageId::from(format!(
                "<{}.{}@signalcraft>",
                out.delivery_id,
                group.map_or("test", |g| g.id.as_str())
            )))
            .multipart(MultiPart::alternative_plain_html(text, html))
        {
            Ok(m) => m,
            Err(e) => return fail(format!("cannot build the message: {e}")),
        };
        let insecure = c.config.get("insecure").and_then(Value::as_bool) == Some(true);
        if !insecure && c.config.get("starttls").and_then(Value::as_bool) == Some(false) {
            return fail(
                "plain SMTP (starttls: false) needs insecure: true in the channel config".into(),
            );
        }
        let addrs = match crate::net::resolve_checked(&self.policy, host, port).await {
            Ok(a) => a,
            Err(e) if e.is_transient() => {
                return SendOutcome::Retry {
                    http_status: None,
                    error: format!("SMTP: {e}"),
                    retry_after: None,
                };
            }
            Err(e) => return fail(format!("SMTP: {e}")),
        };
        let Some(addr) = addrs.first() else {
            return fail(format!("SMTP: {host} has no address"));
        };
        // connect to the checked address, never the name again (no second lookup to rebind)
        let builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(addr.ip().to_string());
        let builder = if insecure {
            builder.tls(Tls::None)
        } else {
            match TlsParameters::new(host.to_string()) {
                Ok(p) => builder.tls(Tls::Required(p)),
                Err(e) => return fail(format!("STARTTLS setup failed: {}", smtp_reason(&e))),
            }
        };
        let mut builder = builder.port(port).timeout(Some(Duration::from_secs(15)));
        if let (Some(u), Some(p)) = (c.text("username"), c.text("password")) {
            builder = builder.credentials(Credentials::new(u.to_string(), p.to_string()));
        }
        match builder.build().send(message).await {
            Ok(r) => SendOutcome::Sent {
                http_status: None,
                reference: r.message().next().map(str::to_string),
                place: None,
            },
            Err(e) if e.is_permanent() => fail(format!("SMTP rejected it: {}", smtp_reason(&e))),
            Err(e) if e.is_client() && !insecure => fail(format!("SMTP: {}", smtp_reason(&e))),
            Err(e) => SendOutcome::Retry {
                http_status: None,
                error: format!("SMTP: {}", smtp_reason(&e)),
                retry_after: None,
            },
        }
    }
}
