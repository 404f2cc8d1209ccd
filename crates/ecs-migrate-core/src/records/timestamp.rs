//! [`Timestamp`]: a moment as ecs-migrate writes it into AWS (lock tags, pause records,
//! outcomes): UTC, to the second, RFC 3339 (`2026-11-21T10:00:00Z`).

use aws_smithy_types::date_time::Format;
use aws_smithy_types::DateTime;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Seconds since the Unix epoch.
    secs: i64,
}

impl Timestamp {
    /// Now, to the second (rounded down).
    pub fn now() -> Timestamp {
        Timestamp::from(SystemTime::now())
    }

    /// `duration` from now, rounded up to the next second (a lease written now never ends
    /// before `duration` has passed).
    pub fn from_now(duration: Duration) -> Timestamp {
        Timestamp {
            secs: Timestamp::from(SystemTime::now() + duration).secs + 1,
        }
    }

    /// This moment, `duration` earlier.
    pub fn before(self, duration: Duration) -> Timestamp {
        Timestamp {
            secs: self.secs - i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2),
        }
    }

    pub fn as_system_time(self) -> SystemTime {
        match u64::try_from(self.secs) {
            Ok(secs) => SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
            Err(_) => SystemTime::UNIX_EPOCH,
        }
    }
}

impl From<SystemTime> for Timestamp {
    fn from(at: SystemTime) -> Timestamp {
        Timestamp {
            secs: DateTime::from(at).secs(),
        }
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match DateTime::from_secs(self.secs).fmt(Format::DateTime) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "@{}", self.secs),
        }
    }
}

/// A value that is not an RFC 3339 time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an RFC 3339 time such as 2026-11-21T10:00:00Z")]
pub struct NotATimestamp(pub String);

impl std::str::FromStr for Timestamp {
    type Err = NotATimestamp;

    fn from_str(text: &str) -> Result<Timestamp, NotATimestamp> {
        DateTime::from_str(text, Format::DateTime)
            .map(|at| Timestamp { secs: at.secs() })
            .map_err(|_| NotATimestamp(text.to_owned()))
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timestamp_round_trips_through_its_text_to_the_second() {
        let at: Timestamp = "2026-11-21T10:00:00Z".parse().unwrap();
        assert_eq!(at.to_string(), "2026-11-21T10:00:00Z");
        let fractional: Timestamp = "2026-11-21T10:00:00.750Z".parse().unwrap();
        assert_eq!(fractional, at);
        assert_eq!(
            serde_json::to_string(&at).unwrap(),
            "\"2026-11-21T10:00:00Z\""
        );
        assert_eq!(
            serde_json::from_str::<Timestamp>("\"2026-11-21T10:00:00Z\"").unwrap(),
            at
        );
    }

    #[test]
    fn an_unreadable_time_is_an_error_naming_it() {
        let err = "soon".parse::<Timestamp>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "`soon` is not an RFC 3339 time such as 2026-11-21T10:00:00Z"
        );
        assert!(serde_json::from_str::<Timestamp>("\"never\"").is_err());
    }

    #[test]
    fn from_now_is_never_earlier_than_the_duration_and_before_goes_back() {
        let now = Timestamp::now();
        let later = Timestamp::from_now(Duration::from_secs(120));
        assert!(later >= now.before(Duration::from_secs(0)));
        assert!(later.secs - now.secs >= 120 && later.secs - now.secs <= 122);
        assert_eq!(later.before(Duration::from_secs(60)).secs, later.secs - 60);
    }
}
