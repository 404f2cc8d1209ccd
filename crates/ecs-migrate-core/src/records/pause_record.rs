//! [`PauseRecord`]: what a service looked like before ecs-migrate paused it, written as tags on the
//! service itself *before* anything is changed. It is how every exit path — including a process
//! killed mid-run — restores the service to its real previous state: the next run (or
//! `ecs-migrate restore`) reads it back.
//!
//! Tags (values use only characters ECS allows in tags):
//! - `ecs-migrate:run` — the id of the run that paused it;
//! - `ecs-migrate:paused-at` — when (RFC 3339);
//! - `ecs-migrate:desired-count` — the desired count before the pause;
//! - `ecs-migrate:autoscaling` — `none`, or `min=1 max=10 in=false out=false scheduled=false`:
//!   the scalable target's bounds and suspended state before the pause;
//! - `ecs-migrate:migration` — the [`crate::MigrationId`] the run was migrating;
//! - `ecs-migrate:expires` — the latest the run could still be going (its timeout plus a margin,
//!   or `never` with `--timeout 0`), for people reading the tags; whether the run is alive is
//!   decided by its lock's lease and its task (see `lock/`), not by this.

use aws_sdk_ecs::types::Tag;
use serde::Serialize;

pub const TAG_RUN: &str = "ecs-migrate:run";
pub const TAG_PAUSED_AT: &str = "ecs-migrate:paused-at";
pub const TAG_DESIRED_COUNT: &str = "ecs-migrate:desired-count";
pub const TAG_AUTOSCALING: &str = "ecs-migrate:autoscaling";
pub const TAG_MIGRATION: &str = "ecs-migrate:migration";
pub const TAG_EXPIRES: &str = "ecs-migrate:expires";
pub const TAG_KEYS: [&str; 6] = [
    TAG_RUN,
    TAG_PAUSED_AT,
    TAG_DESIRED_COUNT,
    TAG_AUTOSCALING,
    TAG_MIGRATION,
    TAG_EXPIRES,
];

/// An Application Auto Scaling target's state, as recorded before the pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AutoScalingState {
    pub min_capacity: i32,
    pub max_capacity: i32,
    pub dynamic_scaling_in_suspended: bool,
    pub dynamic_scaling_out_suspended: bool,
    pub scheduled_scaling_suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PauseRecord {
    pub run_id: String,
    pub paused_at: String,
    pub desired_count: i32,
    pub autoscaling: Option<AutoScalingState>,
    pub migration: String,
    /// RFC 3339, or `None` for never.
    pub expires: Option<String>,
}

impl AutoScalingState {
    fn to_tag_value(self) -> String {
        format!(
            "min={} max={} in={} out={} scheduled={}",
            self.min_capacity,
            self.max_capacity,
            self.dynamic_scaling_in_suspended,
            self.dynamic_scaling_out_suspended,
            self.scheduled_scaling_suspended
        )
    }

    fn from_tag_value(value: &str) -> Option<AutoScalingState> {
        let mut state = AutoScalingState {
            min_capacity: -1,
            max_capacity: -1,
            dynamic_scaling_in_suspended: false,
            dynamic_scaling_out_suspended: false,
            scheduled_scaling_suspended: false,
        };
        for part in value.split_whitespace() {
            let (key, val) = part.split_once('=')?;
            match key {
                "min" => state.min_capacity = val.parse().ok()?,
                "max" => state.max_capacity = val.parse().ok()?,
                "in" => state.dynamic_scaling_in_suspended = val.parse().ok()?,
                "out" => state.dynamic_scaling_out_suspended = val.parse().ok()?,
                "scheduled" => state.scheduled_scaling_suspended = val.parse().ok()?,
                _ => return None,
            }
        }
        (state.min_capacity >= 0 && state.max_capacity >= 0).then_some(state)
    }
}

