//! The orchestration: one migration, phase by phase, top to bottom.
//!
//! 1. launch — RunTask; placement failures end the run with a `failed` verdict;
//! 2. watch  — wait for STOPPED; on timeout or shutdown, stop the task and wait for that;
//! 3. judge  — turn the stopped task into a [`Report`].
//!
//! Resolution happens before, in [`crate::resolve`], so `--dry-run` can stop after it.

use crate::progress::{Event, Progress};
use crate::verdict::{self, Ending};
use crate::watch::Watch;
use crate::{launch, Error, Plan, Report, Shutdown};
use aws_sdk_ecs::Client;
use tokio::time::Instant;

pub async fn run(
    ecs: &Client,
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
    let task_arn = match launch::launch(ecs, plan).await? {
        launch::Launch::Started { task_arn } => task_arn,
        launch::Launch::Refused(failures) => return Ok(verdict::refused(plan, failures)),
    };
    progress.event(Event::TaskStarted {
        task_arn: &task_arn,
    });

    // 2. watch.
    let (task, ending) = Watch::new(ecs, &plan.cluster, &task_arn, progress, started)
        .until_stopped(deadline, shutdown)
        .await?;

    // 3. judge.
    let mut report = verdict::judge(plan, &task, ending);
    report.task_arn.get_or_insert(task_arn);
    if ending == Ending::Stopped {
        tracing::debug!(status = report.status.as_str(), "task stopped on its own");
    }
    Ok(report)
}
