//! Every tag ecs-migrate writes into AWS: its keys, in one place, and the one codec of the
//! values that hold several fields (`run=r-… since=2026-11-21T10:00:00Z …`).
//!
//! | key | on | value |
//! |---|---|---|
//! | `ecs-migrate:lock:<family>` | the cluster | the family lock ([`crate::lock`]): `run= since= expires= migration=` |
//! | `ecs-migrate:run` | a paused service; the migration task | the [`crate::RunId`] that paused it / started it |
//! | `ecs-migrate:paused-at`, `:desired-count`, `:autoscaling`, `:migration`, `:expires` | a paused service | its pause record ([`crate::PauseRecord`]) |
//! | `ecs-migrate:outcome:<migration>` | the task definition revision | an outcome, as earlier versions kept it (moved to Parameter Store) |
//!
//! Values with fields are `KEY=VALUE` parts separated by spaces; a part that is not
//! `KEY=VALUE` makes the value unreadable; keys a reader does not know are skipped (a later
//! version may add some).

use std::fmt::Display;
use std::str::FromStr;

/// The family lock on the cluster: this prefix and the task definition family.
pub const LOCK_PREFIX: &str = "ecs-migrate:lock:";
/// Outcome tags of earlier versions on the revision: this prefix and the migration id.
pub const OUTCOME_PREFIX: &str = "ecs-migrate:outcome:";

pub const RUN: &str = "ecs-migrate:run";
pub const PAUSED_AT: &str = "ecs-migrate:paused-at";
pub const DESIRED_COUNT: &str = "ecs-migrate:desired-count";
pub const AUTOSCALING: &str = "ecs-migrate:autoscaling";
pub const MIGRATION: &str = "ecs-migrate:migration";
pub const EXPIRES: &str = "ecs-migrate:expires";
/// The tags of a pause record, all written at once and removed at once.
pub const PAUSE_RECORD: [&str; 6] = [
    RUN,
    PAUSED_AT,
    DESIRED_COUNT,
    AUTOSCALING,
    MIGRATION,
    EXPIRES,
];

/// The key of the family lock of `family`.
pub fn lock_key(family: &str) -> String {
    format!("{LOCK_PREFIX}{family}")
}

/// A value's fields, read.
#[derive(Debug)]
pub(crate) struct Fields<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Fields<'a> {
    /// Reads `KEY=VALUE KEY=VALUE`; `Err` names the part that is not `KEY=VALUE`.
    pub fn parse(value: &'a str) -> Result<Fields<'a>, String> {
        value
            .split_whitespace()
            .map(|part| {
                part.split_once('=')
                    .ok_or_else(|| format!("`{part}` is not KEY=VALUE"))
            })
            .collect::<Result<_, _>>()
            .map(Fields)
    }

    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The field `key`, read as a `T`; `Err` says which is missing or unreadable.
    pub fn require<T: FromStr>(&self, key: &str) -> Result<T, String>
    where
        T::Err: Display,
    {
        let value = self.get(key).ok_or_else(|| format!("no `{key}=`"))?;
        value.parse().map_err(|err| format!("`{key}`: {err}"))
    }

    /// The field `key`, or `None` when it is missing or says `none_word` (`none`, `never`).
    pub fn optional<T: FromStr>(&self, key: &str, none_word: &str) -> Result<Option<T>, String>
    where
        T::Err: Display,
    {
        match self.get(key) {
            None => Ok(None),
            Some(value) if value == none_word => Ok(None),
            Some(_) => self.require(key).map(Some),
        }
    }
}

/// Writes fields as `KEY=VALUE KEY=VALUE`, in the order given.
pub(crate) fn write_fields(fields: &[(&str, &dyn Display)]) -> String {
    fields
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_and_unknown_keys_are_skipped() {
        let text = write_fields(&[("min", &1), ("max", &10), ("in", &false)]);
        assert_eq!(text, "min=1 max=10 in=false");
        let later = format!("{text} later=added");
        let fields = Fields::parse(&later).unwrap();
        assert_eq!(fields.require::<i32>("max"), Ok(10));
        assert_eq!(fields.optional::<bool>("in", "none"), Ok(Some(false)));
        assert_eq!(fields.optional::<i32>("out", "none"), Ok(None));
    }

    #[test]
    fn a_broken_value_says_which_part_or_field() {
        assert_eq!(
            Fields::parse("min=1 max").unwrap_err(),
            "`max` is not KEY=VALUE"
        );
        let fields = Fields::parse("min=lots expires=never").unwrap();
        assert!(fields
            .require::<i32>("min")
            .unwrap_err()
            .starts_with("`min`: "));
        assert_eq!(fields.require::<i32>("max").unwrap_err(), "no `max=`");
        assert_eq!(fields.optional::<i32>("expires", "never"), Ok(None));
    }
}
