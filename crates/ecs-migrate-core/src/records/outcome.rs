//! [`Outcome`]: how a migration ended, as it is recorded (`records/outcome_record.rs` says where).

use super::tags::{write_fields, Fields, OUTCOME_PREFIX};
use crate::{MigrationId, Plan, Report, RunId, Status, Timestamp};
use aws_sdk_ecs::types::Tag;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub migration: MigrationId,
    /// `succeeded`, `failed`, `timed_out` or `interrupted`.
    pub status: Status,
    /// When it ended.
    pub at: Timestamp,
    /// The task's id (the last part of its ARN).
    pub task: Option<String>,
    pub exit_code: Option<i32>,
    pub run_id: RunId,
    pub container: String,
    /// Recorded as succeeded without running: it had already run by other means (adopted).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopted: bool,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status == Status::Succeeded
    }

    /// A one-line summary, which also seeds the next attempt's RunTask token (the same text
    /// earlier versions kept as the tag value, so a moved record keeps its token).
    pub fn value(&self) -> String {
        let exit = self.exit_code.map(|c| c.to_string());
        write_fields(&[
            ("status", &self.status),
            ("at", &self.at),
            ("task", &self.task.as_deref().unwrap_or("none")),
            ("exit", &exit.as_deref().unwrap_or("none")),
            ("run", &self.run_id),
            ("container", &self.container),
        ])
    }

    #[cfg(test)]
    pub(crate) fn to_tag(&self) -> Tag {
        Tag::builder()
            .key(format!("{OUTCOME_PREFIX}{}", self.migration))
            .value(self.value())
            .build()
    }

    /// An outcome tag of an earlier version; `None` unless it is a readable outcome.
    pub(crate) fn from_tag(tag: &Tag) -> Option<Outcome> {
        let migration = tag.key()?.strip_prefix(OUTCOME_PREFIX)?.parse().ok()?;
        let fields = Fields::parse(tag.value()?).ok()?;
        Some(Outcome {
            migration,
            status: fields.require("status").ok()?,
            at: fields.require("at").ok()?,
            task: fields.optional("task", "none").ok()?,
            exit_code: fields.optional("exit", "none").ok()?,
            run_id: fields.require("run").ok()?,
            container: fields.require("container").ok()?,
            adopted: false,
        })
    }
}

impl Outcome {
    /// The outcome of a run that ran the migration (or tried to), as its report says.
    pub(crate) fn of_report(plan: &Plan, report: &Report) -> Outcome {
        Outcome {
            migration: plan.migration.clone(),
            status: report.status,
            at: Timestamp::now(),
            task: report
                .task_arn
                .as_deref()
                .map(|arn| crate::aws::arn::resource_name(arn).to_owned()),
            exit_code: report.exit_code,
            run_id: plan.run_id.clone(),
            container: plan.container.clone(),
            adopted: false,
        }
    }

    /// The record of a migration adopted as already run: no task, no exit code.
    pub(crate) fn adopted(plan: &Plan) -> Outcome {
        Outcome {
            migration: plan.migration.clone(),
            status: Status::Succeeded,
            at: Timestamp::now(),
            task: None,
            exit_code: None,
            run_id: plan.run_id.clone(),
            container: plan.container.clone(),
            adopted: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_round_trips_through_its_tag() {
        let outcome = Outcome {
            migration: "0123456789abcdef".parse().unwrap(),
            status: Status::Failed,
            at: "2026-11-21T10:00:00Z".parse().unwrap(),
            task: Some("4f1c2d".into()),
            exit_code: Some(-1),
            run_id: "r-00aa".into(),
            container: "app_1".into(),
            adopted: false,
        };
        let tag = outcome.to_tag();
        assert_eq!(tag.key(), Some("ecs-migrate:outcome:0123456789abcdef"));
        assert_eq!(Outcome::from_tag(&tag), Some(outcome.clone()));
        let value = tag.value().unwrap();
        assert_eq!(
            crate::records::tag_limits::problem(tag.key().unwrap(), value),
            None
        );
        let none = Outcome {
            task: None,
            exit_code: None,
            ..outcome
        };
        assert_eq!(Outcome::from_tag(&none.to_tag()), Some(none));
    }
}
