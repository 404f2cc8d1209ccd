//! The watch: prompt, cheap polling; MISSING right after RunTask; throttling and permission
//! errors while waiting; timeout, shutdown and the hand-off.

use crate::fake::*;

/// The verdict comes within 1.5 s of ECS marking the task STOPPED, at no more than one
/// DescribeTasks per second of migration.
#[tokio::test(start_paused = true)]
async fn polling_is_prompt_and_cheap() {
    let fake = clock(Some(Duration::from_secs(600)));
    let rules = fake.rules();
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    let latency = fake.start.elapsed() - Duration::from_secs(600);
    assert!(
        latency <= Duration::from_millis(1500),
        "verdict {latency:?} after STOPPED"
    );
    // At most one call per second of migration, including the one that sees STOPPED...
    let describes = rules[3].num_calls();
    assert!(
        describes <= 600,
        "{describes} DescribeTasks calls in a 600 s migration"
    );
    // ...and no slower than one every 1.2 s while healthy (that bounds the latency above).
    assert!(
        describes >= 500,
        "{describes} calls: polling must not slow down while healthy"
    );
}

/// Right after RunTask, ECS may answer MISSING for the new task: that is waited out.
#[tokio::test(start_paused = true)]
async fn missing_right_after_run_task_is_retried_not_failed() {
    let describe = mock!(Client::describe_tasks)
        .sequence()
        .output(missing)
        .times(3)
        .output(|| tasks(task("RUNNING")))
        .output(|| tasks(stopped(TaskStopCode::EssentialContainerExited, 0)))
        .build();
    let rules = plain(describe);

    let report = run_plainly(&rules, Timeout::default()).await.unwrap();
    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(rules[3].num_calls(), 5);
}

/// A task that stays MISSING for over a minute is an AWS error naming the task, not a verdict.
#[tokio::test(start_paused = true)]
async fn a_task_missing_for_over_a_minute_is_an_error() {
    let describe = mock!(Client::describe_tasks)
        .sequence()
        .output(missing)
        .repeatedly()
        .build();
    let rules = plain(describe);

    let err = run_plainly(&rules, Timeout::default()).await.unwrap_err();
    assert!(
        matches!(&err, Error::TaskMissing { task_arn, .. } if task_arn == TASK),
        "{err}"
    );
    assert_eq!(err.code(), 3);
}

/// Throttled DescribeTasks backs off (2, 4, 8, 16, 30 s) and keeps waiting instead of failing.
/// The SDK's own retries are switched off here so that our loop's schedule is what is measured
/// (with them on, each of our calls is already up to three jittered attempts).
#[tokio::test(start_paused = true)]
async fn throttling_backs_off_and_keeps_waiting() {
    let describe = mock!(Client::describe_tasks)
        .sequence()
        .error(|| error("ThrottlingException"))
        .times(5)
        .output(|| tasks(stopped(TaskStopCode::EssentialContainerExited, 0)))
        .build();
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run_task_ok(),
        describe,
    ];
    let ecs = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        &with_records(&rules),
        |config| config.retry_config(aws_sdk_ecs::config::retry::RetryConfig::disabled())
    );
    let plan = plan(&ecs, Timeout::default()).await;
    let start = Instant::now();

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(rules[3].num_calls(), 6);
    // The 1.2 s first poll, then 2 + 4 + 8 + 16 + 30 s of backoff (paused time: exact).
    assert_eq!(
        start.elapsed(),
        Duration::from_millis(1_200) + Duration::from_secs(2 + 4 + 8 + 16 + 30)
    );
}

/// Access denied while waiting cannot be waited out: the error names the task left running.
#[tokio::test(start_paused = true)]
async fn a_permission_error_while_waiting_names_the_task_left_running() {
    let describe = mock!(Client::describe_tasks).then_error(|| error("AccessDeniedException"));
    let rules = plain(describe);

    let err = run_plainly(&rules, Timeout::default()).await.unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(TASK) && text.contains("aws ecs stop-task"),
        "{text}"
    );
    assert_eq!(err.code(), 3);
}

/// On timeout the task is stopped with a reason naming ecs-migrate, waited for, and reported.
#[tokio::test(start_paused = true)]
async fn timeout_stops_the_task_and_reports_timed_out() {
    let fake = clock(None);
    let rules = fake.rules();
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::after(Duration::from_secs(90))).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::TimedOut);
    assert_eq!(report.status.exit_code(), 4);
    assert_eq!(report.exit_code, Some(143));
    let reason = fake.stop_reason.lock().unwrap().clone().unwrap();
    assert_eq!(reason, "ecs-migrate: timed out after 1m 30s");
    assert!(fake.start.elapsed() < Duration::from_secs(93));
}

