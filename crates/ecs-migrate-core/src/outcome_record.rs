//! [`Outcome`]: how a migration ended, recorded as a tag on its task definition revision — the
//! "run once per revision" memory, with no infrastructure beyond ECS itself.
//!
//! Tag key `ecs-migrate:outcome:<migration id>`, value
//! `status=succeeded at=2026-11-21T10:00:00Z task=<task id> exit=0 run=r-… container=app`.
//! One tag per migration (revision × container × command); a later outcome replaces it.
//! `ecs-migrate history` reads them back across a family's revisions.

use crate::progress::{Event, Progress};
use crate::{aws_call, tag_limits, Error, MigrationId};
use aws_sdk_ecs::types::Tag;
use aws_sdk_ecs::Client;
use serde::Serialize;

pub const OUTCOME_PREFIX: &str = "ecs-migrate:outcome:";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub migration: String,
    /// `succeeded`, `failed`, `timed_out` or `interrupted`.
    pub status: String,
    /// When it ended (RFC 3339).
    pub at: String,
    /// The task's id (the last part of its ARN).
    pub task: Option<String>,
    pub exit_code: Option<i32>,
    pub run_id: String,
    pub container: String,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.status == "succeeded"
    }

    /// The tag value, which also seeds the next attempt's RunTask token.
    pub fn value(&self) -> String {
        format!(
            "status={} at={} task={} exit={} run={} container={}",
            self.status,
            self.at,
            self.task.as_deref().unwrap_or("none"),
            self.exit_code
                .map(|c| c.to_string())
                .unwrap_or_else(|| "none".into()),
            self.run_id,
            self.container
        )
    }

    pub(crate) fn to_tag(&self) -> Tag {
        Tag::builder()
            .key(format!("{OUTCOME_PREFIX}{}", self.migration))
            .value(self.value())
            .build()
    }

    pub(crate) fn from_tag(tag: &Tag) -> Option<Outcome> {
        let migration = tag.key()?.strip_prefix(OUTCOME_PREFIX)?.to_owned();
        let mut outcome = Outcome {
            migration,
            status: String::new(),
            at: String::new(),
            task: None,
            exit_code: None,
            run_id: String::new(),
            container: String::new(),
        };
        for part in tag.value()?.split_whitespace() {
            let (key, value) = part.split_once('=')?;
            let value = value.to_owned();
            match key {
                "status" => outcome.status = value,
                "at" => outcome.at = value,
                "task" => outcome.task = (value != "none").then_some(value),
                "exit" => outcome.exit_code = value.parse().ok(),
                "run" => outcome.run_id = value,
                "container" => outcome.container = value,
                _ => {}
            }
        }
        (!outcome.status.is_empty()).then_some(outcome)
    }
}

/// Every tag on a task definition revision.
pub(crate) async fn tags(
    ecs: &Client,
    task_definition_arn: &str,
    progress: &dyn Progress,
) -> Result<Vec<Tag>, Error> {
    aws_call::list_tags(
        ecs,
        task_definition_arn,
        || format!("task definition `{task_definition_arn}`"),
        progress,
    )
    .await
}

/// Every outcome recorded on a task definition revision.
pub(crate) async fn read(
    ecs: &Client,
    task_definition_arn: &str,
    progress: &dyn Progress,
) -> Result<Vec<Outcome>, Error> {
    let tags = tags(ecs, task_definition_arn, progress).await?;
    Ok(tags.iter().filter_map(Outcome::from_tag).collect())
}

/// The recorded outcome of `migration`, if any.
pub(crate) async fn read_one(
    ecs: &Client,
    task_definition_arn: &str,
    migration: &MigrationId,
    progress: &dyn Progress,
) -> Result<Option<Outcome>, Error> {
    Ok(read(ecs, task_definition_arn, progress)
        .await?
        .into_iter()
        .find(|o| o.migration == migration.as_str()))
}

/// Records `outcome` on its revision. Within ECS's 50 tags a resource: when the revision is
/// full, the oldest outcome records of *other* migrations of it are removed first (and said so);
/// its own users' tags are never touched (resolution refused a revision they fill).
pub(crate) async fn write(
    ecs: &Client,
    task_definition_arn: &str,
    outcome: &Outcome,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let tag = outcome.to_tag();
    let present = tags(ecs, task_definition_arn, progress).await?;
    let mut older: Vec<Outcome> = present
        .iter()
        .filter_map(Outcome::from_tag)
        .filter(|o| o.migration != outcome.migration)
        .collect();
    older.sort_by(|a, b| a.at.cmp(&b.at));
    let excess = tag_limits::excess(&present, std::slice::from_ref(&tag));
    let prune: Vec<String> = older
        .iter()
        .take(excess)
        .map(|o| format!("{OUTCOME_PREFIX}{}", o.migration))
        .collect();
    if !prune.is_empty() {
        let call = ecs
            .untag_resource()
            .resource_arn(task_definition_arn)
            .set_tag_keys(Some(prune.clone()));
        aws_call::send(
            progress,
            "UntagResource",
            || format!("task definition `{task_definition_arn}`"),
            || call.clone().send(),
        )
        .await?;
        progress.event(Event::Warning(format!(
            "task definition {task_definition_arn} had {} tags (ECS allows {}): removed the {} oldest outcome record(s) of other migrations of it to record this one",
            present.len(),
            tag_limits::MAX_TAGS,
            prune.len()
        )));
    }
    let call = ecs
        .tag_resource()
        .resource_arn(task_definition_arn)
        .tags(tag);
    aws_call::send(
        progress,
        "TagResource",
        || format!("task definition `{task_definition_arn}`"),
        || call.clone().send(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_round_trips_through_its_tag() {
        let outcome = Outcome {
            migration: "0123456789abcdef".into(),
            status: "failed".into(),
            at: "2026-11-21T10:00:00Z".into(),
            task: Some("4f1c2d".into()),
            exit_code: Some(-1),
            run_id: "r-00aa".into(),
            container: "app_1".into(),
        };
        let tag = outcome.to_tag();
        assert_eq!(tag.key(), Some("ecs-migrate:outcome:0123456789abcdef"));
        assert_eq!(Outcome::from_tag(&tag), Some(outcome.clone()));
        let value = tag.value().unwrap();
        assert!(value.len() <= 256);
        assert!(
            value
                .chars()
                .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c)),
            "{value}"
        );
        let none = Outcome {
            task: None,
            exit_code: None,
            ..outcome
        };
        assert_eq!(Outcome::from_tag(&none.to_tag()), Some(none));
    }
}
