//! `ecs-migrate history`: past migrations of a task definition family, from the outcomes
//! recorded on its revisions (see `outcome_record.rs`). Nothing but ECS is read.

use crate::outcome_record;
use crate::{Error, Outcome};
use aws_sdk_ecs::types::{SortOrder, TaskDefinitionStatus};
use aws_sdk_ecs::Client;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub revision: u32,
    pub task_definition: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The recorded outcomes of the newest `limit` revisions of `family`, newest first, whether
/// the revision is still registered (ACTIVE) or was deregistered since (INACTIVE: its tags, and
/// so its outcomes, stay).
pub async fn history(ecs: &Client, family: &str, limit: usize) -> Result<Vec<Entry>, Error> {
    let family = family.rsplit('/').next().unwrap_or(family);
    let family = family.split(':').next().unwrap_or(family);
    let mut revisions: Vec<(u32, String)> = Vec::new();
    for status in [TaskDefinitionStatus::Active, TaskDefinitionStatus::Inactive] {
        let mut found = 0;
        let mut pages = ecs
            .list_task_definitions()
            .family_prefix(family)
            .status(status)
            .sort(SortOrder::Desc)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|err| {
                Error::aws(
                    "ListTaskDefinitions",
                    Some(format!("family `{family}`")),
                    err,
                )
            })?;
            for arn in page.task_definition_arns() {
                // The prefix also matches longer families (`app` matches `app-worker`).
                let Some((name, revision)) = arn.rsplit('/').next().and_then(|s| s.split_once(':'))
                else {
                    continue;
                };
                if name == family && !revisions.iter().any(|(_, a)| a == arn) {
                    revisions.push((revision.parse().unwrap_or(0), arn.clone()));
                    found += 1;
                }
            }
            if found >= limit {
                break;
            }
        }
    }
    revisions.sort_by_key(|r| std::cmp::Reverse(r.0));
    revisions.truncate(limit);
    let mut entries = Vec::new();
    for (revision, arn) in revisions {
        for outcome in outcome_record::read(ecs, &arn, &()).await? {
            entries.push(Entry {
                revision,
                task_definition: arn.clone(),
                outcome,
            });
        }
    }
    entries.sort_by(|a, b| {
        b.revision
            .cmp(&a.revision)
            .then(b.outcome.at.cmp(&a.outcome.at))
    });
    Ok(entries)
}
