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

use super::tags::{self, Fields, AUTOSCALING, DESIRED_COUNT, EXPIRES, MIGRATION, PAUSED_AT, RUN};
use crate::{MigrationId, RunId, Timestamp};
use aws_sdk_ecs::types::Tag;
use serde::Serialize;

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
    pub run_id: RunId,
    pub paused_at: Timestamp,
    pub desired_count: i32,
    pub autoscaling: Option<AutoScalingState>,
    pub migration: MigrationId,
    /// `None` for never.
    pub expires: Option<Timestamp>,
}

impl AutoScalingState {
    fn to_tag_value(self) -> String {
        tags::write_fields(&[
            ("min", &self.min_capacity),
            ("max", &self.max_capacity),
            ("in", &self.dynamic_scaling_in_suspended),
            ("out", &self.dynamic_scaling_out_suspended),
            ("scheduled", &self.scheduled_scaling_suspended),
        ])
    }

    fn from_tag_value(value: &str) -> Result<AutoScalingState, String> {
        let fields = Fields::parse(value)?;
        let flag = |key| fields.optional(key, "none").map(Option::unwrap_or_default);
        let state = AutoScalingState {
            min_capacity: fields.require("min")?,
            max_capacity: fields.require("max")?,
            dynamic_scaling_in_suspended: flag("in")?,
            dynamic_scaling_out_suspended: flag("out")?,
            scheduled_scaling_suspended: flag("scheduled")?,
        };
        if state.min_capacity < 0 || state.max_capacity < 0 {
            return Err("a negative capacity".into());
        }
        Ok(state)
    }
}

impl PauseRecord {
    pub fn to_tags(&self) -> Vec<Tag> {
        let tag = |key: &str, value: String| Tag::builder().key(key).value(value).build();
        vec![
            tag(RUN, self.run_id.to_string()),
            tag(PAUSED_AT, self.paused_at.to_string()),
            tag(DESIRED_COUNT, self.desired_count.to_string()),
            tag(
                AUTOSCALING,
                self.autoscaling
                    .map(AutoScalingState::to_tag_value)
                    .unwrap_or_else(|| "none".into()),
            ),
            tag(MIGRATION, self.migration.to_string()),
            tag(
                EXPIRES,
                self.expires
                    .map(|at| at.to_string())
                    .unwrap_or_else(|| "never".into()),
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
        get(DESIRED_COUNT)?;
        let field = |key: &str| get(key).ok_or_else(|| format!("tag {key} is missing"));
        let broken = |key: &str, value: &str, why: String| format!("tag {key}=`{value}` {why}");
        let parse = || -> Result<PauseRecord, String> {
            let desired = field(DESIRED_COUNT)?;
            let desired_count = desired
                .parse::<i32>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| broken(DESIRED_COUNT, desired, "is not a count".into()))?;
            let autoscaling = match get(AUTOSCALING) {
                None | Some("none") => None,
                Some(value) => Some(AutoScalingState::from_tag_value(value).map_err(|why| {
                    broken(AUTOSCALING, value, format!("is not readable ({why})"))
                })?),
            };
            let typed = |key: &str| -> Result<String, String> { field(key).map(str::to_owned) };
            let (run, at, migration) = (typed(RUN)?, typed(PAUSED_AT)?, typed(MIGRATION)?);
            Ok(PauseRecord {
                run_id: run
                    .parse()
                    .map_err(|e| broken(RUN, &run, format!("({e})")))?,
                paused_at: at
                    .parse()
                    .map_err(|e| broken(PAUSED_AT, &at, format!("({e})")))?,
                desired_count,
                autoscaling,
                migration: migration
                    .parse()
                    .map_err(|e| broken(MIGRATION, &migration, format!("({e})")))?,
                expires: match get(EXPIRES) {
                    None | Some("never") => None,
                    Some(value) => Some(
                        value
                            .parse()
                            .map_err(|e| broken(EXPIRES, value, format!("({e})")))?,
                    ),
                },
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
            paused_at: "2026-11-21T10:00:00Z".parse().unwrap(),
            desired_count: 3,
            migration: "0123456789abcdef".parse().unwrap(),
            expires: Some("2026-11-21T11:10:00Z".parse().unwrap()),
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
            paused_at: "2026-11-21T10:00:00Z".parse().unwrap(),
            desired_count: 1,
            migration: "0123456789abcdef".parse().unwrap(),
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
        let broken = [Tag::builder().key(DESIRED_COUNT).value("lots").build()];
        let err = PauseRecord::from_tags(&broken).unwrap().unwrap_err();
        assert!(err.contains("`lots`"), "{err}");
    }
}
