//! The orchestration: one migration, phase by phase, top to bottom.
//!
//! 1. launch — RunTask; placement failures end the run with a `failed` verdict;
//! 2. watch  — wait for STOPPED (on timeout or shutdown: stop the task and wait for that), while
//!    the log follower streams the container's output and then reads it to the end;
//! 3. judge  — turn the stopped task into a [`Report`], with the last log lines.
//!
//! Resolution happens before, in [`crate::resolve`], so `--dry-run` can stop after it.

use crate::log_follower::{Followed, LogFollower};
use crate::progress::{Event, Progress};
use crate::verdict;
use crate::watch::Watch;
use crate::{launch, Clients, Error, Logs, Plan, Report, Shutdown};
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

    if shutdown.has_fired().await {
        return Ok(verdict::interrupted_before_start(plan));
    }

    // 1. launch. Not raced against shutdown: a RunTask abandoned mid-flight could start a task
    //    nobody watches. A signal that came meanwhile is seen by the first wait below.
    let task_arn = match launch::launch(&clients.ecs, plan).await? {
        launch::Launch::Started { task_arn } => task_arn,
        launch::Launch::Refused(failures) => return Ok(verdict::refused(plan, failures)),
    };
    progress.event(Event::TaskStarted {
        task_arn: &task_arn,
    });

    // 2. watch, and follow the logs until the task has stopped and the stream is read through.
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

    // 3. judge.
    let mut report = verdict::judge(plan, &task, ending);
    report.task_arn.get_or_insert(task_arn);
    report.log_tail = followed.tail;
    report.log_lines = followed.lines;
    Ok(report)
}
