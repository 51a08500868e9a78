//! Silences (a condition and a time range) and maintenance windows (recurring, in a time zone).

use super::condition::Condition;
use crate::{Error, Result};
use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// Mutes matching alerts between two instants. Muted alerts are still grouped and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    /// Its id.
    pub id: String,
    /// Which alerts it mutes.
    pub when: Condition,
    /// From when.
    pub starts_at: DateTime<Utc>,
    /// Until when (exclusive).
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub comment: Option<String>,
    /// When it was created: replays before then do not see it.
    pub created_at: DateTime<Utc>,
    /// Who created it (an actor: `user:alice`, `token:ci`, `cli`); `None` for silences made
    /// before creators were recorded.
    pub created_by: Option<String>,
}

impl Silence {
    /// Whether it is in force at `at` (as it was known then).
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        self.created_at <= at && self.starts_at <= at && at < self.ends_at
    }

    /// The silence as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "when": self.when.to_json(),
            "starts_at": self.starts_at, "ends_at": self.ends_at,
            "comment": self.comment, "created_at": self.created_at,
            "created_by": self.created_by,
        })
    }
}

/// A recurring maintenance window: on some weekdays, between two local times in a time zone.
/// A window whose end is not after its start runs past midnight into the next day.
#[derive(Debug, Clone, PartialEq)]
pub struct MaintenanceWindow {
    /// Its id.
    pub id: String,
    /// The weekdays it starts on (local).
    pub weekdays: Vec<Weekday>,
    /// Local start time.
    pub from: NaiveTime,
    /// Local end time (exclusive).
    pub to: NaiveTime,
    /// The IANA time zone.
    pub tz: Tz,
    /// Only alerts matching this (all alerts when `None`).
    pub when: Option<Condition>,
    /// Only these rules (the whole workspace when empty).
    pub rules: Vec<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was deleted, if it was.
    pub deleted_at: Option<DateTime<Utc>>,
}

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// Parses `mon,tue,...` (also `mon-fri`, `all`).
pub fn parse_weekdays(s: &str) -> Result<Vec<Weekday>> {
    let day = |d: &str| {
        WEEKDAYS
            .iter()
            .find(|(n, _)| *n == d.trim().to_ascii_lowercase())
            .map(|(_, w)| *w)
            .ok_or_else(|| Error::invalid("weekdays", format!("unknown weekday {d:?} (mon … sun)")))
    };
    let mut out: Vec<Weekday> = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        if part.trim() == "all" {
            out.extend(WEEKDAYS.iter().map(|(_, w)| *w));
        } else if let Some((a, b)) = part.split_once('-') {
            let (mut d, end) = (day(a)?, day(b)?);
            loop {
                out.push(d);
                if d == end {
                    break;
                }
                d = d.succ();
            }
        } else {
            out.push(day(part)?);
        }
    }
    if out.is_empty() {
        return Err(Error::invalid("weekdays", "name at least one weekday"));
    }
    out.sort_by_key(|w| w.num_days_from_monday());
    out.dedup();
    Ok(out)
}

/// Parses `HH:MM`.
pub fn parse_time_of_day(what: &str, s: &str) -> Result<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .map_err(|_| Error::invalid(what, format!("expected HH:MM (24-hour), got {s:?}")))
}

/// Parses an IANA time zone name.
pub fn parse_tz(s: &str) -> Result<Tz> {
    s.trim()
        .parse::<Tz>()
        .map_err(|_| Error::invalid("tz", format!("unknown IANA time zone {s:?}")))
}

fn weekday_name(w: Weekday) -> &'static str {
    WEEKDAYS
        .iter()
        .find(|(_, d)| *d == w)
        .map_or("?", |(n, _)| n)
}

