//! A migration's live tasks, whoever started them, found by their `startedBy`
//! (`ecs-migrate/<migration id>`): what a run re-attaches to, and what the restore waits out.
//!
//! The restore guard is an invariant (ARCHITECTURE.md): a run never puts its services back while
//! a task of the migration it paused them for is not over — not its own task (which it saw
//! end), nor one another run of the same migration started (two pipelines at once), nor one
//! that is still stopping (StopTask sent, its container not yet exited). "Over" is the
//! deciding container's exit (`watch/decide_at.rs`): a task that Fargate is still tearing down runs
//! nothing of the migration.

use crate::aws::call;
use crate::progress::{Event, Progress};
use crate::watch::decide_at::migration_over;
use crate::watch::POLL;
use crate::{Error, MigrationId, Plan, RunId};
use aws_sdk_ecs::types::{DesiredStatus, Task, TaskField};
use aws_sdk_ecs::Client;
use std::collections::BTreeSet;
use std::time::Duration;
use tokio::time::{sleep, Instant};

/// How long the restore waits for the migration's other tasks to stop before it leaves the
/// services paused (ECS's longest `stopTimeout` is 2 minutes).
pub(crate) const GUARD_WAIT: Duration = Duration::from_secs(180);

async fn list(
    ecs: &Client,
    cluster: &str,
    migration: &MigrationId,
    desired: DesiredStatus,
    progress: &dyn Progress,
) -> Result<Vec<String>, Error> {
    let call = ecs
        .list_tasks()
        .cluster(cluster)
        .started_by(migration.started_by())
        .desired_status(desired);
    let out = call::send(
        progress,
        "ListTasks",
        || format!("cluster `{cluster}`"),
        || call.clone().send(),
    )
    .await?;
    Ok(out.task_arns().to_vec())
}

/// A task of `migration` that ECS wants running (PROVISIONING, PENDING or RUNNING).
pub(crate) async fn live_task(
    ecs: &Client,
    cluster: &str,
    migration: &MigrationId,
    progress: &dyn Progress,
) -> Result<Option<String>, Error> {
    let tasks = list(ecs, cluster, migration, DesiredStatus::Running, progress).await?;
    Ok(tasks.into_iter().next())
}

/// The task of the plan's migration that one of `holders` left to end unwatched (a Lambda that
/// handed off, a run killed after its task ended): ECS no longer wants it running, its own
/// container ended it (not ecs-migrate's StopTask: a holder stopping it is alive and answers
/// for it), and it carries a holder's run id (`ecs-migrate:run`, put on by the run that started
/// or last attached to it). The task of the last recorded outcome is never it: that attempt is
/// answered, and a new run of the migration is a retry.
pub(crate) async fn ended_of(
    ecs: &Client,
    plan: &Plan,
    holders: &[&RunId],
    progress: &dyn Progress,
) -> Result<Option<String>, Error> {
    let (cluster, migration) = (plan.cluster.as_str(), &plan.migration);
    let arns = list(ecs, cluster, migration, DesiredStatus::Stopped, progress).await?;
    if arns.is_empty() {
        return Ok(None);
    }
    let call = ecs
        .describe_tasks()
        .cluster(cluster)
        .set_tasks(Some(arns.into_iter().take(100).collect()))
        .include(TaskField::Tags);
    let out = call::send(
        progress,
        "DescribeTasks",
        || format!("cluster `{cluster}`"),
        || call.clone().send(),
    )
    .await?;
    let answered = plan.previous.as_ref().and_then(|p| p.task.as_deref());
    let left = out.tasks().iter().find(|task| {
        let run = task
            .tags()
            .iter()
            .find(|t| t.key() == Some(crate::records::tags::RUN))
            .and_then(|t| t.value());
        let stopped_by_us = task
            .stopped_reason()
            .is_some_and(|reason| reason.starts_with("ecs-migrate:"));
        let arn = task.task_arn().unwrap_or_default();
        run.is_some_and(|run| holders.iter().any(|h| h.as_str() == run))
            && !stopped_by_us
            && migration_over(task, &plan.container, plan.decide_at)
            && answered != Some(crate::aws::arn::resource_name(arn))
    });
    Ok(left.and_then(|t| t.task_arn()).map(str::to_owned))
}

/// Every task of the plan's migration that is not over (`watch/decide_at.rs`): those ECS wants
/// running and those being stopped — this run's own task included (a StopTask that did not
/// finish within its wait leaves it running).
pub(crate) async fn not_over(
    ecs: &Client,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Vec<String>, Error> {
    let (cluster, migration) = (plan.cluster.as_str(), &plan.migration);
    let mut arns: BTreeSet<String> = BTreeSet::new();
    arns.extend(list(ecs, cluster, migration, DesiredStatus::Running, progress).await?);
    arns.extend(list(ecs, cluster, migration, DesiredStatus::Stopped, progress).await?);
    let arns: Vec<String> = arns.into_iter().collect();
    Ok(describe(ecs, cluster, &arns, progress)
        .await?
        .iter()
        .filter(|t| !migration_over(t, &plan.container, plan.decide_at))
        .filter_map(|t| t.task_arn().map(str::to_owned))
        .collect())
}

/// The tasks `arns` as ECS describes them (DescribeTasks takes 100 at a time).
pub(crate) async fn describe(
    ecs: &Client,
    cluster: &str,
    arns: &[String],
    progress: &dyn Progress,
) -> Result<Vec<Task>, Error> {
    let mut tasks = Vec::new();
    for chunk in arns.chunks(100) {
        let call = ecs
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()));
        let out = call::send(
            progress,
            "DescribeTasks",
            || format!("cluster `{cluster}`"),
            || call.clone().send(),
        )
        .await?;
        tasks.extend(out.tasks().iter().cloned());
    }
    Ok(tasks)
}

/// Waits, up to [`GUARD_WAIT`], until every task of the plan's migration is over. `Err` carries the
/// tasks still running then (or the error that kept the run from knowing), and the services
/// must stay paused.
pub(crate) async fn wait_until_over(
    ecs: &Client,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<(), String> {
    let started = Instant::now();
    let mut said = false;
    loop {
        let running = match not_over(ecs, plan, progress).await {
            Ok(running) => running,
            Err(err) => {
                return Err(format!(
                    "could not check that no task of this migration is still running ({err})"
                ))
            }
        };
        if running.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= GUARD_WAIT {
            return Err(format!(
                "task(s) {} of this migration were still running {}s later",
                running.join(", "),
                GUARD_WAIT.as_secs()
            ));
        }
        if !said {
            said = true;
            progress.event(Event::Warning(format!(
                "task(s) {} of this migration still running: the services stay paused until they stop",
                running.join(", ")
            )));
        }
        sleep(POLL).await;
    }
}
