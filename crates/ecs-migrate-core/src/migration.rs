//! The orchestration: one migration, phase by phase, top to bottom.
//!
//! 0. recover — services a run that died left paused go back to their recorded state;
//! 1. pause   — record, suspend auto scaling, scale the services down, wait for their old tasks
//!    to stop (see `service_pause.rs`);
//! 2. launch  — RunTask; placement failures end the run with a `failed` verdict;
//! 3. watch   — wait for STOPPED (on timeout or shutdown: stop the task and wait for that), while
//!    the log follower streams the container's output and then reads it to the end;
//! 4. judge   — turn the stopped task into a [`Report`], with the last log lines;
//! 5. restore — put every paused service back, on every path out of 1–4.
//!
//! Resolution happens before, in [`crate::resolve`], so `--dry-run` can stop after it.

use crate::log_follower::{Followed, LogFollower};
use crate::progress::{Event, Progress};
use crate::service_pause::{Drain, Paused};
use crate::verdict;
use crate::watch::Watch;
use crate::{launch, Clients, Error, Logs, Plan, Report, Shutdown, Status};
use aws_smithy_types::date_time::Format;
use tokio::sync::watch;
use tokio::time::Instant;

pub async fn run(
    clients: &Clients,
    plan: &Plan,
    progress: &dyn Progress,
    shutdown: &mut Shutdown,
) -> Result<Report, Error> {
    let started = Instant::now();
    let deadline = plan.timeout.duration().map(|timeout| started + timeout);
    let now = aws_smithy_types::DateTime::from(std::time::SystemTime::now())
        .fmt(Format::DateTime)
        .unwrap_or_default();
    let mut services = Paused::new(
        clients,
        &plan.cluster,
        plan.pause.as_ref(),
        &plan.run_id,
        &now,
        progress,
    );

    // 0. recover.
    services.recover_leftovers().await?;

    // 1. pause.
    let drained = services.pause(deadline, shutdown).await;

    // 2–4. migrate, only once every service is drained.
    let outcome = match drained {
        Ok(Drain::Done) => migrate(clients, plan, progress, shutdown, started, deadline).await,
        Ok(Drain::TimedOut) => Ok(verdict::timed_out_before_start(plan, started.elapsed())),
        Ok(Drain::Interrupted) => Ok(verdict::interrupted_before_start(plan)),
        Err(err) => Err(err),
    };

    // 5. restore, whatever happened above — unless asked to keep them paused after a failure.
    let failed = matches!(&outcome, Ok(r) if matches!(r.status, Status::Failed | Status::TimedOut));
    let keep = failed
        && plan
            .pause
            .as_ref()
            .is_some_and(|p| p.keep_paused_on_failure);
    let (service_reports, restore_error) = services.restore(keep).await;
    match (outcome, restore_error) {
        (Ok(mut report), restore_error) => {
            report.services = service_reports;
            report.restore_error = restore_error;
            Ok(report)
        }
        (Err(err), None) => Err(err),
        (Err(err), Some(restore_error)) => Err(Error::RestoreFailed {
            cluster: plan.cluster.clone(),
            cause: err.to_string(),
            restore_error,
        }),
    }
}

/// Phases 2–4: launch, watch (with the logs), judge.
async fn migrate(
    clients: &Clients,
    plan: &Plan,
    progress: &dyn Progress,
    shutdown: &mut Shutdown,
    started: Instant,
    deadline: Option<Instant>,
) -> Result<Report, Error> {
    if shutdown.has_fired().await {
        return Ok(verdict::interrupted_before_start(plan));
    }

    // 2. launch. Not raced against shutdown: a RunTask abandoned mid-flight could start a task
    //    nobody watches. A signal that came meanwhile is seen by the first wait below.
    let task_arn = match launch::launch(&clients.ecs, plan).await? {
        launch::Launch::Started { task_arn } => task_arn,
        launch::Launch::Refused(failures) => return Ok(verdict::refused(plan, failures)),
    };
    progress.event(Event::TaskStarted {
        task_arn: &task_arn,
    });

    // 3. watch, and follow the logs until the task has stopped and the stream is read through.
    let (stopped, stopped_rx) = watch::channel(false);
    let watching = async {
        let watched = Watch::new(&clients.ecs, &plan.cluster, &task_arn, progress, started)
            .until_stopped(deadline, shutdown)
            .await;
        let _ = stopped.send(true);
        watched
    };
    let following = async {
        match &plan.logs {
            Logs::Follow(source) => {
                LogFollower::new(&clients.logs, source, &task_arn, plan.log_tail, progress)
                    .follow(stopped_rx)
                    .await
            }
            Logs::Unavailable { reason } => {
                progress.event(Event::LogsUnavailable { reason });
                Followed::default()
            }
            Logs::Off => Followed::default(),
        }
    };
    let (watched, followed) = tokio::join!(watching, following);
    let (task, ending) = watched?;

    // 4. judge.
    let mut report = verdict::judge(plan, &task, ending);
    report.task_arn.get_or_insert(task_arn);
    report.log_tail = followed.tail;
    report.log_lines = followed.lines;
    Ok(report)
}
