//! When a task counts as over: at its containers' exit, not at the task's STOPPED.
//!
//! On Fargate a task goes RUNNING → DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED. Its
//! containers show STOPPED with their exit codes at the start of that; the task reaches STOPPED
//! only once its network interface is detached, often 10–30 s later (docs/aws-semantics.md,
//! "Task teardown"). Nothing of the migration runs during that teardown, so ecs-migrate decides
//! at the deciding container's exit and restores the paused services then: waiting for STOPPED
//! would be pure downtime.
//!
//! The same rule holds everywhere a run asks "is it over?": the watch, the restore guard (no
//! restore while a task of the migration is not over) and the drain of a paused service's old
//! tasks (they are gone once every container of theirs has stopped).

use aws_sdk_ecs::types::{Task, TaskStopCode};

/// The moment a task counts as over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecideAt {
    /// The deciding container stopped with an exit code (or a reason and no exit code), or ECS
    /// says the task failed to start. The default.
    #[default]
    ContainerExit,
    /// The task's `lastStatus` is STOPPED: the teardown is waited out (its network interface is
    /// detached, its IP address free) before the verdict and the restore.
    TaskStopped,
}

/// Whether the migration in `task` is over: nothing of it can run any more.
///
/// Sidecars never decide, and an essential sidecar that has not stopped yet does not delay this:
/// ECS stops it (the deciding container is essential), or the run does (see `watch/mod.rs`).
pub(crate) fn migration_over(task: &Task, container: &str, at: DecideAt) -> bool {
    if task.last_status() == Some("STOPPED") {
        return true;
    }
    if at == DecideAt::TaskStopped {
        return false;
    }
    // Never started: ECS says so as it starts stopping the task, and no container will run.
    if task.stop_code() == Some(&TaskStopCode::TaskFailedToStart)
        && task.desired_status() == Some("STOPPED")
    {
        return true;
    }
    task.containers()
        .iter()
        .find(|c| c.name() == Some(container))
        .is_some_and(|c| {
            c.last_status() == Some("STOPPED") && (c.exit_code().is_some() || c.reason().is_some())
        })
}

/// Whether an application task (one a paused service ran) is gone: no container of it runs.
/// ECS is stopping it (`desiredStatus` STOPPED) and every container it has is STOPPED, or the
/// task is.
pub(crate) fn app_task_over(task: &Task, at: DecideAt) -> bool {
    if task.last_status() == Some("STOPPED") {
        return true;
    }
    at == DecideAt::ContainerExit
        && task.desired_status() == Some("STOPPED")
        && !task.containers().is_empty()
        && task
            .containers()
            .iter()
            .all(|c| c.last_status() == Some("STOPPED"))
}

/// Whether ECS is still tearing the task down (its containers have stopped, the task has not).
pub(crate) fn tearing_down(task: &Task) -> bool {
    task.last_status() != Some("STOPPED")
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ecs::types::Container;

    fn task(status: &str, desired: &str, containers: Vec<Container>) -> Task {
        Task::builder()
            .last_status(status)
            .desired_status(desired)
            .set_containers(Some(containers))
            .build()
    }

    fn container(name: &str, status: &str, exit_code: Option<i32>) -> Container {
        Container::builder()
            .name(name)
            .last_status(status)
            .set_exit_code(exit_code)
            .build()
    }

    #[test]
    fn the_migration_is_over_when_its_container_exited_while_the_task_tears_down() {
        let t = task(
            "DEPROVISIONING",
            "STOPPED",
            vec![container("migrate", "STOPPED", Some(0))],
        );
        assert!(migration_over(&t, "migrate", DecideAt::ContainerExit));
        assert!(!migration_over(&t, "migrate", DecideAt::TaskStopped));
        assert!(tearing_down(&t));
    }

    #[test]
    fn a_sidecar_still_running_does_not_delay_the_migration_container_decides() {
        let t = task(
            "RUNNING",
            "STOPPED",
            vec![
                container("migrate", "STOPPED", Some(3)),
                container("envoy", "RUNNING", None),
            ],
        );
        assert!(migration_over(&t, "migrate", DecideAt::ContainerExit));
        // The other way round: the sidecar's exit decides nothing.
        let t = task(
            "RUNNING",
            "RUNNING",
            vec![
                container("migrate", "RUNNING", None),
                container("envoy", "STOPPED", Some(137)),
            ],
        );
        assert!(!migration_over(&t, "migrate", DecideAt::ContainerExit));
    }

    #[test]
    fn a_stopped_container_with_neither_exit_code_nor_reason_is_not_over_yet() {
        let t = task(
            "RUNNING",
            "STOPPED",
            vec![container("migrate", "STOPPED", None)],
        );
        assert!(!migration_over(&t, "migrate", DecideAt::ContainerExit));
        let mut t = t;
        t.containers.as_mut().unwrap()[0].reason = Some("OutOfMemoryError".into());
        assert!(migration_over(&t, "migrate", DecideAt::ContainerExit));
    }

    #[test]
    fn a_task_that_failed_to_start_is_over_once_ecs_says_so() {
        let mut t = task(
            "PROVISIONING",
            "RUNNING",
            vec![container("migrate", "PENDING", None)],
        );
        assert!(!migration_over(&t, "migrate", DecideAt::ContainerExit));
        t.desired_status = Some("STOPPED".into());
        t.stop_code = Some(TaskStopCode::TaskFailedToStart);
        assert!(migration_over(&t, "migrate", DecideAt::ContainerExit));
    }

    #[test]
    fn an_app_task_is_gone_when_every_container_stopped_and_ecs_is_stopping_it() {
        let stopping = |web: &str| {
            task(
                "DEACTIVATING",
                "STOPPED",
                vec![
                    container("web", web, None),
                    container("log-router", "STOPPED", Some(0)),
                ],
            )
        };
        assert!(!app_task_over(
            &stopping("RUNNING"),
            DecideAt::ContainerExit
        ));
        assert!(app_task_over(&stopping("STOPPED"), DecideAt::ContainerExit));
        assert!(!app_task_over(&stopping("STOPPED"), DecideAt::TaskStopped));
        // A task with no containers listed yet is not known to be gone.
        assert!(!app_task_over(
            &task("PROVISIONING", "STOPPED", vec![]),
            DecideAt::ContainerExit
        ));
    }
}
