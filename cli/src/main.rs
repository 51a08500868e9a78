//! `signalcraft`: the operator's command-line tool, and the scriptable face of the engine.
//!
//! Every command prints JSON on stdout. Any error exits non-zero with `error: KIND: message` as
//! the first line of stderr (KIND is the engine's error kind).

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use serde_json::{Value, json};
use signalcraft_core::engine::Actor;
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::host::{self, parse_time, parse_time_or_duration};
use signalcraft_core::lifecycle::{Command as LifecycleCommand, Role};
use signalcraft_core::{
    DedupWindow, Engine, Error, ErrorKind, Headers, IntegrationUpdate, ManualClock,
    NewMaintenanceWindow, NewSilence, PrivateTargets, RuleSet, Source,
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
    /// The database: a SQLite file's path (or `sqlite:PATH`), or a PostgreSQL URL
    /// (`postgres://user@host:port/db`, which needs SIGNALCRAFT_SECRET_KEY).
    #[arg(long, global = true, default_value = "signalcraft.db")]
    db: String,
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
    /// Check, store, list and test routing rules.
    #[command(subcommand)]
    Rules(RulesCmd),
    /// Re-run stored history through candidate rules and show what would change.
    Replay {
        /// Workspace name or id.
        workspace: String,
        /// The candidate rules (a JSON list).
        #[arg(long)]
        rules: PathBuf,
        /// From this time (RFC 3339; default: the first event).
        #[arg(long)]
        since: Option<String>,
        /// Until this time (RFC 3339, exclusive; default: now).
        #[arg(long)]
        until: Option<String>,
    },
    /// Mute matching alerts for a while (they are still grouped and stored).
    #[command(subcommand)]
    Silence(SilenceCmd),
    /// Recurring maintenance windows.
    #[command(subcommand)]
    Maintenance(MaintenanceCmd),
    /// Run a lifecycle command on a group (prints the group after it).
    Act(ActArgs),
    /// Escalation policies.
    #[command(subcommand)]
    Escalation(EscalationCmd),
    /// Fire due escalation steps, end snoozes, auto-close idle groups, apply retention.
    Tick {
        /// Only this workspace (all when absent).
        workspace: Option<String>,
    },
    /// Dashboard figures.
    Stats {
        /// Workspace name or id.
        workspace: String,
        /// The window ending now: 30m, 24h, 7d…
        #[arg(long, default_value = "24h")]
        window: String,
    },
    /// Notification channels.
    #[command(subcommand)]
    Channel(ChannelCmd),
    /// Deliver due notifications (waiting for due retries up to --wait-secs).
    Dispatch {
        /// Only this workspace.
        workspace: Option<String>,
        /// Keep delivering until nothing is pending or this many seconds have passed.
        #[arg(long, default_value_t = 0)]
        wait_secs: u64,
    },
    /// The delivery log: every notification and its attempts.
    Deliveries {
        /// Workspace name or id.
        workspace: String,
        /// Only this group.
        #[arg(long)]
        group: Option<String>,
    },
    /// Slack's interactive requests.
    #[command(subcommand)]
    Slack(SlackCmd),
    /// The change feed: every change to a workspace's groups, in order.
    Changes {
        /// Workspace name or id.
        workspace: String,
        /// After this sequence number (default 0: from the first change kept).
        #[arg(long)]
        since: Option<i64>,
        /// At most this many (1 to 1000, default 100).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// User accounts (for the server's logins).
    #[command(subcommand)]
    User(UserCmd),
    /// Who is what in a workspace.
    #[command(subcommand)]
    Member(MemberCmd),
    /// API tokens of a workspace.
    #[command(subcommand)]
    Token(TokenCmd),
    /// The engine's metrics in the Prometheus text format (this process's counters are zero;
    /// the outbox and open-group gauges read the database).
    Metrics,
    /// Run one lifecycle command on many groups (a result per id).
    ActMany {
        /// Workspace name or id.
        workspace: String,
        /// ack, unack, resolve, reopen or unsnooze.
        #[arg(value_parser = ["ack", "unack", "resolve", "reopen", "unsnooze"])]
        command: String,
        /// The groups' ids.
        #[arg(required = true)]
        ids: Vec<String>,
        /// Who acts (written on the timeline).
        #[arg(long)]
        actor: String,
        /// The actor's role: owner, admin, member or viewer.
        #[arg(long, default_value = "owner", value_parser = ["owner", "admin", "member", "viewer"])]
        role: String,
    },
    /// Show one group with its newest events and timeline entries (50 each; the rest with
    /// `group-events` and `group-timeline`).
    Group {
        /// Workspace name or id.
        workspace: String,
        /// The group's id.
        group_id: String,
    },
    /// A page of a group's events, newest first.
    GroupEvents {
        /// Workspace name or id.
        workspace: String,
        /// The group's id.
        group_id: String,
        /// Older than this (the `next` or `events_next` of the page before).
        #[arg(long)]
        cursor: Option<String>,
        /// At most this many (1 to 200, default 50).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// A page of a group's timeline, newest first.
    GroupTimeline {
        /// Workspace name or id.
        workspace: String,
        /// The group's id.
        group_id: String,
        /// Older than this (the `next` or `timeline_next` of the page before).
        #[arg(long)]
        cursor: Option<String>,
        /// At most this many (1 to 200, default 50).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Show one stored event with the raw delivery it came from (body and headers as stored).
    Event {
        /// Workspace name or id.
        workspace: String,
        /// The event's id (as a group's events show it).
        event_id: String,
        /// Print only the raw body (as JSON), to feed `rules test`.
        #[arg(long)]
        body: bool,
    },
    /// Copy a SQLite database into an empty PostgreSQL database: every row of every table, in
    /// one transaction under the store's write lock, verified by counts and a checksum per table
    /// before it commits (a mismatch commits nothing and exits non-zero). The source must be at
    /// this build's schema version: an older one is refused (open it once with this build, which
    /// migrates it, then run migrate again). The target must be empty (no SignalCraft tables, or
    /// every table empty). Secrets at rest: the PostgreSQL store's key is SIGNALCRAFT_SECRET_KEY
    /// (required); the source's is the key file beside it (PATH.key), else the same variable;
    /// when they differ every sealed secret is sealed again with SIGNALCRAFT_SECRET_KEY. --db is
    /// not used.
    Migrate {
        /// The SQLite database: `sqlite:PATH` (or a path).
        #[arg(long, value_name = "sqlite:PATH")]
        from: String,
        /// The PostgreSQL database: `postgres://user@host:port/db[?sslmode=require]`.
        #[arg(long, value_name = "postgres://…")]
        to: String,
    },
    /// Fleet monitors: a workspace's apps and monitors, their checks and their state.
    #[command(subcommand)]
    Monitor(MonitorCmd),
}

#[derive(Subcommand, Debug)]
enum MonitorCmd {
    /// Replace the workspace's apps and monitors with FILE (a JSON list of monitors, or
    /// {"apps": [...], "monitors": [...]}; `-` reads stdin).
    Put {
        /// Workspace name or id.
        workspace: String,
        /// The JSON document.
        file: PathBuf,
    },
    /// Run the due monitors now at the engine's clock (--now fixes it), and print every
    /// monitor's state after.
    Run {
        /// Workspace name or id.
        workspace: String,
        /// Run every monitor one time, due or not.
        #[arg(long)]
        once: bool,
        /// Run only this monitor (due or not).
        #[arg(long)]
        id: Option<String>,
    },
    /// Every monitor's state: latest reading, history, breach and open alert.
    Status {
        /// Workspace name or id.
        workspace: String,
    },
    /// The workspace's apps and monitors as stored (secrets shown as has_<field>).
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// The workspace's apps with their monitors' states and open alerts.
    Apps {
        /// Workspace name or id.
        workspace: String,
    },
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Add a user; the password is the first line of stdin.
    Add {
        /// The login email.
        email: String,
        /// The display name.
        #[arg(long)]
        name: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Subcommand, Debug)]
enum MemberCmd {
    /// Give a user a role in a workspace (adding them if needed).
    Set {
        /// Workspace name or id.
        workspace: String,
        /// The user's email.
        email: String,
        /// owner, admin, member or viewer.
        #[arg(value_parser = ["owner", "admin", "member", "viewer"])]
        role: String,
    },
    /// Remove a user from a workspace.
    Remove {
        /// Workspace name or id.
        workspace: String,
        /// The user's email.
        email: String,
    },
    /// List a workspace's members.
    List {
        /// Workspace name or id.
        workspace: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Create an API token (shown once).
    Create {
        /// Workspace name or id.
        workspace: String,
        /// owner, admin, member or viewer.
        #[arg(long, value_parser = ["owner", "admin", "member", "viewer"])]
        role: String,
        /// Its name (the timeline shows `token:NAME`; default: its id).
        #[arg(long)]
        name: Option<String>,
    },
    /// List a workspace's live tokens (never the secrets).
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// Revoke a token.
    Revoke {
        /// Workspace name or id.
        workspace: String,
        /// The token's id.
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum WorkspaceCmd {
    /// Create a workspace.
    Create {
        /// Its unique name.
        name: String,
        /// The email of an existing user who becomes its owner.
        #[arg(long)]
        owner: Option<String>,
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
        /// Where alerts no rule matches go: a rule's `then` object ("null": store, don't notify).
        #[arg(long, value_name = "JSON")]
        default_route: Option<String>,
        /// Resolve groups with no event for this many minutes (0: never).
        #[arg(long)]
        auto_close_mins: Option<u64>,
        /// Delete events and timelines of groups resolved this many days ago (0: keep).
        #[arg(long)]
        retention_days: Option<u64>,
        /// Accept webhooks with neither a signature nor an ingest key (local experiments).
        #[arg(long, value_name = "BOOL")]
        allow_unauthenticated_ingest: Option<bool>,
        /// Webhook deliveries a minute the workspace accepts, sustained.
        #[arg(long)]
        ingest_per_min: Option<u32>,
        /// Webhook deliveries the workspace accepts at once.
        #[arg(long)]
        ingest_burst: Option<u32>,
    },
}

#[derive(Args, Debug)]
struct ActArgs {
    /// Workspace name or id.
    workspace: String,
    /// The group's id.
    group_id: String,
    /// Who acts (written on the timeline).
    #[arg(long, global = true)]
    actor: Option<String>,
    /// The actor's role: owner, admin, member or viewer.
    #[arg(long, global = true, default_value = "owner", value_parser = ["owner", "admin", "member", "viewer"])]
    role: String,
    #[command(subcommand)]
    command: ActCmd,
}

#[derive(Subcommand, Debug)]
enum ActCmd {
    /// Someone is on it.
    Ack,
    /// Nobody is on it after all.
    Unack,
    /// It is over.
    Resolve,
    /// It is not over after all.
    Reopen,
    /// End a snooze now.
    Unsnooze,
    /// Mute until a time (--until RFC3339) or for a while (--for 2h).
    Snooze {
        /// Until when.
        #[arg(long, conflicts_with = "for_")]
        until: Option<String>,
        /// For how long: 30m, 2h, 1d.
        #[arg(long = "for", id = "for_")]
        for_: Option<String>,
    },
    /// Assign someone (or --none).
    Assign {
        /// The user.
        user: Option<String>,
        /// Clear the assignee.
        #[arg(long, conflicts_with = "user")]
        none: bool,
    },
    /// Add a note.
    Note {
        /// The text.
        text: String,
    },
    /// Attach a runbook link.
    Runbook {
        /// The URL.
        url: String,
    },
}

#[derive(Subcommand, Debug)]
enum SlackCmd {
    /// Handle a Slack interactive request (a button click): FILE (or stdin) is the raw form body.
    Action {
        /// Workspace name or id.
        workspace: String,
        /// A request header, "Name: value" (repeatable): X-Slack-Signature and
        /// X-Slack-Request-Timestamp at least.
        #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// The body file; `-` or nothing reads stdin.
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum ChannelCmd {
    /// Create or replace a channel.
    Set {
        /// Workspace name or id.
        workspace: String,
        /// The channel's name (what rules' `notify` lists).
        name: String,
        /// slack, webhook, pagerduty or email.
        #[arg(long, value_parser = ["slack", "webhook", "pagerduty", "email"])]
        kind: String,
        /// The kind's settings as JSON (they hold the channel's token, secret, routing key
        /// or password): `-` reads the JSON from stdin.
        #[arg(long, value_name = "JSON|-", required_unless_present = "config_file")]
        config: Option<String>,
        /// Reads the settings' JSON from this file.
        #[arg(long, value_name = "PATH", conflicts_with = "config")]
        config_file: Option<PathBuf>,
    },
    /// List channels (secrets masked).
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// Delete a channel (refused while rules name it; its pending notifications are cancelled).
    Delete {
        /// Workspace name or id.
        workspace: String,
        /// The channel's name.
        name: String,
    },
    /// Queue a test notification on a channel through the real outbox (`dispatch` sends it).
    Test {
        /// Workspace name or id.
        workspace: String,
        /// The channel's name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum EscalationCmd {
    /// Create or replace a policy from a JSON file.
    Put {
        /// Workspace name or id.
        workspace: String,
        /// The policy's name.
        name: String,
        /// The policy file.
        file: PathBuf,
    },
    /// List policies.
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// Delete a policy (the escalations running under it stop).
    Delete {
        /// Workspace name or id.
        workspace: String,
        /// The policy's name.
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum RulesCmd {
    /// Validate a rules file (a JSON list of rules) without storing it.
    Check {
        /// The rules file.
        file: PathBuf,
    },
    /// Replace a workspace's rules with a file's.
    Put {
        /// Workspace name or id.
        workspace: String,
        /// The rules file.
        file: PathBuf,
    },
    /// List a workspace's rules in evaluation order.
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// Dry-run a delivery: what ingest would decide, storing nothing.
    Test {
        /// Workspace name or id.
        workspace: String,
        /// The source.
        source: String,
        /// A request header, "Name: value" (repeatable).
        #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
        headers: Vec<String>,
        /// Candidate rules to use instead of the workspace's.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// The body file; `-` or nothing reads stdin.
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum SilenceCmd {
    /// Add a silence.
    Add {
        /// Workspace name or id.
        workspace: String,
        /// Which alerts (a condition, as in rules' `when`).
        #[arg(long, value_name = "JSON")]
        when: String,
        /// Until (RFC 3339, or a duration from now such as 2h, 30m, 1d).
        #[arg(long)]
        until: String,
        /// From (RFC 3339; default now).
        #[arg(long)]
        from: Option<String>,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
        /// Who creates it (recorded as its creator).
        #[arg(long, default_value = "cli")]
        by: String,
    },
    /// List silences (with whether each is active now).
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// End a silence now.
    Expire {
        /// Workspace name or id.
        workspace: String,
        /// The silence's id.
        id: String,
    },
}

#[derive(Subcommand, Debug)]
enum MaintenanceCmd {
    /// Add a recurring window.
    Add {
        /// Workspace name or id.
        workspace: String,
        /// Weekdays it starts on: mon,tue,… or a range such as mon-fri, or all.
        #[arg(long)]
        weekdays: String,
        /// Local start, HH:MM.
        #[arg(long)]
        from: String,
        /// Local end, HH:MM (not after --from: it runs past midnight).
        #[arg(long)]
        to: String,
        /// IANA time zone, e.g. Europe/Berlin.
        #[arg(long)]
        tz: String,
        /// Only alerts matching this condition.
        #[arg(long, value_name = "JSON")]
        when: Option<String>,
        /// Only these rules (comma-separated ids); the whole workspace when absent.
        #[arg(long, value_delimiter = ',')]
        rules: Vec<String>,
    },
    /// List windows (deleted ones with deleted_at).
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// Delete a window.
    Delete {
        /// Workspace name or id.
        workspace: String,
        /// The window's id.
        id: String,
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
        /// The shared secret signatures are checked with; `-` reads it from stdin (the first
        /// line), which keeps it out of the process list and shell history.
        #[arg(long, value_name = "SECRET|-")]
        secret: Option<String>,
        /// Reads the secret from this file (surrounding white space trimmed).
        #[arg(long, value_name = "PATH", conflicts_with = "secret")]
        secret_file: Option<PathBuf>,
        /// Remove the secret: unsigned payloads are then accepted.
        #[arg(long, conflicts_with_all = ["secret", "secret_file"])]
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
    /// Create an ingest key for a source's webhook (shown once; several may be live).
    Key {
        /// Workspace name or id.
        workspace: String,
        /// The source.
        source: String,
    },
    /// Revoke an ingest key.
    RevokeKey {
        /// Workspace name or id.
        workspace: String,
        /// The source.
        source: String,
        /// The key's id.
        id: String,
    },
    /// Every source's settings, keys and delivery health.
    List {
        /// Workspace name or id.
        workspace: String,
    },
    /// Send the source's built-in sample through the real ingest path (signed with the
    /// integration's secret when one is set): what "send a test alert" does.
    Test {
        /// Workspace name or id.
        workspace: String,
        /// The source.
        source: String,
    },
    /// Print the source's built-in sample delivery: {"headers", "body"}.
    Sample {
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
    /// Only these statuses (repeat the flag, or comma-separate: open,acknowledged).
    #[arg(long)]
    status: Vec<String>,
    /// Only these severities (repeat the flag, or comma-separate: error,critical).
    #[arg(long)]
    severity: Vec<String>,
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
    /// Only groups assigned to this name ("none": unassigned groups).
    #[arg(long)]
    assignee: Option<String>,
    /// Only groups whose title or message contains this text.
    #[arg(long)]
    q: Option<String>,
    /// Only groups last seen at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Only groups last seen before this time (RFC 3339).
    #[arg(long)]
    until: Option<String>,
    /// The order: last_seen (default), first_seen, severity, count, last_activity, status,
    /// title, source, project, environment or assignee.
    #[arg(long)]
    sort: Option<String>,
    /// desc (default) or asc.
    #[arg(long)]
    order: Option<String>,
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
        ErrorKind::Conflict => 6,
        ErrorKind::Forbidden => 7,
        ErrorKind::TooLarge => 8,
        ErrorKind::RateLimited => 9,
        ErrorKind::Unauthenticated => 10,
        _ => 70,
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, Error> {
    host::to_json(v)
}

fn parse_now(now: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(now)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::invalid("--now", format!("not an RFC 3339 time: {now:?} ({e})")))
}

fn open(cli: &Cli) -> Result<Engine, Error> {
    let mut b = Engine::builder()
        .database(&cli.db)
        .allow_private_targets(PrivateTargets::from_env()?);
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

/// A secret given as a flag's value, `-` (stdin, first line) or a file (`--…-file`), trimmed.
fn secret_arg(
    flag: &str,
    value: Option<String>,
    file: Option<&PathBuf>,
) -> Result<Option<String>, Error> {
    let text = match (value, file) {
        (Some(v), _) if v == "-" => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| Error::invalid("stdin", format!("cannot read {flag}: {e}")))?;
            line
        }
        (Some(v), _) => return Ok(Some(v)),
        (None, Some(p)) => std::fs::read_to_string(p).map_err(|e| {
            Error::invalid(
                format!("{flag}-file"),
                format!("cannot read {}: {e}", p.display()),
            )
        })?,
        (None, None) => return Ok(None),
    };
    let t = text.trim();
    if t.is_empty() {
        return Err(Error::invalid(flag, "the secret read is empty"));
    }
    Ok(Some(t.to_string()))
}

/// A flag's JSON: the value, `-` (all of stdin) or a file.
fn json_source(flag: &str, value: Option<String>, file: Option<&PathBuf>) -> Result<Value, Error> {
    match (value.as_deref(), file) {
        (Some("-"), _) => json_arg(flag, &String::from_utf8_lossy(&read_body(None)?)),
        (Some(v), _) => json_arg(flag, v),
        (None, Some(p)) => {
            let text = std::fs::read(p).map_err(|e| {
                Error::invalid(
                    format!("{flag}-file"),
                    format!("cannot read {}: {e}", p.display()),
                )
            })?;
            host::parse_json(flag, &text)
        }
        (None, None) => Err(Error::invalid(flag, "missing")),
    }
}

fn json_arg(what: &str, text: &str) -> Result<Value, Error> {
    host::parse_json(what, text.as_bytes())
}

fn read_rules(path: &PathBuf) -> Result<RuleSet, Error> {
    let text = std::fs::read(path)
        .map_err(|e| Error::invalid("FILE", format!("cannot read {}: {e}", path.display())))?;
    RuleSet::from_json(&host::parse_json("rules", &text)?)
}

fn headers_from(lines: &[String]) -> Result<Headers, Error> {
    let mut headers = Headers::new();
    for line in lines {
        let (n, v) = Headers::parse_line(line)?;
        headers.push(n, v);
    }
    Ok(headers)
}

fn run(cli: Cli) -> Result<Value, Error> {
    if let Command::Rules(RulesCmd::Check { file }) = &cli.command {
        let rules = read_rules(file)?;
        return Ok(json!({"ok": true, "rules": rules.len()}));
    }
    if let Command::Migrate { from, to } = &cli.command {
        return to_value(&signalcraft_core::migrate_database(from, to)?);
    }
    let engine = open(&cli)?;
    match cli.command {
        Command::Workspace(WorkspaceCmd::Create { name, owner }) => {
            let ws = match owner {
                Some(email) => engine.create_workspace_with_owner(&name, &email)?,
                None => engine.create_workspace(&name)?,
            };
            Ok(json!({"id": ws.id, "name": ws.name}))
        }
        Command::User(UserCmd::Add { email, name }) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| Error::invalid("stdin", format!("cannot read: {e}")))?;
            let password = line.trim_end_matches(['\n', '\r']);
            to_value(&engine.add_user(&email, password, name.as_deref())?)
        }
        Command::Changes {
            workspace,
            since,
            limit,
        } => to_value(&engine.changes(&workspace, since, limit)?),
        Command::User(UserCmd::List) => Ok(json!({"users": to_value(&engine.users()?)?})),
        Command::Member(MemberCmd::Set {
            workspace,
            email,
            role,
        }) => to_value(&engine.set_member(&workspace, &email, role.parse()?)?),
        Command::Member(MemberCmd::Remove { workspace, email }) => {
            engine.remove_member(&workspace, &email)?;
            Ok(json!({"ok": true}))
        }
        Command::Member(MemberCmd::List { workspace }) => {
            Ok(json!({"members": to_value(&engine.members(&workspace)?)?}))
        }
        Command::Token(TokenCmd::Create {
            workspace,
            role,
            name,
        }) => to_value(&engine.create_token(&workspace, role.parse()?, name.as_deref())?),
        Command::Token(TokenCmd::List { workspace }) => {
            Ok(json!({"tokens": to_value(&engine.tokens(&workspace)?)?}))
        }
        Command::Token(TokenCmd::Revoke { workspace, id }) => {
            engine.revoke_token(&workspace, &id)?;
            Ok(json!({"ok": true}))
        }
        Command::Integration(IntegrationCmd::Key { workspace, source }) => {
            to_value(&engine.create_ingest_key(&workspace, source.parse()?)?)
        }
        Command::Integration(IntegrationCmd::RevokeKey {
            workspace,
            source,
            id,
        }) => {
            engine.revoke_ingest_key(&workspace, source.parse()?, &id)?;
            Ok(json!({"ok": true}))
        }
        Command::Integration(IntegrationCmd::List { workspace }) => {
            Ok(json!({"integrations": to_value(&engine.integrations(&workspace)?)?}))
        }
        Command::Workspace(WorkspaceCmd::List) => {
            Ok(json!({"workspaces": to_value(&engine.workspaces()?)?}))
        }
        Command::Workspace(WorkspaceCmd::Settings {
            workspace,
            dedup_window,
            window_mins,
            reopen_window_mins,
            default_route,
            auto_close_mins,
            retention_days,
            allow_unauthenticated_ingest,
            ingest_per_min,
            ingest_burst,
        }) => {
            let mut s = engine.settings(&workspace)?;
            if let Some(a) = allow_unauthenticated_ingest {
                s.allow_unauthenticated_ingest = a;
            }
            if let Some(n) = ingest_per_min {
                s.ingest_rate_limit.per_min = n;
            }
            if let Some(n) = ingest_burst {
                s.ingest_rate_limit.burst = n;
            }
            if let Some(m) = auto_close_mins {
                s.hygiene.auto_close_after_mins = m;
            }
            if let Some(d) = retention_days {
                s.hygiene.retention_days = d;
            }
            let changing = auto_close_mins.is_some()
                || retention_days.is_some()
                || dedup_window.is_some()
                || window_mins.is_some()
                || reopen_window_mins.is_some()
                || default_route.is_some()
                || allow_unauthenticated_ingest.is_some()
                || ingest_per_min.is_some()
                || ingest_burst.is_some();
            if let Some(r) = default_route {
                let v = json_arg("--default-route", &r)?;
                s.default_route = (!v.is_null()).then_some(v);
            }
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
            secret_file,
            clear_secret,
            max_skew_secs,
            config,
        }) => {
            let secret = secret_arg("--secret", secret, secret_file.as_ref())?;
            if source == "slack" {
                // Slack is not an alert source: its secret verifies interactive requests
                let secret = secret.ok_or_else(|| {
                    Error::invalid("--secret", "the Slack signing secret is required")
                })?;
                engine.set_slack_signing_secret(&workspace, &secret)?;
                return Ok(
                    json!({"workspace": engine.workspace(&workspace)?.id, "source": "slack", "has_secret": true}),
                );
            }
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
        Command::Integration(IntegrationCmd::Test { workspace, source }) => {
            to_value(&engine.test_integration(&workspace, source.parse()?)?)
        }
        Command::Integration(IntegrationCmd::Sample { source }) => {
            Ok(host::sample_json(&engine.sample_payload(source.parse()?)?))
        }
        Command::Channel(ChannelCmd::Test { workspace, name }) => {
            to_value(&engine.test_channel(&workspace, &name)?)
        }
        Command::Integration(IntegrationCmd::Show { workspace, source }) => {
            to_value(&engine.integration(&workspace, source.parse()?)?)
        }
        Command::Ingest(args) => {
            let source: Option<Source> = match args.source.as_str() {
                "auto" => None,
                name => Some(name.parse()?),
            };
            let headers = headers_from(&args.headers)?;
            let body = read_body(args.file.as_ref())?;
            match source {
                Some(source) => {
                    to_value(&engine.ingest(&args.workspace, source, &headers, &body)?)
                }
                None => to_value(&engine.ingest_auto(&args.workspace, &headers, &body)?),
            }
        }
        Command::Rules(RulesCmd::Check { .. }) => Err(Error::Internal("handled above".into())),
        Command::Rules(RulesCmd::Put { workspace, file }) => {
            let rules = read_rules(&file)?;
            engine.put_rules(&workspace, &rules)?;
            Ok(json!({"ok": true, "rules": rules.len()}))
        }
        Command::Rules(RulesCmd::List { workspace }) => {
            Ok(json!({"rules": engine.rules(&workspace)?.to_json()}))
        }
        Command::Rules(RulesCmd::Test {
            workspace,
            source,
            headers,
            rules,
            file,
        }) => {
            let source: Source = source.parse()?;
            let headers = headers_from(&headers)?;
            let rules = rules.as_ref().map(read_rules).transpose()?;
            let body = read_body(file.as_ref())?;
            let out = engine.dry_run(&workspace, source, &headers, &body, rules.as_ref())?;
            let mut v = to_value(&out)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("stored".into(), Value::Bool(false));
            }
            Ok(v)
        }
        Command::Replay {
            workspace,
            rules,
            since,
            until,
        } => {
            let rules = read_rules(&rules)?;
            let since = since
                .as_deref()
                .map(|s| parse_time("--since", s))
                .transpose()?;
            let until = until
                .as_deref()
                .map(|s| parse_time("--until", s))
                .transpose()?;
            to_value(&engine.replay(&workspace, &rules, since, until)?)
        }
        Command::Silence(SilenceCmd::Add {
            workspace,
            when,
            until,
            from,
            comment,
            by,
        }) => {
            let now = engine.now();
            let s = engine.add_silence(
                &workspace,
                &NewSilence {
                    when: json_arg("--when", &when)?,
                    starts_at: from
                        .as_deref()
                        .map(|f| parse_time("--from", f))
                        .transpose()?,
                    ends_at: parse_time_or_duration("--until", &until, now)?,
                    comment,
                },
                &by,
            )?;
            Ok(s.to_json())
        }
        Command::Silence(SilenceCmd::List { workspace }) => {
            let now = engine.now();
            let list: Vec<Value> = engine
                .silences(&workspace)?
                .iter()
                .map(|s| host::silence_view(s, now))
                .collect();
            Ok(json!({"silences": list}))
        }
        Command::Silence(SilenceCmd::Expire { workspace, id }) => {
            engine.expire_silence(&workspace, &id)?;
            Ok(json!({"ok": true, "id": id}))
        }
        Command::Maintenance(MaintenanceCmd::Add {
            workspace,
            weekdays,
            from,
            to,
            tz,
            when,
            rules,
        }) => {
            let w = engine.add_maintenance(
                &workspace,
                &NewMaintenanceWindow {
                    weekdays,
                    from,
                    to,
                    tz,
                    when: when.as_deref().map(|w| json_arg("--when", w)).transpose()?,
                    rules,
                },
            )?;
            Ok(w.to_json())
        }
        Command::Maintenance(MaintenanceCmd::List { workspace }) => {
            let now = engine.now();
            let list: Vec<Value> = engine
                .maintenance_windows(&workspace)?
                .iter()
                .map(|w| host::maintenance_view(w, now))
                .collect();
            Ok(json!({"maintenance": list}))
        }
        Command::Maintenance(MaintenanceCmd::Delete { workspace, id }) => {
            engine.delete_maintenance(&workspace, &id)?;
            Ok(json!({"ok": true, "id": id}))
        }
        Command::Groups(a) => {
            let query = host::group_query(json!({
                "status": a.status, "severity": a.severity, "environment": a.environment,
                "project": a.project, "source": a.source, "min_severity": a.min_severity,
                "assignee": a.assignee, "q": a.q, "since": a.since, "until": a.until,
                "sort": a.sort, "order": a.order, "limit": a.limit, "cursor": a.cursor,
            }))?;
            to_value(&engine.groups(&a.workspace, &query)?)
        }
        Command::Group {
            workspace,
            group_id,
        } => to_value(&engine.group(&workspace, &group_id)?),
        Command::GroupEvents {
            workspace,
            group_id,
            cursor,
            limit,
        } => to_value(&engine.group_events(&workspace, &group_id, cursor.as_deref(), limit)?),
        Command::GroupTimeline {
            workspace,
            group_id,
            cursor,
            limit,
        } => to_value(&engine.group_timeline(&workspace, &group_id, cursor.as_deref(), limit)?),
        Command::Event {
            workspace,
            event_id,
            body,
        } => {
            let e = engine.event(&workspace, &event_id)?;
            if body {
                // the body as JSON (every source's deliveries are JSON), ready for `rules test`
                return match (e.purged, e.payload) {
                    (true, _) => Err(Error::not_found(
                        "raw body (purged by retention) of event",
                        event_id,
                    )),
                    (false, Value::Null) => Err(Error::invalid(
                        "--body",
                        "the stored body is not JSON (print the whole event to see its text)",
                    )),
                    (false, payload) => Ok(payload),
                };
            }
            to_value(&e)
        }
        Command::Act(a) => {
            let now = engine.now();
            let command = match a.command {
                ActCmd::Ack => LifecycleCommand::Ack,
                ActCmd::Unack => LifecycleCommand::Unack,
                ActCmd::Resolve => LifecycleCommand::Resolve,
                ActCmd::Reopen => LifecycleCommand::Reopen,
                ActCmd::Unsnooze => LifecycleCommand::Unsnooze,
                ActCmd::Snooze { until, for_ } => {
                    let until = match (until, for_) {
                        (Some(u), None) => parse_time("--until", &u)?,
                        (None, Some(f)) => {
                            now + signalcraft_core::engine::parse_window(&f).map_err(|_| {
                                Error::invalid(
                                    "--for",
                                    format!("expected a duration such as 30m or 2h, got {f:?}"),
                                )
                            })?
                        }
                        _ => {
                            return Err(Error::invalid(
                                "snooze",
                                "give --until T or --for DURATION",
                            ));
                        }
                    };
                    LifecycleCommand::Snooze { until }
                }
                ActCmd::Assign { user, none } => {
                    if user.is_none() && !none {
                        return Err(Error::invalid("assign", "give a USER or --none"));
                    }
                    LifecycleCommand::Assign { user }
                }
                ActCmd::Note { text } => LifecycleCommand::Note { text },
                ActCmd::Runbook { url } => LifecycleCommand::Runbook { url },
            };
            let actor = a
                .actor
                .ok_or_else(|| Error::invalid("--actor", "who acts? (--actor NAME)"))?;
            let actor = Actor::new(actor, a.role.parse::<Role>()?);
            to_value(&engine.act(&a.workspace, &a.group_id, &command, &actor)?)
        }
        Command::Escalation(EscalationCmd::Put {
            workspace,
            name,
            file,
        }) => {
            let text = std::fs::read(&file).map_err(|e| {
                Error::invalid("FILE", format!("cannot read {}: {e}", file.display()))
            })?;
            let value: Value = serde_json::from_slice(&text)
                .map_err(|e| Error::invalid("policy", format!("not JSON: {e}")))?;
            let policy = EscalationPolicy::from_json(&value)?;
            engine.put_escalation(&workspace, &name, &policy)?;
            Ok(json!({"ok": true, "name": name, "policy": policy.to_json()}))
        }
        Command::Escalation(EscalationCmd::List { workspace }) => {
            let list = host::escalations_view(&engine.escalations(&workspace)?);
            Ok(json!({"policies": list}))
        }
        Command::Tick { workspace } => to_value(&engine.tick(workspace.as_deref())?),
        Command::Channel(ChannelCmd::Set {
            workspace,
            name,
            kind,
            config,
            config_file,
        }) => {
            let config = json_source("--config", config, config_file.as_ref())?;
            engine.set_channel(&workspace, &name, kind.parse()?, &config)
        }
        Command::Slack(SlackCmd::Action {
            workspace,
            headers,
            file,
        }) => {
            let headers = headers_from(&headers)?;
            let body = read_body(file.as_ref())?;
            to_value(&engine.handle_slack_action(&workspace, &headers, &body)?)
        }
        Command::Channel(ChannelCmd::Delete { workspace, name }) => {
            engine.delete_channel(&workspace, &name)?;
            Ok(json!({"ok": true, "name": name}))
        }
        Command::Escalation(EscalationCmd::Delete { workspace, name }) => {
            engine.delete_escalation(&workspace, &name)?;
            Ok(json!({"ok": true, "name": name}))
        }
        Command::Metrics => Ok(json!({"metrics": engine.metrics_text()?})),
        Command::ActMany {
            workspace,
            command,
            ids,
            actor,
            role,
        } => {
            let command: LifecycleCommand =
                host::from_json("command", json!({"command": command}))?;
            let actor = Actor::new(actor, role.parse::<Role>()?);
            Ok(
                json!({"results": host::act_many_json(&engine.act_many(&workspace, &ids, &command, &actor)?)?}),
            )
        }
        Command::Channel(ChannelCmd::List { workspace }) => {
            Ok(json!({"channels": engine.channels(&workspace)?}))
        }
        Command::Dispatch {
            workspace,
            wait_secs,
        } => to_value(&engine.dispatch(
            workspace.as_deref(),
            std::time::Duration::from_secs(wait_secs.min(24 * 3600)),
        )?),
        Command::Deliveries { workspace, group } => {
            Ok(json!({"deliveries": to_value(&engine.deliveries(&workspace, group.as_deref())?)?}))
        }
        Command::Stats { workspace, window } => to_value(&engine.stats(&workspace, &window)?),
        Command::Monitor(MonitorCmd::Put { workspace, file }) => {
            let body = read_body(Some(&file))?;
            engine.put_monitors(&workspace, &host::parse_json("monitors", &body)?)
        }
        Command::Monitor(MonitorCmd::Run {
            workspace,
            id: Some(id),
            ..
        }) => Ok(json!({"monitors": [to_value(&engine.run_monitor(&workspace, &id)?)?]})),
        Command::Monitor(MonitorCmd::Run {
            workspace,
            once,
            id: None,
        }) => Ok(json!({"monitors": to_value(&engine.run_monitors(&workspace, once)?)?})),
        Command::Monitor(MonitorCmd::Status { workspace }) => {
            Ok(json!({"monitors": to_value(&engine.monitor_status(&workspace)?)?}))
        }
        Command::Monitor(MonitorCmd::List { workspace }) => engine.monitors(&workspace),
        Command::Monitor(MonitorCmd::Apps { workspace }) => {
            Ok(json!({"apps": to_value(&engine.apps(&workspace)?)?}))
        }
        Command::Migrate { .. } => Err(Error::Internal("handled above".into())),
    }
}
