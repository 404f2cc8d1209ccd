//! Launching: RunTask failures, refusals before RunTask, the idempotency token across retries
//! and a lost answer, ConflictException.

use crate::fake::*;

/// RunTask `failures[]` is a failed verdict carrying each failure; nothing is polled.
#[tokio::test(start_paused = true)]
async fn run_task_failures_are_a_failed_verdict() {
    let run = mock!(Client::run_task).then_output(|| {
        RunTaskOutput::builder()
            .failures(
                Failure::builder()
                    .arn(CLUSTER)
                    .reason("RESOURCE:MEMORY")
                    .build(),
            )
            .build()
    });
    let describe = mock!(Client::describe_tasks).then_output(|| tasks(task("RUNNING")));
    let rules = plain_with(run, describe);
    let report = run_plainly(&rules, Timeout::default()).await.unwrap();

    assert_eq!(report.status, Status::Failed);
    assert_eq!(
        report.failures[0].reason.as_deref(),
        Some("RESOURCE:MEMORY")
    );
    assert_eq!(report.task_arn, None);
    assert_eq!(rules[3].num_calls(), 0);
}

/// Several essential containers are refused during resolution: RunTask is never called.
#[tokio::test]
async fn several_essential_containers_are_refused_before_run_task() {
    let containers = vec![
        ContainerDefinition::builder().name("app").build(),
        ContainerDefinition::builder()
            .name("worker")
            .essential(true)
            .build(),
        ContainerDefinition::builder()
            .name("envoy")
            .essential(false)
            .build(),
    ];
    let rules = [
        describe_cluster(),
        describe_task_definition(containers),
        run_task_ok(),
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let request = Request {
        cluster: "prod".into(),
        task_definition: Some("app:42".parse().unwrap()),
        subnets: vec!["subnet-a".into()],
        ..Request::default()
    };

    let err = ecs_migrate_core::resolve(&ecs_only(&ecs), &request)
        .await
        .unwrap_err();

    assert!(err.to_string().contains("(app, worker)"), "{err}");
    assert_eq!(err.code(), 2);
    assert_eq!(rules[2].num_calls(), 0);
}

/// Records the `clientToken` of every RunTask attempt that goes on the wire (retries included).
#[derive(Debug, Default, Clone)]
struct RunTaskTokens(Arc<Mutex<Vec<Option<String>>>>);

impl Intercept for RunTaskTokens {
    fn name(&self) -> &'static str {
        "RunTaskTokens"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let target = request.headers().get("x-amz-target").unwrap_or_default();
        if target.ends_with(".RunTask") {
            let body: serde_json::Value =
                serde_json::from_slice(request.body().bytes().unwrap_or_default())?;
            let token = body["clientToken"].as_str().map(str::to_owned);
            self.0.lock().unwrap().push(token);
        }
        Ok(())
    }
}

/// A RunTask whose response is lost (a 503 after ECS may already have started the task) is
/// retried by the SDK with the same `clientToken` — the one derived from the migration — which
/// ECS honours for 24 h, so the retry cannot start a second task.
#[tokio::test(start_paused = true)]
async fn a_run_task_retried_after_a_lost_response_cannot_start_two_tasks() {
    let run = mock!(Client::run_task)
        .sequence()
        .http_status(503, None)
        .output(|| RunTaskOutput::builder().tasks(task("PROVISIONING")).build())
        .build();
    let describe = mock!(Client::describe_tasks)
        .then_output(|| tasks(stopped(TaskStopCode::EssentialContainerExited, 0)));
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run,
        describe,
    ];
    let tokens = RunTaskTokens::default();
    let interceptor = tokens.clone();
    let ecs = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        &with_records(&rules),
        move |config| config.interceptor(interceptor.clone())
    );
    let plan = plan(&ecs, Timeout::default()).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    let sent = tokens.0.lock().unwrap().clone();
    assert_eq!(sent.len(), 2, "the lost response is retried once: {sent:?}");
    assert!(
        sent.iter()
            .all(|t| t.as_deref() == Some(plan.run_task.client_token.as_str())),
        "every attempt carries the migration's token {:?}: {sent:?}",
        plan.run_task.client_token
    );
}

