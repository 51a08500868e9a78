//! Dashboard figures.

use super::Engine;
use crate::alert::Severity;
use crate::lifecycle::GroupStatus;
use crate::store;
use crate::{Error, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many names each `noisy` list holds.
pub const NOISY_TOP: usize = 5;

/// A median and a 90th percentile, in seconds (nearest rank; `null` with no data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// The median.
    pub median: Option<f64>,
    /// The 90th percentile.
    pub p90: Option<f64>,
}

/// A name and its event count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    /// The source, project or fingerprint.
    pub name: String,
    /// Events in the window.
    pub events: u64,
}

/// The noisiest sources, projects and fingerprints.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noisy {
    /// By source.
    pub sources: Vec<Named>,
    /// By project.
    pub projects: Vec<Named>,
    /// By fingerprint.
    pub fingerprints: Vec<Named>,
}

/// One bucket of [`Stats::series`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    /// The bucket's start.
    pub at: DateTime<Utc>,
    /// Events received in the bucket (within the window).
    pub events: u64,
    /// Groups first seen in the bucket (within the window).
    pub new_groups: u64,
    /// The bucket's events by severity (every severity named, zeros included).
    pub by_severity: BTreeMap<String, u64>,
}

/// The bucket length of a window's series: 5 minutes up to 1 h, hourly up to 90 days, daily
/// beyond (so a series has at most about 2,200 buckets).
pub fn series_step(window: TimeDelta) -> TimeDelta {
    if window <= TimeDelta::hours(1) {
        TimeDelta::minutes(5)
    } else if window <= TimeDelta::days(90) {
        TimeDelta::hours(1)
    } else {
        TimeDelta::days(1)
    }
}

/// A workspace's figures over a window ending now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// The window, as given (`24h`).
    pub window: String,
    /// Its start.
    pub since: DateTime<Utc>,
    /// Its end (now).
    pub until: DateTime<Utc>,
    /// Events received in the window.
    pub events: u64,
    /// Events received in the window before (for the trend).
    pub events_previous: u64,
    /// Groups first seen in the window.
    pub new_groups: u64,
    /// 1 − groups / events over the window's events (0 with no events).
    pub dedup_ratio: f64,
    /// Of the groups opened in the window, the share acknowledged before they were resolved.
    pub ack_rate: Option<f64>,
    /// Time from opening to the first ack, for groups opened in the window.
    pub mtta_secs: Percentiles,
    /// Time from opening to the first resolve, for groups opened in the window.
    pub mttr_secs: Percentiles,
    /// The noisiest sources, projects and fingerprints by events in the window.
    pub noisy: Noisy,
    /// The last event per source, all time (a source gone quiet shows here).
    pub last_event_by_source: BTreeMap<String, DateTime<Utc>>,
    /// Groups unresolved or active in the window, by status.
    pub by_status: BTreeMap<String, u64>,
    /// The same groups by severity.
    pub by_severity: BTreeMap<String, u64>,
    /// The window in buckets (see [`series_step`]), oldest first, aligned to the bucket length
    /// (the first bucket may start before `since`; only the window's events count).
    pub series: Vec<SeriesPoint>,
}

/// Parses a window such as `90s`, `30m`, `24h`, `7d`.
pub fn parse_window(s: &str) -> Result<TimeDelta> {
    let s = s.trim();
    let bad = || {
        Error::invalid(
            "window",
            format!("expected a duration such as 30m, 24h or 7d, got {s:?}"),
        )
    };
    let unit = s.chars().last().ok_or_else(bad)?;
    let mult = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    let n: i64 = s[..s.len() - 1].parse().map_err(|_| bad())?;
    if n <= 0 || n > 3650 * 86_400 / mult {
        return Err(bad());
    }
    Ok(TimeDelta::seconds(n * mult))
}

fn percentiles(mut v: Vec<f64>) -> Percentiles {
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let i = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v.get(i).copied()
    };
    Percentiles {
        median: rank(0.5),
        p90: rank(0.9),
    }
}

fn named(v: Vec<(String, u64)>) -> Vec<Named> {
    v.into_iter()
        .map(|(name, events)| Named { name, events })
        .collect()
}

