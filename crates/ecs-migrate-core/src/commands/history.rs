//! `ecs-migrate history`: past migrations of a task definition family, from the outcomes
//! recorded in Parameter Store, and those an earlier version left as tags on its revisions
//! (see `records/outcome_record.rs`). Nothing is written.

use crate::aws::call;
use crate::records::outcome_record;
use crate::{Clients, Error, Outcome};
use aws_sdk_ecs::types::{SortOrder, TaskDefinitionStatus};
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
pub async fn history(clients: &Clients, family: &str, limit: usize) -> Result<Vec<Entry>, Error> {
    let ecs = &clients.ecs;
    let family = crate::aws::arn::family(family);
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
                let Some((name, revision)) = crate::aws::arn::family_and_revision(arn) else {
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
    let recorded = outcome_record::read_family(clients, family).await?;
    let mut entries = Vec::new();
    for (revision, arn) in revisions {
        let mut found: Vec<Outcome> = recorded
            .iter()
            .filter(|(r, _)| *r == revision)
            .map(|(_, outcome)| outcome.clone())
            .collect();
        let tags = call::list_tags(ecs, &arn, || format!("task definition `{arn}`"), &()).await?;
        for outcome in tags.iter().filter_map(Outcome::from_tag) {
            if !found.iter().any(|o| o.migration == outcome.migration) {
                found.push(outcome);
            }
        }
        entries.extend(found.into_iter().map(|outcome| Entry {
            revision,
            task_definition: arn.clone(),
            outcome,
        }));
    }
    entries.sort_by(|a, b| {
        b.revision
            .cmp(&a.revision)
            .then(b.outcome.at.cmp(&a.outcome.at))
    });
    Ok(entries)
}