impl MaintenanceWindow {
    /// Whether the window is open at `at` (and existed then). Decided on the local wall clock,
    /// so a window keeps its local hours across daylight-saving changes.
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        if self.created_at > at || self.deleted_at.is_some_and(|d| d <= at) {
            return false;
        }
        let local = at.with_timezone(&self.tz);
        let time = local.time();
        let today = local.weekday();
        let yesterday = (local.date_naive() - TimeDelta::days(1)).weekday();
        if self.from < self.to {
            self.weekdays.contains(&today) && self.from <= time && time < self.to
        } else {
            // past midnight: the part on the start day, and the part on the day after
            (self.weekdays.contains(&today) && time >= self.from)
                || (self.weekdays.contains(&yesterday) && time < self.to)
        }
    }

    /// Whether it covers `rule` (a window for named rules) or everything (no rules named).
    pub fn covers_rule(&self, rule: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r == rule)
    }

    /// The window as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "weekdays": self.weekdays.iter().map(|w| weekday_name(*w)).collect::<Vec<_>>(),
            "from": self.from.format("%H:%M").to_string(),
            "to": self.to.format("%H:%M").to_string(),
            "tz": self.tz.name(),
            "when": self.when.as_ref().map(Condition::to_json),
            "rules": self.rules,
            "created_at": self.created_at,
            "deleted_at": self.deleted_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(days: &str, from: &str, to: &str, tz: &str) -> MaintenanceWindow {
        MaintenanceWindow {
            id: "m".into(),
            weekdays: parse_weekdays(days).unwrap_or_default(),
            from: parse_time_of_day("from", from).unwrap_or_default(),
            to: parse_time_of_day("to", to).unwrap_or_default(),
            tz: parse_tz(tz).unwrap_or(Tz::UTC),
            when: None,
            rules: vec![],
            created_at: DateTime::UNIX_EPOCH,
            deleted_at: None,
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn weekday_parsing() {
        assert_eq!(parse_weekdays("mon-wed").unwrap_or_default().len(), 3);
        assert_eq!(parse_weekdays("fri-mon").unwrap_or_default().len(), 4);
        assert_eq!(parse_weekdays("all").unwrap_or_default().len(), 7);
        assert!(parse_weekdays("funday").is_err());
        assert!(parse_weekdays("").is_err());
        assert!(parse_time_of_day("from", "25:00").is_err());
        assert!(parse_tz("Mars/Olympus").is_err());
    }

    #[test]
    fn keeps_local_hours_across_dst_in_berlin() {
        // Every day 01:00–03:00 Europe/Berlin. Berlin moved to summer time on 2026-03-29
        // (02:00 CET -> 03:00 CEST) and back on 2026-10-25 (03:00 CEST -> 02:00 CET).
        let w = window("all", "01:00", "03:00", "Europe/Berlin");
        // a winter day: 00:00–02:00 UTC
        assert!(!w.active_at(at("2026-03-28T23:59:00Z")));
        assert!(w.active_at(at("2026-03-28T00:00:00Z")));
        assert!(w.active_at(at("2026-03-28T01:59:00Z")));
        assert!(!w.active_at(at("2026-03-28T02:00:00Z")));
        // spring-forward day: local 01:00 CET = 00:00 UTC; local 03:00 CEST = 01:00 UTC (one hour long)
        assert!(w.active_at(at("2026-03-29T00:00:00Z")));
        assert!(w.active_at(at("2026-03-29T00:59:59Z")));
        assert!(!w.active_at(at("2026-03-29T01:00:00Z")));
        // a summer day: 23:00–01:00 UTC
        assert!(w.active_at(at("2026-06-30T23:00:00Z")));
        assert!(!w.active_at(at("2026-07-01T01:00:00Z")));
        assert!(!w.active_at(at("2026-06-30T22:59:00Z")));
        // fall-back day: local 01:00 CEST = 23:00 UTC the day before; 02:00–02:59 happens twice;
        // local 03:00 CET = 02:00 UTC (three hours long)
        assert!(w.active_at(at("2026-10-24T23:00:00Z")));
        assert!(w.active_at(at("2026-10-25T00:30:00Z")));
        assert!(w.active_at(at("2026-10-25T01:30:00Z")));
        assert!(!w.active_at(at("2026-10-25T02:00:00Z")));
    }

    #[test]
    fn overnight_windows_and_weekdays() {
        // Friday 22:00 to Saturday 02:00, New York
        let w = window("fri", "22:00", "02:00", "America/New_York");
        // 2026-07-10 is a Friday; EDT = UTC-4
        assert!(w.active_at(at("2026-07-11T02:00:00Z"))); // Fri 22:00 local
        assert!(w.active_at(at("2026-07-11T05:59:00Z"))); // Sat 01:59 local
        assert!(!w.active_at(at("2026-07-11T06:00:00Z"))); // Sat 02:00 local
        assert!(!w.active_at(at("2026-07-10T02:00:00Z"))); // Thu 22:00 local
    }

    #[test]
    fn created_and_deleted_bound_the_window() {
        let mut w = window("all", "00:00", "23:59", "UTC");
        w.created_at = at("2026-01-02T00:00:00Z");
        w.deleted_at = Some(at("2026-01-03T00:00:00Z"));
        assert!(!w.active_at(at("2026-01-01T12:00:00Z")));
        assert!(w.active_at(at("2026-01-02T12:00:00Z")));
        assert!(!w.active_at(at("2026-01-03T12:00:00Z")));
    }
}
