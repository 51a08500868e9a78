//! `signalcraft`: the operator's command-line tool, and the scriptable face of the engine.
//!
//! Every command prints JSON on stdout. Any error exits non-zero with `error: KIND: message` as
//! the first line of stderr (KIND is the engine's error kind).

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};
use signalcraft_core::{
    DedupWindow, Engine, Error, ErrorKind, GroupQuery, GroupStatus, Headers, IntegrationUpdate,
    ManualClock, Severity, Source,
};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "signalcraft",
    version,
    about = "SignalCraft: normalize, deduplicate and route alert webhooks"
)]
struct Cli {
    /// The SQLite database file.
    #[arg(long, global = true, default_value = "signalcraft.db")]
    db: PathBuf,
    /// Fix the engine's clock at this RFC 3339 time (for scripts, tests and replays).
    #[arg(long, global = true, value_name = "RFC3339")]
    now: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create, list and configure workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Configure a workspace's source integrations (secrets, options).
    #[command(subcommand)]
    Integration(IntegrationCmd),
    /// Ingest one webhook delivery from FILE (or stdin).
    Ingest(IngestArgs),
    /// List a workspace's groups, newest activity first.
    Groups(GroupsArgs),
    /// Show one group with its events and timeline.
    Group {
        /// Workspace name or id.
        workspace: String,
        /// The group's id.
        group_id: String,
    },
}

#[derive(Subcommand, Debug)]
enum WorkspaceCmd {
    /// Create a workspace.
    Create {
        /// Its unique name.
        name: String,
    },
    /// List workspaces.
    List,
    /// Show (and with flags, change) a workspace's settings.
    Settings {
        /// Workspace name or id.
        workspace: String,
        /// Dedup window kind.
        #[arg(long, value_parser = ["rolling", "fixed", "until_resolved"])]
        dedup_window: Option<String>,
        /// Dedup window length in minutes.
        #[arg(long)]
        window_mins: Option<u64>,
        /// Reopen window in minutes (0: never reopen).
        #[arg(long)]
        reopen_window_mins: Option<u64>,
    },
}

#[derive(Subcommand, Debug)]
enum IntegrationCmd {
    /// Set a source's secret and options for a workspace (unset flags keep their value).
    Set {
        /// Workspace name or id.
        workspace: String,
        /// The source: sentry, alertmanager, grafana, datadog, pagerduty, opsgenie or generic.
        source: String,
        /// The shared secret signatures are checked with.
        #[arg(long)]
        secret: Option<String>,
        /// Remove the secret: unsigned payloads are then accepted.
        #[arg(long, conflicts_with = "secret")]
        clear_secret: bool,
        /// How far the sender's timestamp may be from now, in seconds.
        #[arg(long)]
        max_skew_secs: Option<u64>,
        /// Source options as JSON, replacing the old ones (`--options` is the same flag): for
        /// generic, the mapping ({"events", "fields", "severity_map", "status_map",
        /// "fingerprint_fields", "signature"}); see the README for each source's options.
        #[arg(long = "config", visible_alias = "options", value_name = "JSON")]
        config: Option<String>,
    },
    /// Show a source's settings for a workspace (the secret is never shown).
    Show {
        /// Workspace name or id.
        workspace: String,
        /// The source.
        source: String,
    },
}

#[derive(Args, Debug)]
struct IngestArgs {
    /// Workspace name or id.
    workspace: String,
    /// The source: sentry, alertmanager, grafana, datadog, pagerduty, opsgenie, generic, or
    /// auto (picked from the headers and body shape; the output's "source" says which).
    source: String,
    /// A request header, "Name: value" (repeatable).
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// The body file; `-` or nothing reads stdin.
    file: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct GroupsArgs {
    /// Workspace name or id.
    workspace: String,
    /// Only this status (every status when absent).
    #[arg(long, value_parser = ["open", "acknowledged", "snoozed", "resolved"])]
    status: Option<String>,
    /// Only this environment.
    #[arg(long)]
    environment: Option<String>,
    /// Only this project.
    #[arg(long)]
    project: Option<String>,
    /// Only this source.
    #[arg(long)]
    source: Option<String>,
    /// Only this severity or worse.
    #[arg(long, value_parser = ["debug", "info", "warning", "error", "critical"])]
    min_severity: Option<String>,
    /// Page size (1 to 1000, default 50).
    #[arg(long)]
    limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[arg(long)]
    cursor: Option<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind as K;
            if matches!(
                e.kind(),
                K::DisplayHelp | K::DisplayVersion | K::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let mut lines = text.lines();
            let first = lines.next().unwrap_or("bad arguments");
            eprintln!(
                "error: invalid_input: {}",
                first.trim_start_matches("error: ")
            );
            for l in lines {
                eprintln!("{l}");
            }
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(value) => {
            let mut out = std::io::stdout().lock();
            let text = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "null".into());
            if writeln!(out, "{text}").is_err() {
                return ExitCode::from(74);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", e.kind());
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                eprintln!("  caused by: {s}");
                source = s.source();
            }
            ExitCode::from(exit_code(e.kind()))
        }
    }
}

fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidInput => 2,
        ErrorKind::Signature => 3,
        ErrorKind::NotFound => 4,
        ErrorKind::Storage => 5,
        _ => 70,
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, Error> {
    serde_json::to_value(v).map_err(|e| Error::Internal(format!("serializing output: {e}")))
}

fn parse_now(now: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(now)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::invalid("--now", format!("not an RFC 3339 time: {now:?} ({e})")))
}

fn open(cli: &Cli) -> Result<Engine, Error> {
    let mut b = Engine::builder().path(&cli.db);
    if let Some(now) = &cli.now {
        b = b.clock(Arc::new(ManualClock::new(parse_now(now)?)));
    }
    b.build()
}

fn read_body(file: Option<&PathBuf>) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            body = std::fs::read(p)
                .map_err(|e| Error::invalid("FILE", format!("cannot read {}: {e}", p.display())))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|e| Error::invalid("stdin", format!("cannot read: {e}")))?;
        }
    }
    Ok(body)
}

fn run(cli: Cli) -> Result<Value, Error> {
    let engine = open(&cli)?;
    match cli.command {
        Command::Workspace(WorkspaceCmd::Create { name }) => {
            let ws = engine.create_workspace(&name)?;
            Ok(json!({"id": ws.id, "name": ws.name}))
        }
        Command::Workspace(WorkspaceCmd::List) => {
            Ok(json!({"workspaces": to_value(&engine.workspaces()?)?}))
        }
        Command::Workspace(WorkspaceCmd::Settings {
            workspace,
            dedup_window,
            window_mins,
            reopen_window_mins,
        }) => {
            let mut s = engine.settings(&workspace)?;
            let changing =
                dedup_window.is_some() || window_mins.is_some() || reopen_window_mins.is_some();
            if let Some(w) = dedup_window {
                s.dedup.window = w.parse::<DedupWindow>()?;
            }
            if let Some(m) = window_mins {
                s.dedup.window_secs = m.saturating_mul(60);
            }
            if let Some(m) = reopen_window_mins {
                s.dedup.reopen_window_secs = m.saturating_mul(60);
            }
            if changing {
                engine.set_settings(&workspace, &s)?;
            }
            to_value(&s)
        }
        Command::Integration(IntegrationCmd::Set {
            workspace,
            source,
            secret,
            clear_secret,
            max_skew_secs,
            config,
        }) => {
            let source: Source = source.parse()?;
            let options = config
                .map(|o| {
                    serde_json::from_str::<Value>(&o)
                        .map_err(|e| Error::invalid("--config", format!("not JSON: {e}")))
                })
                .transpose()?;
            let update = IntegrationUpdate {
                secret,
                clear_secret,
                max_skew_secs,
                clear_max_skew: false,
                options,
            };
            to_value(&engine.set_integration(&workspace, source, &update)?)
        }
        Command::Integration(IntegrationCmd::Show { workspace, source }) => {
            to_value(&engine.integration(&workspace, source.parse()?)?)
        }
        Command::Ingest(args) => {
            let source: Option<Source> = match args.source.as_str() {
                "auto" => None,
                name => Some(name.parse()?),
            };
            let mut headers = Headers::new();
            for line in &args.headers {
                let (n, v) = Headers::parse_line(line)?;
                headers.push(n, v);
            }
            let body = read_body(args.file.as_ref())?;
            match source {
                Some(source) => {
                    to_value(&engine.ingest(&args.workspace, source, &headers, &body)?)
                }
                None => to_value(&engine.ingest_auto(&args.workspace, &headers, &body)?),
            }
        }
        Command::Groups(a) => {
            let query = GroupQuery {
                status: a
                    .status
                    .as_deref()
                    .map(str::parse::<GroupStatus>)
                    .transpose()?,
                environment: a.environment,
                project: a.project,
                source: a.source.as_deref().map(str::parse::<Source>).transpose()?,
                min_severity: a
                    .min_severity
                    .as_deref()
                    .map(str::parse::<Severity>)
                    .transpose()?,
                limit: a.limit,
                cursor: a.cursor,
            };
            to_value(&engine.groups(&a.workspace, &query)?)
        }
        Command::Group {
            workspace,
            group_id,
        } => to_value(&engine.group(&workspace, &group_id)?),
    }
}
