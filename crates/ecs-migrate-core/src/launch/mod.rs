//! Launch: the one RunTask call. Placement failures (`failures[]`, or no task at all) are a verdict,
//! not an error: the migration did not run.
//!
//! The request is the same in every run of a migration (see `resolve/`), so its `clientToken`
//! makes ECS start one task for all of them: a retry after a lost response, two pipelines at
//! once and a re-invoked Lambda all get that task back. A `ConflictException` (the token was
//! used with other parameters: `--env` values or subnets changed between the runs) carries the
//! tasks the token started; this run attaches to the one that is this migration's.

pub(crate) mod live_tasks;

use crate::aws::call;
use crate::migration::Run;
use crate::progress::Event;
use crate::report::RunTaskFailure;
use crate::watch::verdict;
use crate::{Error, Plan, Progress, Report, Shutdown};
use aws_sdk_ecs::operation::run_task::RunTaskError;
use aws_sdk_ecs::Client;

pub(crate) enum Launch {
    Started {
        task_arn: String,
    },
    /// The token had already started this task of the migration (with other parameters).
    Existing {
        task_arn: String,
    },
    Refused(Vec<RunTaskFailure>),
}

pub(crate) async fn launch(
    ecs: &Client,
    plan: &Plan,
    progress: &dyn Progress,
) -> Result<Launch, Error> {
    let call = plan.run_task.apply(ecs.run_task());
    // A ConflictException is an answer (the tasks the token started), not a failure.
    let answer = call::send(
        progress,
        "RunTask",
        || format!("cluster `{}`", plan.cluster),
        || {
            let call = call.clone();
            async move {
                match call.send().await {
                    Err(err) => match err.as_service_error() {
                        Some(RunTaskError::ConflictException(e)) => {
                            Ok(Err(e.resource_ids().to_vec()))
                        }
                        _ => Err(err),
                    },
                    Ok(out) => Ok(Ok(out)),
                }
            }
        },
    )
    .await?;
    let out = match answer {
        Ok(out) => out,
        Err(tasks) => return ours(ecs, plan, tasks, progress).await,
    };
    let failures: Vec<RunTaskFailure> = out
        .failures()
        .iter()
        .map(|f| RunTaskFailure {
            arn: f.arn().map(str::to_owned),
            reason: f.reason().map(str::to_owned),
            detail: f.detail().map(str::to_owned),
        })
        .collect();
    match out.tasks().first().and_then(|t| t.task_arn()) {
        Some(task_arn) => Ok(Launch::Started {
            task_arn: task_arn.to_owned(),
        }),
        _ => Ok(Launch::Refused(failures)),
    }
}

/// The task among `tasks` (a `ConflictException`'s `resourceIds`) that is this migration's.
async fn ours(
    ecs: &Client,
    plan: &Plan,
    tasks: Vec<String>,
    progress: &dyn Progress,
) -> Result<Launch, Error> {
    if !tasks.is_empty() {
        let call = ecs
            .describe_tasks()
            .cluster(&plan.cluster)
            .set_tasks(Some(tasks.clone()));
        let out = call::send(
            progress,
            "DescribeTasks",
            || format!("cluster `{}`", plan.cluster),
            || call.clone().send(),
        )
        .await?;
        let started_by = plan.migration.started_by();
        if let Some(task) = out
            .tasks()
            .iter()
            .find(|t| t.started_by() == Some(started_by.as_str()))
        {
            return Ok(Launch::Existing {
                task_arn: task.task_arn().unwrap_or_default().to_owned(),
            });
        }
    }
    Err(Error::TokenConflict {
        cluster: plan.cluster.clone(),
        tasks,
    })
}

/// Puts this run's id on the task it started or attached to (`ecs-migrate:run`): per-run
/// values stay out of the RunTask request. A failure is a warning: the run goes on.
pub(crate) async fn tag_run(ecs: &Client, plan: &Plan, task_arn: &str, progress: &dyn Progress) {
    let call = ecs.tag_resource().resource_arn(task_arn).tags(
        aws_sdk_ecs::types::Tag::builder()
            .key(crate::records::tags::RUN)
            .value(plan.run_id.as_str())
            .build(),
    );
    if let Err(err) = call::send(
        progress,
        "TagResource",
        || format!("task `{task_arn}`"),
        || call.clone().send(),
    )
    .await
    {
        progress.event(crate::Event::Warning(format!(
            "could not tag the migration task with this run's id: {err}"
        )));
    }
}

/// What phase 3 found to watch.
pub(crate) enum Launched {
    Task {
        task_arn: String,
        attached: bool,
    },
    /// No task: the verdict is already known (refused by ECS, interrupted before RunTask).
    None(Box<Report>),
}

/// Phase 3: attach to this migration's live task (a runner that died, a re-invoked Lambda),
/// or launch one. RunTask is not raced against shutdown: a call abandoned mid-flight could
/// start a task nobody watches; a signal that came meanwhile is seen by the first wait.
pub(crate) async fn launch_or_attach(
    run: &Run<'_>,
    attach_to: Option<String>,
    shutdown: &mut Shutdown,
) -> Result<Launched, Error> {
    let (clients, plan, progress) = (run.clients, run.plan, run.progress);
    if shutdown.has_fired().await {
        return Ok(Launched::None(Box::new(verdict::interrupted_before_start(
            plan,
        ))));
    }
    let live = match attach_to {
        Some(task_arn) => Some(task_arn),
        None => {
            live_tasks::live_task(&clients.ecs, &plan.cluster, &plan.migration, progress).await?
        }
    };
    // Attached to a task an earlier run started: its age counts against the timeout.
    let (task_arn, attached) = match live {
        Some(task_arn) => {
            progress.event(Event::Attached {
                task_arn: &task_arn,
            });
            (task_arn, true)
        }
        None => {
            // Still this run's app? (It may have been taken for dead while it drained.)
            run.lease.check().await?;
            match launch(&clients.ecs, plan, progress).await? {
                Launch::Started { task_arn } => {
                    progress.event(Event::TaskStarted {
                        task_arn: &task_arn,
                    });
                    (task_arn, false)
                }
                Launch::Existing { task_arn } => {
                    progress.event(Event::Attached {
                        task_arn: &task_arn,
                    });
                    (task_arn, true)
                }
                Launch::Refused(failures) => {
                    return Ok(Launched::None(Box::new(verdict::refused(plan, failures))))
                }
            }
        }
    };
    tag_run(&clients.ecs, plan, &task_arn, progress).await;
    Ok(Launched::Task { task_arn, attached })
}