/// At the hand-off time (a Lambda near its deadline) the run stops waiting and fails with
/// `StillRunning` naming the task, and leaves everything for the next invocation: the task is not
/// stopped, the lock is not released, no outcome is recorded.
#[tokio::test(start_paused = true)]
async fn a_hand_off_leaves_the_task_running_and_the_lock_held() {
    let fake = clock(Some(Duration::from_secs(1200)));
    let rules = fake.rules();
    let all = with_records(&rules);
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &all);
    let plan = plan(&ecs, Timeout::default()).await;
    let hand_off = Instant::now() + Duration::from_secs(300);
    let mut shutdown = Shutdown::never().with_hand_off(hand_off);

    let err = migration::run(&ecs_only(&ecs), &plan, &(), &mut shutdown)
        .await
        .unwrap_err();

    match &err {
        Error::StillRunning { task_arn, .. } => assert_eq!(task_arn, TASK),
        other => panic!("expected StillRunning, got {other:?}"),
    }
    assert_eq!(err.kind(), ecs_migrate_core::ErrorKind::StillRunning);
    assert!(
        Instant::now() - hand_off < Duration::from_secs(2),
        "handed off on time"
    );
    assert_eq!(rules[4].num_calls(), 0, "StopTask must not be called");
    let (tag, untag) = (&all[rules.len() + 2], &all[rules.len() + 3]);
    // Taken at the start, its lease renewed every 30 s until the hand-off at 300 s (9 or 10
    // renewals, as the one due at 300 s races the hand-off), and no outcome recorded.
    assert!(
        (10..=11).contains(&tag.num_calls()),
        "the lock taken, renewed every 30 s, and nothing recorded: {} TagResource calls",
        tag.num_calls()
    );
    assert_eq!(
        untag.num_calls(),
        0,
        "the lock stays held for the next invocation"
    );
}

/// A run that re-attaches to a live task of its migration (the runner died, a Lambda re-invoked)
/// counts the task's age against the timeout: a 1 h migration attached to at 50 min is stopped
/// 10 min later, not 1 h later.
#[tokio::test(start_paused = true)]
async fn an_attached_task_times_out_at_its_own_age() {
    let created = std::time::SystemTime::now() - Duration::from_secs(50 * 60);
    let live = mock!(Client::list_tasks)
        .then_output(|| ListTasksOutput::builder().task_arns(TASK).build());
    let stop_requested = Arc::new(AtomicBool::new(false));
    let stopped_flag = stop_requested.clone();
    let describe = mock!(Client::describe_tasks).then_compute_output(move |_| {
        let mut task = Task::builder()
            .task_arn(TASK)
            .created_at(aws_smithy_types::DateTime::from(created));
        task = if stopped_flag.load(Ordering::SeqCst) {
            task.last_status("STOPPED")
                .stop_code(TaskStopCode::UserInitiated)
                .containers(Container::builder().name("migrate").exit_code(143).build())
        } else {
            task.last_status("RUNNING")
        };
        tasks(task.build())
    });
    let stop = mock!(Client::stop_task).then_compute_output(move |_| {
        stop_requested.store(true, Ordering::SeqCst);
        StopTaskOutput::builder().task(task("RUNNING")).build()
    });
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        live,
        describe,
        stop,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::after(Duration::from_secs(3600))).await;
    let start = Instant::now();

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::TimedOut);
    assert_eq!(
        report.task_arn.as_deref(),
        Some(TASK),
        "attached, not started"
    );
    let waited = start.elapsed().as_secs();
    assert!((599..=603).contains(&waited), "stopped after {waited}s");
    assert_eq!(rules[4].num_calls(), 1);
}

/// The caller's shutdown future stops the task, and the run reports `interrupted`.
#[tokio::test(start_paused = true)]
async fn shutdown_stops_the_task_and_reports_interrupted() {
    let fake = clock(None);
    let rules = fake.rules();
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;
    let mut shutdown = Shutdown::new(tokio::time::sleep(Duration::from_secs(30)));

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut shutdown)
        .await
        .unwrap();

    assert_eq!(report.status, Status::Interrupted);
    assert_eq!(report.status.exit_code(), 130);
    assert!(fake
        .stop_reason
        .lock()
        .unwrap()
        .as_deref()
        .unwrap()
        .contains("ecs-migrate"));
}

/// A task that finished just as the timeout came keeps its own verdict and is not stopped.
#[tokio::test(start_paused = true)]
async fn a_task_that_stopped_at_the_deadline_keeps_its_verdict() {
    let fake = clock(Some(Duration::from_millis(59_500)));
    let rules = fake.rules();
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::after(Duration::from_secs(60))).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(rules[4].num_calls(), 0, "StopTask must not be called");
}

/// With the SDK's standard retries on, a long throttling episode (more errors than the SDK
/// retries) is still waited out rather than failing the run.
#[tokio::test(start_paused = true)]
async fn throttling_survives_the_sdk_retries() {
    let describe = mock!(Client::describe_tasks)
        .sequence()
        .error(|| error("ThrottlingException"))
        .times(12)
        .output(|| tasks(stopped(TaskStopCode::EssentialContainerExited, 0)))
        .build();
    let rules = plain(describe);

    let report = run_plainly(&rules, Timeout::default()).await.unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(rules[3].num_calls(), 13);
}
