//! `ecs-migrate history`: past migrations of a task definition family, from the outcomes
//! recorded on its revisions (see `outcome_record.rs`). Nothing but ECS is read.

use crate::outcome_record;
use crate::{Error, Outcome};
use aws_sdk_ecs::types::SortOrder;
use aws_sdk_ecs::Client;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub revision: u32,
    pub task_definition: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The recorded outcomes of the newest `limit` revisions of `family`, newest first.
pub async fn history(ecs: &Client, family: &str, limit: usize) -> Result<Vec<Entry>, Error> {
    let family = family.rsplit('/').next().unwrap_or(family);
    let family = family.split(':').next().unwrap_or(family);
    let mut arns = Vec::new();
    let mut pages = ecs
        .list_task_definitions()
        .family_prefix(family)
        .sort(SortOrder::Desc)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| Error::aws("ListTaskDefinitions", None, None, err))?;
        arns.extend(page.task_definition_arns().iter().cloned());
        if arns.len() >= limit {
            break;
        }
    }
    let mut entries = Vec::new();
    for arn in arns.into_iter().take(limit) {
        // The prefix also matches longer families (`app` matches `app-worker`).
        let (name, revision) = arn
            .rsplit('/')
            .next()
            .and_then(|s| s.split_once(':'))
            .unwrap_or(("", ""));
        if name != family {
            continue;
        }
        let revision = revision.parse().unwrap_or(0);
        for outcome in outcome_record::read(ecs, &arn).await? {
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
