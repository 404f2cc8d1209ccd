//! The verdict at the deciding container's exit, not after Fargate's teardown.

use crate::fake::*;

/// A migration that exits 0 while Fargate then tears its task down for 15 s: the service is
/// back and the run has returned its verdict within 1.5 s of the exit, long before the task
/// is STOPPED; the report carries ECS's stop code and says the task was still tearing down.
#[tokio::test(start_paused = true)]
async fn the_services_come_back_at_the_containers_exit_while_the_task_tears_down() {
    let fargate = Fargate::TEARDOWN;

    let run = run_torn_down(fargate, one_container(), pause_web(), None).await;

    assert_eq!(
        run.report.status,
        Status::Succeeded,
        "{}",
        run.report.reason
    );
    run.assert_restored_promptly(&fargate);
    run.assert_returned_promptly(&fargate);
    assert!(run.returned_at < fargate.stopped_at());
    assert!(
        run.report.task_tearing_down(),
        "{:?}",
        run.report.task_status
    );
    assert_eq!(
        run.report.stop_code.as_deref(),
        Some("EssentialContainerExited")
    );
    assert_eq!(
        run.report.stopped_reason.as_deref(),
        Some("Essential container in task exited")
    );
    assert!(run.stop_reasons.is_empty(), "ECS stops the task itself");
}

/// A non-zero exit fails at the container's exit just the same, with its exit code.
#[tokio::test(start_paused = true)]
async fn a_nonzero_exit_fails_at_the_containers_exit() {
    let fargate = Fargate {
        exit_code: 3,
        ..Fargate::TEARDOWN
    };

    let run = run_torn_down(fargate, one_container(), pause_web(), None).await;

    assert_eq!(
        (run.report.status, run.report.exit_code),
        (Status::Failed, Some(3))
    );
    run.assert_restored_promptly(&fargate);
    run.assert_returned_promptly(&fargate);
}

/// An essential sidecar that takes 20 s to stop after the migration exited (the task stays
/// RUNNING meanwhile, no `executionStoppedAt` yet) does not delay the verdict or the restore.
#[tokio::test(start_paused = true)]
async fn an_essential_sidecar_still_stopping_does_not_delay_the_verdict() {
    let fargate = Fargate {
        sidecar_stops_after: Some(Duration::from_secs(20)),
        ..Fargate::TEARDOWN
    };
    let containers = with_sidecar(true, "envoy");
    let request = Request {
        container: Some("migrate".into()),
        ..pause_web()
    };

    let run = run_torn_down(fargate, containers, request, None).await;

    assert_eq!(
        run.report.status,
        Status::Succeeded,
        "{}",
        run.report.reason
    );
    run.assert_restored_promptly(&fargate);
    run.assert_returned_promptly(&fargate);
    assert_eq!(run.report.task_status.as_deref(), Some("RUNNING"));
}

/// A deciding container that is not essential exits while its essential sidecar would run on:
/// the verdict is given, and the run stops the rest of the task rather than leave it running.
#[tokio::test(start_paused = true)]
async fn the_sidecars_of_a_non_essential_migration_container_are_stopped_after_its_exit() {
    // The task as ECS shows it: the migration container STOPPED, the task still wanted RUNNING.
    let fargate = Fargate {
        sidecar_stops_after: Some(Duration::from_secs(3_600)),
        essential: false,
        ..Fargate::TEARDOWN
    };
    let containers = with_sidecar(false, "cloud-sql-proxy");
    let request = Request {
        container: Some("migrate".into()),
        ..pause_web()
    };

    let run = run_torn_down(fargate, containers, request, None).await;

    assert_eq!(
        run.report.status,
        Status::Succeeded,
        "{}",
        run.report.reason
    );
    run.assert_returned_promptly(&fargate);
    assert_eq!(
        run.stop_reasons,
        ["ecs-migrate: the migration container `migrate` exited"]
    );
}

/// `DecideAt::TaskStopped` (`--wait-for-stopped`) waits the teardown out: the service comes
/// back only once the task is STOPPED.
#[tokio::test(start_paused = true)]
async fn waiting_for_stopped_restores_only_after_the_teardown() {
    let fargate = Fargate::TEARDOWN;
    let request = Request {
        decide_at: ecs_migrate_core::DecideAt::TaskStopped,
        ..pause_web()
    };

    let run = run_torn_down(fargate, one_container(), request, None).await;

    assert_eq!(run.report.status, Status::Succeeded);
    assert!(
        run.restored_at >= fargate.stopped_at(),
        "web restored at {:?}, the task STOPPED at {:?}",
        run.restored_at,
        fargate.stopped_at()
    );
    assert_eq!(run.report.task_status.as_deref(), Some("STOPPED"));
}

/// The service comes back at the container's exit even when the log stream must be read for
/// a long settle window after it: the restore does not wait for the log read, and the read
/// still gets the last line, which becomes visible 4 s after the exit.
#[tokio::test(start_paused = true)]
async fn the_restore_does_not_wait_for_the_log_read() {
    let fargate = Fargate::TEARDOWN;
    let lines = vec![
        (Duration::from_secs(10), "migrating".to_owned()),
        (Duration::from_secs(34), "ERROR: the last words".to_owned()),
    ];
    let request = Request {
        follow_logs: true,
        log_settle: Duration::from_secs(5),
        ..pause_web()
    };

    let run = run_torn_down(fargate, logged_container(), request, Some(lines)).await;

    run.assert_restored_promptly(&fargate);
    // The window counts on the wall clock from ECS's timestamp: a few ms of this test's own
    // run time show up here, so "after the last line became visible" is what is held.
    assert!(
        run.returned_at > Duration::from_secs(34),
        "returned at {:?}, before the last line was visible",
        run.returned_at
    );
    assert_eq!(run.report.log_tail, ["migrating", "ERROR: the last words"]);
}
