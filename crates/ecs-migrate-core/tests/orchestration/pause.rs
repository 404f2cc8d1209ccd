//! Paused services: restored after an AWS error, never while a task of the migration runs,
//! tag limits checked before anything changes.

use crate::fake::*;

/// A paused service comes back at its recorded count when the run ends in an AWS error
/// mid-way (RunTask denied after the drain), and a drain throttled past the SDK's retries is
/// waited out rather than ending the run with the app down.
#[tokio::test(start_paused = true)]
async fn a_paused_service_is_restored_after_an_aws_error_and_a_throttled_drain_is_waited_out() {
    use aws_sdk_ecs::operation::list_tasks::ListTasksError;
    use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;

    let counts: Arc<Mutex<Vec<i32>>> = Arc::default();
    let recorded = counts.clone();
    let throttled = || {
        ListTasksError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    };
    let rules = vec![
        describe_cluster(),
        describe_task_definition(one_container()),
        web_at_two(),
        mock!(Client::update_service).then_compute_output(move |input| {
            recorded
                .lock()
                .unwrap()
                .push(input.desired_count().unwrap());
            UpdateServiceOutput::builder().build()
        }),
        // web's task when it is paused; then, while draining, throttled three times; then gone.
        mock!(Client::list_tasks)
            .match_requests(|input| input.service_name() == Some("web"))
            .sequence()
            .output(|| ListTasksOutput::builder().task_arns(WEB_TASK).build())
            .error(throttled)
            .times(3)
            .output(|| ListTasksOutput::builder().build())
            .repeatedly()
            .build(),
        mock!(Client::describe_tasks).then_output(|| {
            tasks(
                Task::builder()
                    .task_arn(WEB_TASK)
                    .last_status("STOPPED")
                    .build(),
            )
        }),
        run_task_denied(),
    ];
    let all = with_records(&rules);
    let clients = pausing_web(mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &all));
    let plan = ecs_migrate_core::resolve(&clients, &pause_web())
        .await
        .unwrap();
    let retries = Retries::default();

    let err = migration::run(&clients, &plan, &retries, &mut Shutdown::never())
        .await
        .unwrap_err();

    assert!(
        matches!(
            &err,
            Error::Aws {
                operation: "RunTask",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        *counts.lock().unwrap(),
        [0, 2],
        "paused at 0, then back at its recorded 2"
    );
    // The fake's client retries as the SDK does by default, so the three throttled answers
    // reach the core as fewer errors; each one it saw was waited out, none ended the run.
    let retries = retries.0.lock().unwrap();
    assert!(
        !retries.is_empty()
            && retries
                .iter()
                .all(|op| ["ListTasks", "DescribeTasks", "ListTasks/DescribeTasks"].contains(op)),
        "the throttled drain was waited out: {retries:?}"
    );
    assert_eq!(rules[6].num_calls(), 1, "RunTask, once the drain was done");
}

/// The restore guard: a run whose RunTask is denied while another run's task of the same
/// migration is running (two pipelines at once) leaves the service paused until that task has
/// STOPPED, then puts it back at its recorded count. Its error is one line: the operation, the
/// resource, AWS's code and message, the IAM action to allow; no SDK dump.
#[tokio::test(start_paused = true)]
async fn no_restore_while_a_task_of_the_migration_is_still_running() {
    let start = Instant::now();
    let other_stops_at = Duration::from_secs(40);
    let (update_service, updates) = desired_counts(start);
    let lookups = Arc::new(AtomicUsize::new(0));
    let rules = vec![
        describe_cluster(),
        describe_task_definition(one_container()),
        web_at_two(),
        update_service,
        // The other run's task of this migration: listed while ECS wants it running, except
        // in the first answer (this run's look for a task to attach to): ListTasks is
        // eventually consistent, and that run's RunTask had only just returned.
        mock!(Client::list_tasks)
            .match_requests(|input| {
                input
                    .started_by()
                    .is_some_and(|s| s.starts_with("ecs-migrate/"))
            })
            .then_compute_output(move |input| {
                if lookups.fetch_add(1, Ordering::SeqCst) == 0 {
                    return ListTasksOutput::builder().build();
                }
                let running = start.elapsed() < other_stops_at;
                let wanted =
                    input.desired_status() == Some(&aws_sdk_ecs::types::DesiredStatus::Running);
                let listed = if running == wanted {
                    vec![TASK.to_owned()]
                } else {
                    vec![]
                };
                ListTasksOutput::builder()
                    .set_task_arns(Some(listed))
                    .build()
            }),
        mock!(Client::describe_tasks).then_compute_output(move |_| {
            if start.elapsed() < other_stops_at {
                tasks(task("RUNNING"))
            } else {
                tasks(stopped(TaskStopCode::EssentialContainerExited, 0))
            }
        }),
        run_task_denied(),
    ];
    let all = with_records(&rules);
    let clients = pausing_web(mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &all));
    let plan = ecs_migrate_core::resolve(&clients, &pause_web())
        .await
        .unwrap();

    let err = migration::run(&clients, &plan, &(), &mut Shutdown::never())
        .await
        .unwrap_err();

    let updates = updates.lock().unwrap().clone();
    let restore = updates
        .iter()
        .find(|(count, _)| *count == 2)
        .expect("web was restored");
    assert!(
        restore.1 >= other_stops_at,
        "web restored at {:?}, while the migration's other task ran until {other_stops_at:?}: {updates:?}",
        restore.1
    );
    assert_eq!(updates.first().map(|u| u.0), Some(0), "paused first");
    assert_eq!(
        err.to_string(),
        format!("AWS ecs:RunTask on cluster `{CLUSTER}` failed: AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: ecs:RunTask. Allow `ecs:RunTask` on that resource in the IAM policy of the identity ecs-migrate runs as")
    );
    assert_eq!(err.code(), 3);
}