impl Engine {
    /// The dashboard figures of a workspace over `window` (e.g. `24h`) ending now.
    pub fn stats(&self, workspace: &str, window: &str) -> Result<Stats> {
        let len = parse_window(window)?;
        let until = self.now();
        let since = until - len;
        // The window ends now, inclusive: an event received at this very moment counts (the
        // store's ranges are half-open, so they are asked up to one millisecond later).
        let end = until + chrono::TimeDelta::milliseconds(1);
        self.store.read(|tx| {
            let ws = store::workspaces::resolve(tx, workspace)?.id;
            let events = store::stats::events(tx, &ws, since, end)?;
            let groups = store::stats::event_groups(tx, &ws, since, end)?;
            let times = store::stats::group_times(tx, &ws, since, end)?;
            let acked_first = times
                .iter()
                .filter(|t| match (t.acked, t.resolved) {
                    (Some(a), Some(r)) => a <= r,
                    (Some(_), None) => true,
                    _ => false,
                })
                .count();
            let secs = |from: i64, to: i64| (to - from) as f64 / 1000.0;
            let mtta = times
                .iter()
                .filter_map(|t| t.acked.map(|a| secs(t.opened, a)))
                .collect();
            let mttr = times
                .iter()
                .filter_map(|t| t.resolved.map(|r| secs(t.opened, r)))
                .collect();
            let severity_name = |rank: &str| {
                rank.parse::<i64>()
                    .ok()
                    .and_then(Severity::from_rank)
                    .map_or_else(|| rank.to_string(), |s| s.as_str().to_string())
            };
            let mut by_status: BTreeMap<String, u64> = GroupStatus::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), 0))
                .collect();
            by_status.extend(store::stats::group_counts(tx, &ws, "status", since)?);
            let mut by_severity: BTreeMap<String, u64> = Severity::ALL
                .iter()
                .map(|s| (s.as_str().to_string(), 0))
                .collect();
            by_severity.extend(
                store::stats::group_counts(tx, &ws, "severity", since)?
                    .into_iter()
                    .map(|(k, n)| (severity_name(&k), n)),
            );
            let series = series(tx, &ws, since, end, len)?;
            Ok(Stats {
                window: window.trim().to_string(),
                since,
                until,
                events,
                events_previous: store::stats::events(tx, &ws, since - len, since)?,
                new_groups: store::stats::new_groups(tx, &ws, since, end)?,
                dedup_ratio: if events == 0 {
                    0.0
                } else {
                    1.0 - groups as f64 / events as f64
                },
                ack_rate: (!times.is_empty()).then(|| acked_first as f64 / times.len() as f64),
                mtta_secs: percentiles(mtta),
                mttr_secs: percentiles(mttr),
                noisy: Noisy {
                    sources: named(store::stats::noisy(
                        tx, &ws, "source", since, end, NOISY_TOP,
                    )?),
                    projects: named(store::stats::noisy(
                        tx, &ws, "project", since, end, NOISY_TOP,
                    )?),
                    fingerprints: named(store::stats::noisy(
                        tx,
                        &ws,
                        "fingerprint",
                        since,
                        end,
                        NOISY_TOP,
                    )?),
                },
                last_event_by_source: store::stats::last_event_by_source(tx, &ws)?
                    .into_iter()
                    .collect(),
                by_status,
                by_severity,
                series,
            })
        })
    }
}

/// The buckets of `[since, end)`.
fn series(
    tx: &crate::store::db::Conn,
    ws: &crate::alert::WorkspaceId,
    since: DateTime<Utc>,
    end: DateTime<Utc>,
    len: TimeDelta,
) -> Result<Vec<SeriesPoint>> {
    let step = series_step(len).num_milliseconds().max(1);
    let origin = since.timestamp_millis().div_euclid(step) * step;
    let buckets = ((end.timestamp_millis() - 1 - origin).div_euclid(step) + 1).max(0) as usize;
    let zero: BTreeMap<String, u64> = Severity::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    let mut out: Vec<SeriesPoint> = (0..buckets)
        .map(|i| SeriesPoint {
            at: DateTime::from_timestamp_millis(origin + i as i64 * step).unwrap_or(since),
            events: 0,
            new_groups: 0,
            by_severity: zero.clone(),
        })
        .collect();
    for (b, rank, n) in store::stats::event_series(tx, ws, since, end, origin, step)? {
        if let Some(p) = usize::try_from(b).ok().and_then(|b| out.get_mut(b)) {
            p.events += n;
            let name = Severity::from_rank(rank).map_or("error", Severity::as_str);
            *p.by_severity.entry(name.to_string()).or_insert(0) += n;
        }
    }
    for (b, n) in store::stats::new_group_series(tx, ws, since, end, origin, step)? {
        if let Some(p) = usize::try_from(b).ok().and_then(|b| out.get_mut(b)) {
            p.new_groups += n;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_and_percentiles() {
        assert_eq!(parse_window("24h").ok(), Some(TimeDelta::hours(24)));
        assert_eq!(parse_window("7d").ok(), Some(TimeDelta::days(7)));
        for bad in ["", "h", "0h", "-1h", "3x", "1.5h", "日"] {
            assert!(parse_window(bad).is_err(), "{bad}");
        }
        let p = percentiles(vec![5.0, 1.0, 3.0, 2.0, 4.0, 10.0, 7.0, 6.0, 9.0, 8.0]);
        assert_eq!((p.median, p.p90), (Some(5.0), Some(9.0)));
        assert_eq!(percentiles(vec![]).median, None);
    }
}