impl PauseRecord {
    pub fn to_tags(&self) -> Vec<Tag> {
        let tag = |key: &str, value: String| Tag::builder().key(key).value(value).build();
        vec![
            tag(TAG_RUN, self.run_id.clone()),
            tag(TAG_PAUSED_AT, self.paused_at.clone()),
            tag(TAG_DESIRED_COUNT, self.desired_count.to_string()),
            tag(
                TAG_AUTOSCALING,
                self.autoscaling
                    .map(AutoScalingState::to_tag_value)
                    .unwrap_or_else(|| "none".into()),
            ),
            tag(TAG_MIGRATION, self.migration.clone()),
            tag(
                TAG_EXPIRES,
                self.expires.clone().unwrap_or_else(|| "never".into()),
            ),
        ]
    }

    /// Reads a record back from a service's tags: `None` when there is none, `Err` (with what is
    /// wrong) when the tags are there but unreadable.
    pub fn from_tags(tags: &[Tag]) -> Option<Result<PauseRecord, String>> {
        let get = |key: &str| {
            tags.iter()
                .find(|t| t.key() == Some(key))
                .and_then(|t| t.value())
        };
        let desired = get(TAG_DESIRED_COUNT)?;
        let parse = || -> Result<PauseRecord, String> {
            let desired_count = desired
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| format!("tag {TAG_DESIRED_COUNT}=`{desired}` is not a count"))?;
            let autoscaling = match get(TAG_AUTOSCALING) {
                None | Some("none") => None,
                Some(value) => {
                    Some(AutoScalingState::from_tag_value(value).ok_or_else(|| {
                        format!("tag {TAG_AUTOSCALING}=`{value}` is not readable")
                    })?)
                }
            };
            Ok(PauseRecord {
                run_id: get(TAG_RUN).unwrap_or("unknown").to_owned(),
                paused_at: get(TAG_PAUSED_AT).unwrap_or("unknown").to_owned(),
                desired_count,
                autoscaling,
                migration: get(TAG_MIGRATION).unwrap_or("unknown").to_owned(),
                expires: get(TAG_EXPIRES)
                    .filter(|v| *v != "never")
                    .map(str::to_owned),
            })
        };
        Some(parse())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_through_tags() {
        let record = PauseRecord {
            run_id: "r-1a2b3c".into(),
            paused_at: "2026-11-21T10:00:00Z".into(),
            desired_count: 3,
            migration: "0123456789abcdef".into(),
            expires: Some("2026-11-21T11:10:00Z".into()),
            autoscaling: Some(AutoScalingState {
                min_capacity: 2,
                max_capacity: 10,
                dynamic_scaling_in_suspended: false,
                dynamic_scaling_out_suspended: true,
                scheduled_scaling_suspended: false,
            }),
        };
        assert_eq!(
            PauseRecord::from_tags(&record.to_tags()),
            Some(Ok(record.clone()))
        );
        let plain = PauseRecord {
            autoscaling: None,
            ..record
        };
        assert_eq!(PauseRecord::from_tags(&plain.to_tags()), Some(Ok(plain)));
    }

    #[test]
    fn tag_values_use_only_characters_ecs_allows() {
        let record = PauseRecord {
            run_id: "r-1".into(),
            paused_at: "2026-11-21T10:00:00Z".into(),
            desired_count: 1,
            migration: "0123456789abcdef".into(),
            expires: None,
            autoscaling: Some(AutoScalingState {
                min_capacity: 1,
                max_capacity: 4,
                dynamic_scaling_in_suspended: true,
                dynamic_scaling_out_suspended: true,
                scheduled_scaling_suspended: true,
            }),
        };
        for tag in record.to_tags() {
            let (key, value) = (tag.key().unwrap(), tag.value().unwrap());
            assert_eq!(crate::records::tag_limits::problem(key, value), None);
        }
    }

    #[test]
    fn no_record_and_broken_records_are_told_apart() {
        assert_eq!(PauseRecord::from_tags(&[]), None);
        let broken = [Tag::builder().key(TAG_DESIRED_COUNT).value("lots").build()];
        let err = PauseRecord::from_tags(&broken).unwrap().unwrap_err();
        assert!(err.contains("`lots`"), "{err}");
    }
}
