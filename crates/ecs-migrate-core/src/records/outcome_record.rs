//! Where the outcomes ([`Outcome`], `outcome.rs`) are kept: the "run once" memory.
//!
//! Kept where no user's Terraform manages it: one SSM Parameter Store parameter per migration,
//! `/ecs-migrate/<family>/<revision>/<migration id>` (a String parameter, Standard tier), whose
//! value is the outcome as JSON (`{"migration": …, "status": "succeeded", "at": …, "task": …}`).
//! A later outcome of the same migration overwrites it. `ecs-migrate history` reads a family's
//! parameters back by path.
//!
//! Earlier versions kept outcomes as tags on the task definition revision
//! (`ecs-migrate:outcome:<migration id>` = `status=succeeded at=… task=… exit=0 run=r-… container=app`),
//! where Terraform saw them as drift. They are still read, and the first run that reads them
//! ([`move_from_tags`]) writes them to Parameter Store and removes the tags.

use super::outcome::Outcome;
use super::tags::OUTCOME_PREFIX;
use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::{Clients, Error, MigrationId, Plan, Report, Status, TaskDefinitionRef};
use aws_sdk_ecs::types::Tag;
use aws_sdk_ssm::types::{ParameterTier, ParameterType};

/// Where the outcome parameters live; one level below it per task definition family.
pub const PARAMETER_ROOT: &str = "/ecs-migrate";

/// The parameter that holds the outcome of `migration` of the revision `task_definition_arn`.
pub fn parameter_name(task_definition_arn: &str, migration: &str) -> String {
    format!("{}/{migration}", revision_path(task_definition_arn))
}

/// `/ecs-migrate/<family>/<revision>`.
fn revision_path(task_definition_arn: &str) -> String {
    let (family, revision) = match task_definition_arn.parse::<TaskDefinitionRef>() {
        Ok(reference) => (
            reference.family().to_owned(),
            reference.revision().unwrap_or(0),
        ),
        Err(_) => (task_definition_arn.to_owned(), 0),
    };
    format!("{}/{revision}", family_path(&family))
}

/// `/ecs-migrate/<family>`: every outcome of the family is below it.
pub fn family_path(family: &str) -> String {
    format!("{PARAMETER_ROOT}/{family}")
}

/// What a plan knows of a migration's records before it runs: the outcome recorded for it, and
/// the outcome tags of earlier versions still on its revision.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub outcome: Option<Outcome>,
    /// Every outcome tag of an earlier version on the revision (of any migration of it).
    pub tags: Vec<Outcome>,
}

/// Reads what is recorded of `migration` (read-only: resolution, dry runs). `revision_tags` are
/// the revision's tags, read once by the caller.
pub(crate) async fn read(
    clients: &Clients,
    task_definition_arn: &str,
    migration: &MigrationId,
    revision_tags: &[Tag],
    progress: &dyn Progress,
) -> Result<Recorded, Error> {
    let tags: Vec<Outcome> = revision_tags.iter().filter_map(Outcome::from_tag).collect();
    let outcome = match read_one(clients, task_definition_arn, migration, progress).await? {
        Some(outcome) => Some(outcome),
        None => tags.iter().find(|o| o.migration == *migration).cloned(),
    };
    Ok(Recorded { outcome, tags })
}

/// The outcome of `migration` in Parameter Store, if any.
pub(crate) async fn read_one(
    clients: &Clients,
    task_definition_arn: &str,
    migration: &MigrationId,
    progress: &dyn Progress,
) -> Result<Option<Outcome>, Error> {
    let name = parameter_name(task_definition_arn, migration.as_str());
    let call = clients.ssm.get_parameter().name(&name);
    let found = call::send(
        progress,
        "GetParameter",
        || format!("parameter `{name}`"),
        || {
            let call = call.clone();
            async move {
                match call.send().await {
                    Ok(out) => Ok(out.parameter().and_then(|p| p.value()).map(str::to_owned)),
                    Err(err)
                        if err
                            .as_service_error()
                            .is_some_and(|e| e.is_parameter_not_found()) =>
                    {
                        Ok(None)
                    }
                    Err(err) => Err(err),
                }
            }
        },
    )
    .await?;
    Ok(found.and_then(|value| parse(&name, &value, progress)))
}

/// An outcome parameter's value; one that is not an outcome is said and ignored (it does not
/// stop a migration from running).
fn parse(name: &str, value: &str, progress: &dyn Progress) -> Option<Outcome> {
    match serde_json::from_str(value) {
        Ok(outcome) => Some(outcome),
        Err(err) => {
            progress.event(Event::Warning(format!(
                "parameter {name} does not hold an ecs-migrate outcome ({err}); ignoring it"
            )));
            None
        }
    }
}

/// Every outcome of `family` in Parameter Store, as (revision, outcome).
pub(crate) async fn read_family(
    clients: &Clients,
    family: &str,
) -> Result<Vec<(u32, Outcome)>, Error> {
    let path = family_path(family);
    let mut pages = clients
        .ssm
        .get_parameters_by_path()
        .path(&path)
        .recursive(true)
        .into_paginator()
        .send();
    let mut found = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| {
            Error::aws("GetParametersByPath", Some(format!("path `{path}`")), err)
        })?;
        for parameter in page.parameters() {
            let (Some(name), Some(value)) = (parameter.name(), parameter.value()) else {
                continue;
            };
            let Some(revision) = name
                .strip_prefix(&path)
                .and_then(|rest| rest.trim_start_matches('/').split('/').next())
                .and_then(|revision| revision.parse().ok())
            else {
                continue;
            };
            if let Some(outcome) = parse(name, value, &()) {
                found.push((revision, outcome));
            }
        }
    }
    Ok(found)
}