/// A cluster that already carries 50 tags cannot take the lock's: the run is refused (exit 2)
/// before anything changes, naming the limit and the fix.
#[tokio::test(start_paused = true)]
async fn a_cluster_with_fifty_tags_is_refused_before_anything_changes() {
    let full: Vec<(String, String)> = (0..50).map(|i| (format!("team{i}"), "x".into())).collect();
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run_task_ok(),
    ];
    let all = with_tags(&rules, &[(CLUSTER, full)]);
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &all);
    let request = Request {
        cluster: "prod".into(),
        task_definition: Some("app:42".parse().unwrap()),
        subnets: vec!["subnet-a".into()],
        follow_logs: false,
        ..Request::default()
    };

    let err = ecs_migrate_core::resolve(&ecs_only(&ecs), &request)
        .await
        .unwrap_err();

    assert!(
        matches!(&err, Error::TagLimit { what: "lock", .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), 2);
    let text = err.to_string();
    assert!(
        text.contains("50 tags") && text.contains("Nothing was changed"),
        "{text}"
    );
    let tag_resource = &all[rules.len() + 2];
    assert_eq!(tag_resource.num_calls(), 0, "no tag written");
    assert_eq!(rules[2].num_calls(), 0, "no RunTask");
}

/// A timeout whose StopTask does not finish within the stop wait (a container that ignores
/// SIGTERM and has a long `stopTimeout`, ECS slow to stop it): the run's own task is still
/// running when the watch gives up, so the restore waits for it to be STOPPED, like any other
/// task of the migration.
#[tokio::test(start_paused = true)]
async fn after_a_timeout_the_restore_waits_for_its_own_task_to_really_stop() {
    let start = Instant::now();
    let stops_at = Duration::from_secs(260); // timeout at 60 s + more than the 180 s stop wait
    let stop_requested = Arc::new(AtomicBool::new(false));
    let (update_service, updates) = desired_counts(start);
    let (listed, stop) = (stop_requested.clone(), stop_requested.clone());
    let rules = vec![
        describe_cluster(),
        describe_task_definition(one_container()),
        web_at_two(),
        update_service,
        // This migration's task: listed (desired STOPPED) once StopTask was sent.
        mock!(Client::list_tasks)
            .match_requests(|input| {
                input
                    .started_by()
                    .is_some_and(|s| s.starts_with("ecs-migrate/"))
            })
            .then_compute_output(move |_| {
                let tasks = if listed.load(Ordering::SeqCst) {
                    vec![TASK.to_owned()]
                } else {
                    vec![]
                };
                ListTasksOutput::builder()
                    .set_task_arns(Some(tasks))
                    .build()
            }),
        mock!(Client::describe_tasks).then_compute_output(move |_| {
            if start.elapsed() < stops_at {
                tasks(task("RUNNING"))
            } else {
                tasks(stopped(TaskStopCode::UserInitiated, 137))
            }
        }),
        mock!(Client::stop_task).then_compute_output(move |_| {
            stop.store(true, Ordering::SeqCst);
            StopTaskOutput::builder().task(task("RUNNING")).build()
        }),
        run_task_ok(),
    ];
    let all = with_records(&rules);
    let clients = pausing_web(mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &all));
    let request = Request {
        timeout: "60s".parse().unwrap(),
        ..pause_web()
    };
    let plan = ecs_migrate_core::resolve(&clients, &request).await.unwrap();

    let report = migration::run(&clients, &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::TimedOut);
    let updates = updates.lock().unwrap().clone();
    let restore = updates
        .iter()
        .find(|(count, _)| *count == 2)
        .expect("web was restored");
    assert!(
        restore.1 >= stops_at,
        "web restored at {:?}, while the run's own task ran until {stops_at:?}: {updates:?}",
        restore.1
    );
}

