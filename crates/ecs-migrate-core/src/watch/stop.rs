//! Stopping the watched task: on timeout or shutdown (StopTask, then wait for the deciding
//! container's exit, up to [`STOP_WAIT`]), and the rest of it after a deciding container that is
//! not essential exited.

use super::{Seen, Watch, POLL, STOP_WAIT};
use crate::error::{classify, Retry};
use crate::progress::Event;
use crate::watch::verdict::Ending;
use crate::Error;
use aws_sdk_ecs::types::Task;
use std::time::Duration;
use tokio::time::{sleep, Instant};

impl Watch<'_> {
    /// The deciding container exited but ECS still wants the task running (the container is not
    /// essential, a sidecar is): stop the rest, or it runs on, billed, with nothing to do.
    /// Best effort: the verdict is known either way.
    pub(super) async fn stop_the_rest(&self, task: &Task) {
        // An essential container's exit stops the task: ECS does it (its stop code says so).
        if self.container_essential
            || task.desired_status() != Some("RUNNING")
            || task.last_status() == Some("STOPPED")
        {
            return;
        }
        let reason = format!(
            "ecs-migrate: the migration container `{}` exited",
            self.container
        );
        self.progress.event(Event::Stopping {
            task_arn: self.task_arn,
            reason: &reason,
        });
        let sent = self
            .ecs
            .stop_task()
            .cluster(self.cluster)
            .task(self.task_arn)
            .reason(&reason)
            .send()
            .await;
        if let Err(err) = sent {
            self.progress.event(Event::Warning(format!(
                "could not stop the rest of task {} after its migration container exited ({}); stop it with `aws ecs stop-task --cluster {} --task {}`",
                self.task_arn,
                crate::error::one_line(&err),
                self.cluster,
                self.task_arn
            )));
        }
    }

    /// Stops the task (unless ECS already has) and waits for the deciding container's exit, up
    /// to [`STOP_WAIT`]. Returns `why` when ecs-migrate stopped it, `Ending::Stopped` when it had
    /// stopped on its own just before (then its own verdict stands).
    pub(super) async fn stop(
        &mut self,
        reason: &str,
        why: Ending,
    ) -> Result<(Task, Ending), Error> {
        // The task may have finished just as the timeout or the signal came: then its own
        // verdict stands.
        if let Ok(Seen::Task(task)) = self.describe().await {
            if self.is_over(&task) {
                self.stop_the_rest(&task).await;
                return Ok((*task, Ending::Stopped));
            }
        }
        self.progress.event(Event::Stopping {
            task_arn: self.task_arn,
            reason,
        });
        let stop_deadline = Instant::now() + STOP_WAIT;
        let mut stop_sent = false;
        let mut delay = Duration::ZERO;
        let mut last_seen: Option<Task> = None;
        loop {
            if !stop_sent {
                match self
                    .ecs
                    .stop_task()
                    .cluster(self.cluster)
                    .task(self.task_arn)
                    .reason(reason)
                    .send()
                    .await
                {
                    Ok(_) => stop_sent = true,
                    Err(err) if classify(&err) == Retry::Transient => {
                        self.progress.event(Event::Retrying {
                            operation: "StopTask",
                            message: crate::error::one_line(&err),
                            retry_in: POLL,
                        });
                    }
                    Err(err) => {
                        return Err(Error::LostTask {
                            cluster: self.cluster.to_owned(),
                            task_arn: self.task_arn.to_owned(),
                            message: format!("StopTask failed: {}", crate::error::one_line(&err)),
                        })
                    }
                }
            }
            if Instant::now() + delay > stop_deadline {
                break;
            }
            sleep(delay).await;
            delay = POLL;
            match self.describe().await {
                Ok(Seen::Task(task)) if self.is_over(&task) => {
                    return Ok((*task, why));
                }
                Ok(Seen::Task(task)) => last_seen = Some(*task),
                Ok(Seen::Missing) | Err(_) => {}
            }
        }
        self.progress.event(Event::Warning(format!(
            "the container `{}` of task {} had not exited {}s after StopTask; it is still stopping",
            self.container,
            self.task_arn,
            STOP_WAIT.as_secs()
        )));
        let task = last_seen.unwrap_or_else(|| Task::builder().task_arn(self.task_arn).build());
        Ok((task, why))
    }
}