/// Records `outcome` of its revision's migration (overwriting an earlier outcome of it).
pub(crate) async fn write(
    clients: &Clients,
    task_definition_arn: &str,
    outcome: &Outcome,
    progress: &dyn Progress,
) -> Result<(), Error> {
    put(clients, task_definition_arn, outcome, true, progress).await?;
    Ok(())
}

/// PutParameter; without `overwrite`, an existing parameter is left as it is (`false`).
async fn put(
    clients: &Clients,
    task_definition_arn: &str,
    outcome: &Outcome,
    overwrite: bool,
    progress: &dyn Progress,
) -> Result<bool, Error> {
    let name = parameter_name(task_definition_arn, outcome.migration.as_str());
    let value = serde_json::to_string(outcome).expect("an outcome serializes");
    let call = clients
        .ssm
        .put_parameter()
        .name(&name)
        .value(value)
        .r#type(ParameterType::String)
        .tier(ParameterTier::Standard)
        .overwrite(overwrite)
        .description(format!(
            "ecs-migrate: how migration {} of {task_definition_arn} ended",
            outcome.migration
        ));
    call::send(
        progress,
        "PutParameter",
        || format!("parameter `{name}`"),
        || {
            let call = call.clone();
            async move {
                match call.send().await {
                    Ok(_) => Ok(true),
                    Err(err)
                        if !overwrite
                            && err
                                .as_service_error()
                                .is_some_and(|e| e.is_parameter_already_exists()) =>
                    {
                        Ok(false)
                    }
                    Err(err) => Err(err),
                }
            }
        },
    )
    .await
}

/// Moves the outcome tags of earlier versions from the revision to Parameter Store: each is
/// written unless a parameter of that migration exists (it is newer), then the tags are removed.
pub(crate) async fn move_from_tags(
    clients: &Clients,
    task_definition_arn: &str,
    tags: &[Outcome],
    progress: &dyn Progress,
) -> Result<(), Error> {
    if tags.is_empty() {
        return Ok(());
    }
    for outcome in tags {
        put(clients, task_definition_arn, outcome, false, progress).await?;
    }
    let keys: Vec<String> = tags
        .iter()
        .map(|o| format!("{OUTCOME_PREFIX}{}", o.migration))
        .collect();
    let call = clients
        .ecs
        .untag_resource()
        .resource_arn(task_definition_arn)
        .set_tag_keys(Some(keys));
    call::send(
        progress,
        "UntagResource",
        || format!("task definition `{task_definition_arn}`"),
        || call.clone().send(),
    )
    .await?;
    progress.event(Event::RecordsMoved {
        task_definition: task_definition_arn,
        count: tags.len(),
        to: &revision_path(task_definition_arn),
    });
    Ok(())
}

/// Records how a migration that ran (or tried to) ended. A failure to record is a warning: the
/// verdict stands.
pub(crate) async fn record_verdict(
    clients: &Clients,
    plan: &Plan,
    report: &Report,
    progress: &dyn Progress,
) {
    if report.status == Status::Skipped || (report.task_arn.is_none() && report.failures.is_empty())
    {
        return;
    }
    let outcome = Outcome::of_report(plan, report);
    if let Err(err) = write(clients, &plan.task_definition, &outcome, progress).await {
        progress.event(Event::Warning(format!(
            "could not record the outcome in Parameter Store (run-once needs ssm:PutParameter on {}): {err}",
            parameter_name(&plan.task_definition, plan.migration.as_str())
        )));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_parameter_is_named_by_family_revision_and_migration() {
        assert_eq!(
            parameter_name(
                "arn:aws:ecs:eu-west-1:123456789012:task-definition/omni-acme_migrator:17",
                "0123456789abcdef"
            ),
            "/ecs-migrate/omni-acme_migrator/17/0123456789abcdef"
        );
        assert_eq!(family_path("app"), "/ecs-migrate/app");
    }

    #[test]
    fn an_outcome_round_trips_through_its_parameter_value_and_adopted_is_optional() {
        let outcome = Outcome {
            migration: "0123456789abcdef".parse().unwrap(),
            status: Status::Succeeded,
            at: "2026-11-21T10:00:00Z".parse().unwrap(),
            task: None,
            exit_code: None,
            run_id: "r-00aa".into(),
            container: "app".into(),
            adopted: true,
        };
        let value = serde_json::to_string(&outcome).unwrap();
        assert_eq!(parse("p", &value, &()), Some(outcome.clone()));
        let ran = Outcome {
            adopted: false,
            ..outcome
        };
        let value = serde_json::to_string(&ran).unwrap();
        assert!(!value.contains("adopted"), "{value}");
        assert_eq!(parse("p", &value, &()), Some(ran));
        assert_eq!(
            parse("p", "status=succeeded", &()),
            None,
            "not JSON: ignored"
        );
    }
}