fn conflict(resource_ids: Vec<String>) -> aws_sdk_ecs::operation::run_task::RunTaskError {
    aws_sdk_ecs::operation::run_task::RunTaskError::ConflictException(
        aws_sdk_ecs::types::error::ConflictException::builder()
            .set_resource_ids(Some(resource_ids))
            .message("The clientToken is already in use with a different RunTask request")
            .build(),
    )
}

/// Two runs of one migration with different parameters (another `--env` value) send RunTask
/// with the same token: ECS answers the second with ConflictException naming the task the token
/// started. The second run attaches to that task and gives its verdict; it starts nothing.
#[tokio::test(start_paused = true)]
async fn a_conflict_exception_attaches_to_the_task_the_token_started() {
    let probe = mock_client!(
        aws_sdk_ecs,
        RuleMode::MatchAny,
        &with_records(&[
            describe_cluster(),
            describe_task_definition(one_container())
        ])
    );
    let started_by = started_by_of(&probe).await;
    let run = mock!(Client::run_task).then_error(|| conflict(vec![TASK.into()]));
    let describe = mock!(Client::describe_tasks).then_output(move || {
        let mut task = stopped(TaskStopCode::EssentialContainerExited, 0);
        task.started_by = Some(started_by.clone());
        tasks(task)
    });
    let rules = plain_with(run, describe);
    let report = run_plainly(&rules, Timeout::default()).await.unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(report.task_arn.as_deref(), Some(TASK));
    assert_eq!(rules[2].num_calls(), 1, "RunTask once, not retried");
}

/// A ConflictException whose tasks are not this migration's is a clear error (exit 3) that
/// names them; nothing is started.
#[tokio::test(start_paused = true)]
async fn a_conflict_with_tasks_of_something_else_is_an_error_naming_them() {
    let run = mock!(Client::run_task).then_error(|| conflict(vec![TASK.into()]));
    let describe = mock!(Client::describe_tasks).then_output(|| {
        let mut task = task("RUNNING");
        task.started_by = Some("someone-else".into());
        tasks(task)
    });
    let rules = plain_with(run, describe);
    let err = run_plainly(&rules, Timeout::default()).await.unwrap_err();

    assert!(
        matches!(&err, Error::TokenConflict { tasks, .. } if tasks == &[TASK.to_owned()]),
        "{err:?}"
    );
    assert_eq!(err.code(), 3);
    assert!(err.to_string().contains(TASK), "{err}");
}

/// RunTask throttled past the SDK's attempts is sent again on top of them (its token makes
/// that safe) until it goes through: throttling slows a run down, it never ends it.
#[tokio::test(start_paused = true)]
async fn run_task_throttled_past_the_sdk_attempts_is_sent_again_until_it_starts() {
    use aws_sdk_ecs::operation::run_task::RunTaskError;
    let throttled = || {
        RunTaskError::generic(
            ErrorMetadata::builder()
                .code("ThrottlingException")
                .message("Rate exceeded")
                .build(),
        )
    };
    let run = mock!(Client::run_task)
        .sequence()
        .error(throttled)
        .times(12)
        .output(|| RunTaskOutput::builder().tasks(task("PROVISIONING")).build())
        .build();
    let describe = mock!(Client::describe_tasks)
        .then_output(|| tasks(stopped(TaskStopCode::EssentialContainerExited, 0)));
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run,
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;
    let retries = Retries::default();

    let report = migration::run(&ecs_only(&ecs), &plan, &retries, &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(
        rules[2].num_calls(),
        13,
        "12 throttled answers, then the task"
    );
    assert!(
        retries.0.lock().unwrap().contains(&"RunTask"),
        "the wait was announced"
    );
}