/// ListTasks may not list a task started a moment ago (eventual consistency): a drain that saw
/// no task of `web` still waits while the service itself counts one running, and starts the
/// migration only after that.
#[tokio::test(start_paused = true)]
async fn the_drain_waits_while_the_service_counts_a_task_list_tasks_does_not_show() {
    use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
    use aws_sdk_ecs::types::Service;

    let start = Instant::now();
    let gone_at = Duration::from_secs(10);
    let (update_service, _updates) = desired_counts(start);
    let run_task_at: Arc<Mutex<Option<Duration>>> = Arc::default();
    let seen = run_task_at.clone();
    let rules = vec![
        describe_cluster(),
        describe_task_definition(one_container()),
        mock!(Client::describe_services).then_compute_output(move |_| {
            let running = if start.elapsed() < gone_at { 1 } else { 0 };
            DescribeServicesOutput::builder()
                .services(
                    Service::builder()
                        .service_name("web")
                        .service_arn(SERVICE)
                        .status("ACTIVE")
                        .desired_count(2)
                        .running_count(running)
                        .build(),
                )
                .build()
        }),
        update_service,
        // web's tasks: none listed, ever (the one the service counts is too new for ListTasks).
        mock!(Client::list_tasks)
            .match_requests(|input| input.service_name() == Some("web"))
            .then_output(|| ListTasksOutput::builder().build()),
        mock!(Client::run_task).then_compute_output(move |_| {
            seen.lock().unwrap().get_or_insert(start.elapsed());
            RunTaskOutput::builder()
                .tasks(
                    Task::builder()
                        .task_arn(TASK)
                        .last_status("PROVISIONING")
                        .build(),
                )
                .build()
        }),
        mock!(Client::describe_tasks)
            .then_output(|| tasks(stopped(TaskStopCode::EssentialContainerExited, 0))),
    ];
    let all = with_records(&rules);
    let clients = pausing_web(mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &all));
    let plan = ecs_migrate_core::resolve(&clients, &pause_web())
        .await
        .unwrap();

    let report = migration::run(&clients, &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded, "{}", report.reason);
    let at = run_task_at.lock().unwrap().expect("RunTask was sent");
    assert!(
        at >= gone_at,
        "RunTask at {at:?}, while the service still counted a task until {gone_at:?}"
    );
}
