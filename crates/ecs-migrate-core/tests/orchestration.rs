//! Orchestration tests: the real core against SDK-level fakes (aws-smithy-mocks) with paused tokio
//! time, for what the emulator cannot make happen on demand: MISSING after RunTask, throttling,
//! permission errors mid-run, and the polling cadence.

use aws_sdk_ecs::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_ecs::error::BoxError;
use aws_sdk_ecs::error::ErrorMetadata;
use aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput;
use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
use aws_sdk_ecs::operation::describe_tasks::{DescribeTasksError, DescribeTasksOutput};
use aws_sdk_ecs::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
use aws_sdk_ecs::operation::run_task::RunTaskOutput;
use aws_sdk_ecs::operation::stop_task::StopTaskOutput;
use aws_sdk_ecs::operation::tag_resource::TagResourceOutput;
use aws_sdk_ecs::operation::untag_resource::UntagResourceOutput;
use aws_sdk_ecs::types::{
    Cluster, Container, ContainerDefinition, Failure, NetworkMode, Task, TaskDefinition,
    TaskStopCode,
};
use aws_sdk_ecs::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use ecs_migrate_core::{migration, Clients, Error, Plan, Request, Shutdown, Status, Timeout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

// With the SDK's standard retries on (as in production), a throttled call is retried by the SDK
// first; `throttling_survives_the_sdk_retries` covers that combination.

const CLUSTER: &str = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";
const TASK_DEFINITION: &str = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42";
const TASK: &str = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef";

fn describe_cluster() -> Rule {
    mock!(Client::describe_clusters).then_output(|| {
        DescribeClustersOutput::builder()
            .clusters(
                Cluster::builder()
                    .cluster_arn(CLUSTER)
                    .status("ACTIVE")
                    .build(),
            )
            .build()
    })
}

fn describe_task_definition(containers: Vec<ContainerDefinition>) -> Rule {
    mock!(Client::describe_task_definition).then_output(move || {
        DescribeTaskDefinitionOutput::builder()
            .task_definition(
                TaskDefinition::builder()
                    .task_definition_arn(TASK_DEFINITION)
                    .network_mode(NetworkMode::Awsvpc)
                    .set_container_definitions(Some(containers.clone()))
                    .build(),
            )
            .build()
    })
}

fn run_task_ok() -> Rule {
    mock!(Client::run_task).then_output(|| {
        RunTaskOutput::builder()
            .tasks(
                Task::builder()
                    .task_arn(TASK)
                    .last_status("PROVISIONING")
                    .build(),
            )
            .build()
    })
}

fn task(status: &str) -> Task {
    Task::builder().task_arn(TASK).last_status(status).build()
}

fn stopped(code: TaskStopCode, exit_code: i32) -> Task {
    Task::builder()
        .task_arn(TASK)
        .last_status("STOPPED")
        .stop_code(code)
        .containers(
            Container::builder()
                .name("migrate")
                .exit_code(exit_code)
                .build(),
        )
        .build()
}

fn tasks(task: Task) -> DescribeTasksOutput {
    DescribeTasksOutput::builder().tasks(task).build()
}

fn missing() -> DescribeTasksOutput {
    DescribeTasksOutput::builder()
        .failures(Failure::builder().arn(TASK).reason("MISSING").build())
        .build()
}

fn error(code: &str) -> DescribeTasksError {
    DescribeTasksError::generic(
        ErrorMetadata::builder()
            .code(code)
            .message("from the fake")
            .build(),
    )
}

async fn plan(ecs: &Client, timeout: Timeout) -> Plan {
    let request = Request {
        cluster: "prod".into(),
        task_definition: Some("app:42".parse().unwrap()),
        subnets: vec!["subnet-a".into()],
        command: Some(vec!["bin/rails".into(), "db:migrate".into()]),
        timeout,
        follow_logs: false,
        ..Request::default()
    };
    ecs_migrate_core::resolve(&ecs_only(ecs), &request)
        .await
        .unwrap()
}

/// An SSM Parameter Store kept in memory as SSM keeps it (the outcome records): GetParameter
/// answers ParameterNotFound for a name never put; PutParameter without Overwrite refuses an
/// existing one.
fn parameter_store() -> aws_sdk_ssm::Client {
    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
    use aws_smithy_mocks::MockResponse;
    let store: Arc<Mutex<std::collections::HashMap<String, String>>> = Arc::default();
    let (read, written) = (store.clone(), store);
    let get = mock!(aws_sdk_ssm::Client::get_parameter).then_compute_response(move |input| {
        let name = input.name().unwrap_or_default();
        match read.lock().unwrap().get(name) {
            Some(value) => MockResponse::Output(
                GetParameterOutput::builder()
                    .parameter(
                        aws_sdk_ssm::types::Parameter::builder()
                            .name(name)
                            .value(value)
                            .build(),
                    )
                    .build(),
            ),
            None => MockResponse::Error(GetParameterError::ParameterNotFound(
                aws_sdk_ssm::types::error::ParameterNotFound::builder().build(),
            )),
        }
    });
    let put = mock!(aws_sdk_ssm::Client::put_parameter).then_compute_response(move |input| {
        let mut store = written.lock().unwrap();
        let name = input.name().unwrap_or_default().to_owned();
        if store.contains_key(&name) && input.overwrite() != Some(true) {
            return MockResponse::Error(PutParameterError::ParameterAlreadyExists(
                aws_sdk_ssm::types::error::ParameterAlreadyExists::builder().build(),
            ));
        }
        store.insert(name, input.value().unwrap_or_default().to_owned());
        MockResponse::Output(PutParameterOutput::builder().version(1).build())
    });
    mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&get, &put])
}

/// Clients whose CloudWatch Logs and Auto Scaling sides must not be called (these plans have
/// logs off and pause no service).
fn ecs_only(ecs: &Client) -> Clients {
    let none: [&Rule; 0] = [];
    Clients {
        ecs: ecs.clone(),
        logs: mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, none),
        autoscaling: mock_client!(aws_sdk_applicationautoscaling, RuleMode::MatchAny, none),
        ssm: parameter_store(),
    }
}

fn one_container() -> Vec<ContainerDefinition> {
    vec![ContainerDefinition::builder().name("migrate").build()]
}

/// `rules` plus what the run-once, lock and pause phases call: tags kept per resource as ECS
/// keeps them (none at first: no outcome recorded on the task definition, no lock on the
/// cluster, no pause record), and no live task of this migration.
fn with_records(rules: &[Rule]) -> Vec<Rule> {
    with_tags(rules, &[])
}

/// [`with_records`], with tags already on some resources: `(ARN, [(key, value)])`.
fn with_tags(rules: &[Rule], initial: &[(&str, Vec<(String, String)>)]) -> Vec<Rule> {
    type Tags = Arc<Mutex<std::collections::HashMap<String, Vec<(String, String)>>>>;
    let tags: Tags = Arc::new(Mutex::new(
        initial
            .iter()
            .map(|(arn, tags)| (arn.to_string(), tags.clone()))
            .collect(),
    ));
    let (listed, tagged, untagged) = (tags.clone(), tags.clone(), tags);
    let mut all = rules.to_vec();
    all.extend([
        mock!(Client::list_tags_for_resource).then_compute_output(move |input| {
            let tags = listed.lock().unwrap();
            let on = tags.get(input.resource_arn().unwrap_or_default());
            ListTagsForResourceOutput::builder()
                .set_tags(on.map(|on| {
                    on.iter()
                        .map(|(k, v)| aws_sdk_ecs::types::Tag::builder().key(k).value(v).build())
                        .collect()
                }))
                .build()
        }),
        mock!(Client::list_tasks).then_output(|| ListTasksOutput::builder().build()),
        mock!(Client::tag_resource).then_compute_output(move |input| {
            let mut tags = tagged.lock().unwrap();
            let on = tags
                .entry(input.resource_arn().unwrap_or_default().to_owned())
                .or_default();
            for tag in input.tags() {
                let (key, value) = (
                    tag.key().unwrap_or_default(),
                    tag.value().unwrap_or_default(),
                );
                on.retain(|(k, _)| k != key);
                on.push((key.to_owned(), value.to_owned()));
            }
            TagResourceOutput::builder().build()
        }),
        mock!(Client::untag_resource).then_compute_output(move |input| {
            let mut tags = untagged.lock().unwrap();
            if let Some(on) = tags.get_mut(input.resource_arn().unwrap_or_default()) {
                on.retain(|(k, _)| !input.tag_keys().contains(k));
            }
            UntagResourceOutput::builder().build()
        }),
    ]);
    all
}

/// A fake ECS whose task runs until `stops_at` (or until StopTask), then reports STOPPED.
struct Clock {
    start: Instant,
    stops_at: Option<Duration>,
    stop_requested: Arc<AtomicBool>,
    stop_reason: Arc<Mutex<Option<String>>>,
}

impl Clock {
    fn rules(&self) -> Vec<Rule> {
        let (start, stops_at) = (self.start, self.stops_at);
        let stop_requested = self.stop_requested.clone();
        let describe = mock!(Client::describe_tasks).then_compute_output(move |_| {
            if stop_requested.load(Ordering::SeqCst) {
                return tasks(stopped(TaskStopCode::UserInitiated, 143));
            }
            match stops_at {
                Some(at) if start.elapsed() >= at => {
                    tasks(stopped(TaskStopCode::EssentialContainerExited, 0))
                }
                _ => tasks(task("RUNNING")),
            }
        });
        let stop_requested = self.stop_requested.clone();
        let reason = self.stop_reason.clone();
        let stop = mock!(Client::stop_task).then_compute_output(move |input| {
            *reason.lock().unwrap() = input.reason().map(str::to_owned);
            stop_requested.store(true, Ordering::SeqCst);
            StopTaskOutput::builder().task(task("RUNNING")).build()
        });
        vec![
            describe_cluster(),
            describe_task_definition(one_container()),
            run_task_ok(),
            describe,
            stop,
        ]
    }
}

fn clock(stops_at: Option<Duration>) -> Clock {
    Clock {
        start: Instant::now(),
        stops_at,
        stop_requested: Arc::default(),
        stop_reason: Arc::default(),
    }
}

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
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run_task_ok(),
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();
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
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run_task_ok(),
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let err = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap_err();
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
    // 1 s first poll, then 2 + 4 + 8 + 16 + 30 s of backoff.
    assert_eq!(start.elapsed().as_secs(), 1 + 2 + 4 + 8 + 16 + 30);
}

/// Access denied while waiting cannot be waited out: the error names the task left running.
#[tokio::test(start_paused = true)]
async fn a_permission_error_while_waiting_names_the_task_left_running() {
    let describe = mock!(Client::describe_tasks).then_error(|| error("AccessDeniedException"));
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run_task_ok(),
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let err = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap_err();
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
    assert_eq!(err.kind(), "still_running");
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
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run,
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

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
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run_task_ok(),
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(rules[3].num_calls(), 13);
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

// ---- logs ----

use aws_sdk_cloudwatchlogs::operation::get_log_events::{GetLogEventsError, GetLogEventsOutput};
use aws_sdk_cloudwatchlogs::types::OutputLogEvent;
use aws_smithy_mocks::MockResponse;
use ecs_migrate_core::{Event, Progress};
use std::sync::atomic::AtomicUsize;

/// Collects the log lines the core emits.
#[derive(Default)]
struct Lines(Mutex<Vec<String>>);

impl Progress for Lines {
    fn event(&self, event: Event<'_>) {
        if let Event::LogLine { message, .. } = event {
            self.0.lock().unwrap().push(message.to_owned());
        }
    }
}

/// A fake CloudWatch stream: line `i` becomes visible at `written_at(i)`; the stream exists from
/// `exists_from`; calls whose number is in `throttled` fail with ThrottlingException.
struct Stream {
    start: Instant,
    lines: Vec<(Duration, String)>,
    exists_from: Duration,
    throttled: Vec<usize>,
    calls: Arc<AtomicUsize>,
}

impl Stream {
    fn rule(self) -> Rule {
        let calls = self.calls.clone();
        mock!(aws_sdk_cloudwatchlogs::Client::get_log_events).then_compute_response(move |input| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            assert_eq!(
                input.start_from_head(),
                Some(true),
                "pages must start from the head"
            );
            assert_eq!(
                input.log_stream_name(),
                Some("app/migrate/0123456789abcdef")
            );
            if self.throttled.contains(&n) {
                return MockResponse::Error(GetLogEventsError::generic(
                    ErrorMetadata::builder().code("ThrottlingException").build(),
                ));
            }
            let now = self.start.elapsed();
            if now < self.exists_from {
                return MockResponse::Error(GetLogEventsError::ResourceNotFoundException(
                    aws_sdk_cloudwatchlogs::types::error::ResourceNotFoundException::builder()
                        .message("The specified log stream does not exist.")
                        .build(),
                ));
            }
            let from: usize = input
                .next_token()
                .map(|t| t.trim_start_matches("f/").parse().unwrap())
                .unwrap_or(0);
            let visible = self.lines.iter().take_while(|(at, _)| *at <= now).count();
            let to = visible.min(from + 10_000);
            let events = self.lines[from..to]
                .iter()
                .enumerate()
                .map(|(i, (_, line))| {
                    OutputLogEvent::builder()
                        .timestamp((from + i) as i64)
                        .message(line)
                        .build()
                });
            MockResponse::Output(
                GetLogEventsOutput::builder()
                    .set_events(Some(events.collect()))
                    .next_forward_token(format!("f/{to}"))
                    .build(),
            )
        })
    }
}

fn logged_container() -> Vec<ContainerDefinition> {
    use aws_sdk_ecs::types::{LogConfiguration, LogDriver};
    vec![ContainerDefinition::builder()
        .name("migrate")
        .log_configuration(
            LogConfiguration::builder()
                .log_driver(LogDriver::Awslogs)
                .options("awslogs-group", "/ecs/app")
                .options("awslogs-region", "us-east-1")
                .options("awslogs-stream-prefix", "app")
                .build()
                .unwrap(),
        )
        .build()]
}

/// Runs a 30 s migration whose task stops at 30 s, against `stream`, with the default settle
/// window; returns the report, the lines shown, and the number of GetLogEvents calls.
async fn run_with_stream(
    lines: Vec<(Duration, String)>,
    exists_from: Duration,
    throttled: Vec<usize>,
) -> (ecs_migrate_core::Report, Vec<String>, usize) {
    run_with_stream_settling(
        lines,
        exists_from,
        throttled,
        ecs_migrate_core::DEFAULT_LOG_SETTLE,
    )
    .await
}

/// [`run_with_stream`] with the settle window `log_settle`.
async fn run_with_stream_settling(
    lines: Vec<(Duration, String)>,
    exists_from: Duration,
    throttled: Vec<usize>,
    log_settle: Duration,
) -> (ecs_migrate_core::Report, Vec<String>, usize) {
    let fake = clock(Some(Duration::from_secs(30)));
    let mut rules = fake.rules();
    rules[1] = describe_task_definition(logged_container());
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let calls = Arc::new(AtomicUsize::new(0));
    let stream = Stream {
        start: fake.start,
        lines,
        exists_from,
        throttled,
        calls: calls.clone(),
    };
    // The SDK's own retries are off: the fake computes answers from the request, which the mock
    // layer does not pass on retries. Our follower's backoff is what is under test.
    let logs = mock_client!(
        aws_sdk_cloudwatchlogs,
        RuleMode::MatchAny,
        &[stream.rule()],
        |c| c.retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::disabled())
    );
    let none: [&Rule; 0] = [];
    let autoscaling = mock_client!(aws_sdk_applicationautoscaling, RuleMode::MatchAny, none);
    let clients = Clients {
        ecs,
        logs,
        autoscaling,
        ssm: parameter_store(),
    };
    let request = Request {
        cluster: "prod".into(),
        task_definition: Some("app:42".parse().unwrap()),
        subnets: vec!["subnet-a".into()],
        log_tail: 3,
        log_settle,
        ..Request::default()
    };
    let plan = ecs_migrate_core::resolve(&clients, &request).await.unwrap();
    let shown = Lines::default();
    let report = migration::run(&clients, &plan, &shown, &mut Shutdown::never())
        .await
        .unwrap();
    let shown = shown.0.into_inner().unwrap();
    (report, shown, calls.load(Ordering::SeqCst))
}

/// 25,000 lines written over 30 s, the last ones in the final 100 ms before the task stops:
/// every line is shown once, in order, and the report's tail ends with the last one.
#[tokio::test(start_paused = true)]
async fn every_log_line_arrives_once_in_order_including_the_last() {
    let lines: Vec<(Duration, String)> = (0..25_000u64)
        .map(|i| (Duration::from_micros(1_200 * i), format!("line {i}")))
        .chain([(
            Duration::from_millis(29_950),
            "ERROR: the last words".to_owned(),
        )])
        .collect();
    let expected: Vec<String> = lines.iter().map(|(_, l)| l.clone()).collect();

    let (report, shown, calls) = run_with_stream(lines, Duration::ZERO, vec![]).await;

    assert_eq!(shown.len(), expected.len());
    assert!(shown == expected, "lines lost, repeated or out of order");
    assert_eq!(report.log_lines, expected.len() as u64);
    assert_eq!(
        report.log_tail,
        ["line 24998", "line 24999", "ERROR: the last words"]
    );
    assert!(calls <= 40, "{calls} GetLogEvents calls for a 30 s run");
}

/// A stream that does not exist yet (the container is still starting) is normal: polling goes on
/// and the lines written later are shown.
#[tokio::test(start_paused = true)]
async fn a_stream_that_does_not_exist_yet_is_waited_for() {
    let lines = vec![(Duration::from_secs(12), "migrating".to_owned())];

    let (report, shown, _) = run_with_stream(lines, Duration::from_secs(10), vec![]).await;

    assert_eq!(report.status, Status::Succeeded);
    assert_eq!(shown, ["migrating"]);
}

/// Throttled GetLogEvents (here, 6 of the first 15 calls, two of them in a row) backs off and
/// loses nothing.
#[tokio::test(start_paused = true)]
async fn throttled_log_reads_back_off_and_lose_nothing() {
    let lines: Vec<(Duration, String)> = (0..300u64)
        .map(|i| (Duration::from_millis(100 * i), format!("line {i}")))
        .collect();
    let expected: Vec<String> = lines.iter().map(|(_, l)| l.clone()).collect();

    let (report, shown, calls) =
        run_with_stream(lines, Duration::ZERO, vec![2, 3, 5, 8, 11, 14]).await;

    assert_eq!(report.status, Status::Succeeded);
    assert!(shown == expected, "lines lost or repeated under throttling");
    assert!(calls > 15, "throttled calls were retried");
}

const SERVICE: &str = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web";
const WEB_TASK: &str = "arn:aws:ecs:eu-west-1:123456789012:task/prod/web0000000000000";

/// DescribeServices: `web`, ACTIVE at 2 tasks.
fn web_at_two() -> Rule {
    use aws_sdk_ecs::operation::describe_services::DescribeServicesOutput;
    use aws_sdk_ecs::types::Service;
    mock!(Client::describe_services).then_output(|| {
        DescribeServicesOutput::builder()
            .services(
                Service::builder()
                    .service_name("web")
                    .service_arn(SERVICE)
                    .status("ACTIVE")
                    .desired_count(2)
                    .build(),
            )
            .build()
    })
}

/// Clients for a run that pauses `web` (no scalable target; logs off).
fn pausing_web(ecs: Client) -> Clients {
    let no_targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| {
            aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput::builder().build()
        });
    Clients {
        logs: ecs_only(&ecs).logs,
        ssm: parameter_store(),
        ecs,
        autoscaling: mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            [&no_targets]
        ),
    }
}

/// The request of a run that pauses `web` around the migration.
fn pause_web() -> Request {
    Request {
        cluster: "prod".into(),
        task_definition: Some("app:42".parse().unwrap()),
        subnets: vec!["subnet-a".into()],
        services: vec!["web".into()],
        follow_logs: false,
        ..Request::default()
    }
}

/// Counts the retries the core announces.
#[derive(Default)]
struct Retries(Mutex<Vec<&'static str>>);

impl Progress for Retries {
    fn event(&self, event: Event<'_>) {
        if let Event::Retrying { operation, .. } = event {
            self.0.lock().unwrap().push(operation);
        }
    }
}

/// A paused service comes back at its recorded count when the run ends in an AWS error
/// mid-way (RunTask denied after the drain), and a drain throttled past the SDK's retries is
/// waited out rather than ending the run with the app down.
#[tokio::test(start_paused = true)]
async fn a_paused_service_is_restored_after_an_aws_error_and_a_throttled_drain_is_waited_out() {
    use aws_sdk_ecs::operation::list_tasks::ListTasksError;
    use aws_sdk_ecs::operation::run_task::RunTaskError;
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
        mock!(Client::run_task).then_error(|| {
            RunTaskError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("not authorized to perform: ecs:RunTask")
                    .build(),
            )
        }),
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

// ---- real ECS semantics: RunTask idempotency, the restore guard, throttling, tag limits ----

/// The migration id a plan of [`plan`] runs (the `startedBy` of its tasks).
async fn started_by_of(ecs: &Client) -> String {
    plan(ecs, Timeout::default()).await.migration.started_by()
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
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run,
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let report = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

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
    let rules = [
        describe_cluster(),
        describe_task_definition(one_container()),
        run,
        describe,
    ];
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let plan = plan(&ecs, Timeout::default()).await;

    let err = migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never())
        .await
        .unwrap_err();

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

/// The restore guard: a run whose RunTask is denied while another run's task of the same
/// migration is running (two pipelines at once) leaves the service paused until that task has
/// STOPPED, then puts it back at its recorded count. Its error is one line: the operation, the
/// resource, AWS's code and message, the IAM action to allow; no SDK dump.
#[tokio::test(start_paused = true)]
async fn no_restore_while_a_task_of_the_migration_is_still_running() {
    use aws_sdk_ecs::operation::run_task::RunTaskError;
    use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;

    let start = Instant::now();
    let other_stops_at = Duration::from_secs(40);
    let updates: Arc<Mutex<Vec<(i32, Duration)>>> = Arc::default();
    let recorded = updates.clone();
    let lookups = Arc::new(AtomicUsize::new(0));
    let rules = vec![
        describe_cluster(),
        describe_task_definition(one_container()),
        web_at_two(),
        mock!(Client::update_service).then_compute_output(move |input| {
            recorded
                .lock()
                .unwrap()
                .push((input.desired_count().unwrap(), start.elapsed()));
            UpdateServiceOutput::builder().build()
        }),
        // The other run's task of this migration: listed while ECS wants it running, except
        // in the first answer (this run's look for a task to attach to): ListTasks is
        // eventually consistent, and that run's RunTask had only just returned.
        mock!(Client::list_tasks)
            .match_requests(|input| {
                input.started_by().is_some_and(|s| s.starts_with("ecs-migrate/"))
            })
            .then_compute_output(move |input| {
                if lookups.fetch_add(1, Ordering::SeqCst) == 0 {
                    return ListTasksOutput::builder().build();
                }
                let running = start.elapsed() < other_stops_at;
                let wanted = input.desired_status()
                    == Some(&aws_sdk_ecs::types::DesiredStatus::Running);
                let listed = if running == wanted { vec![TASK.to_owned()] } else { vec![] };
                ListTasksOutput::builder().set_task_arns(Some(listed)).build()
            }),
        mock!(Client::describe_tasks).then_compute_output(move |_| {
            if start.elapsed() < other_stops_at {
                tasks(task("RUNNING"))
            } else {
                tasks(stopped(TaskStopCode::EssentialContainerExited, 0))
            }
        }),
        mock!(Client::run_task).then_error(|| {
            RunTaskError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: ecs:RunTask")
                    .build(),
            )
        }),
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

/// CloudWatch shows an event a moment after it was put: lines that become visible up to 0.9 s
/// after the task stopped (the last ones, which carry the error) are still read, because the
/// final read goes on until the settle window (default 1 s) after the stop has passed.
#[tokio::test(start_paused = true)]
async fn lines_that_show_up_after_the_task_stopped_are_still_read() {
    assert_lines_read_at_lag(
        Duration::from_millis(900),
        ecs_migrate_core::DEFAULT_LOG_SETTLE,
    )
    .await;
}

/// A slower log group needs a longer window: at 1.9 s of lag, a 2 s window reads every line.
#[tokio::test(start_paused = true)]
async fn a_longer_settle_window_reads_lines_that_show_up_later() {
    assert_lines_read_at_lag(Duration::from_millis(1_900), Duration::from_secs(2)).await;
}

/// Every line, the last included, is shown when each becomes visible `lag` after it was written
/// and the window is `log_settle`.
async fn assert_lines_read_at_lag(lag: Duration, log_settle: Duration) {
    let lines: Vec<(Duration, String)> = (0..3_000u64)
        .map(|i| (Duration::from_millis(10 * i) + lag, format!("line {i}")))
        .chain([(
            Duration::from_millis(29_990) + lag,
            "ERROR: the last words".to_owned(),
        )])
        .collect();
    let expected: Vec<String> = lines.iter().map(|(_, l)| l.clone()).collect();

    let (report, shown, _) =
        run_with_stream_settling(lines, Duration::ZERO, vec![], log_settle).await;

    assert!(
        shown == expected,
        "{} of {} lines shown",
        shown.len(),
        expected.len()
    );
    assert_eq!(
        report.log_tail.last().map(String::as_str),
        Some("ERROR: the last words")
    );
}

/// A timeout whose StopTask does not finish within the stop wait (a container that ignores
/// SIGTERM and has a long `stopTimeout`, ECS slow to stop it): the run's own task is still
/// running when the watch gives up, so the restore waits for it to be STOPPED, like any other
/// task of the migration.
#[tokio::test(start_paused = true)]
async fn after_a_timeout_the_restore_waits_for_its_own_task_to_really_stop() {
    use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;

    let start = Instant::now();
    let stops_at = Duration::from_secs(260); // timeout at 60 s + more than the 180 s stop wait
    let stop_requested = Arc::new(AtomicBool::new(false));
    let updates: Arc<Mutex<Vec<(i32, Duration)>>> = Arc::default();
    let recorded = updates.clone();
    let (listed, stop) = (stop_requested.clone(), stop_requested.clone());
    let rules = vec![
        describe_cluster(),
        describe_task_definition(one_container()),
        web_at_two(),
        mock!(Client::update_service).then_compute_output(move |input| {
            recorded
                .lock()
                .unwrap()
                .push((input.desired_count().unwrap(), start.elapsed()));
            UpdateServiceOutput::builder().build()
        }),
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

// ---- the verdict at the deciding container's exit, not after Fargate's teardown ----

/// How the fake migration task ends.
#[derive(Clone, Copy)]
struct Fargate {
    /// When the deciding container exits, from the start of the test.
    exits_at: Duration,
    exit_code: i32,
    /// How long the task then spends in DEACTIVATING, STOPPING and DEPROVISIONING.
    teardown: Duration,
    /// An essential sidecar that takes this long after the migration's exit to stop (the task
    /// stays RUNNING, desired STOPPED, meanwhile).
    sidecar_stops_after: Option<Duration>,
    /// Whether ECS stops the task at the exit (the deciding container is essential); if not,
    /// the task stays wanted RUNNING with its sidecar.
    essential: bool,
}

impl Fargate {
    const TEARDOWN: Fargate = Fargate {
        exits_at: Duration::from_secs(30),
        exit_code: 0,
        teardown: Duration::from_secs(15),
        sidecar_stops_after: None,
        essential: true,
    };

    fn stopped_at(&self) -> Duration {
        self.exits_at + self.sidecar_stops_after.unwrap_or_default() + self.teardown
    }

    /// The task as DescribeTasks shows it `t` after the start.
    fn task(&self, t: Duration) -> Task {
        let ago = |at: Duration| {
            aws_smithy_types::DateTime::from(std::time::SystemTime::now() - (t - at))
        };
        let container = |name: &str, stopped: Option<i32>| {
            let builder = Container::builder().name(name);
            match stopped {
                Some(code) => builder.last_status("STOPPED").exit_code(code).build(),
                None => builder.last_status("RUNNING").build(),
            }
        };
        let sidecar_stops = self.exits_at + self.sidecar_stops_after.unwrap_or_default();
        let mut containers = vec![];
        if t < self.exits_at {
            containers.push(container("migrate", None));
        } else {
            containers.push(container("migrate", Some(self.exit_code)));
        }
        if self.sidecar_stops_after.is_some() {
            containers.push(container("envoy", (t >= sidecar_stops).then_some(143)));
        }
        let builder = Task::builder()
            .task_arn(TASK)
            .set_containers(Some(containers))
            .started_at(ago(Duration::ZERO));
        if t < self.exits_at || !self.essential {
            return builder
                .last_status("RUNNING")
                .desired_status("RUNNING")
                .build();
        }
        let builder = builder
            .desired_status("STOPPED")
            .stop_code(TaskStopCode::EssentialContainerExited)
            .stopped_reason("Essential container in task exited");
        if t < sidecar_stops {
            return builder.last_status("RUNNING").build();
        }
        let builder = builder.execution_stopped_at(ago(sidecar_stops));
        let into = t - sidecar_stops;
        let status = if into >= self.teardown {
            return builder
                .last_status("STOPPED")
                .stopped_at(ago(self.stopped_at()))
                .build();
        } else if into < self.teardown / 3 {
            "DEACTIVATING"
        } else if into < self.teardown * 2 / 3 {
            "STOPPING"
        } else {
            "DEPROVISIONING"
        };
        builder.last_status(status).build()
    }
}

/// What a run that paused `web` around a [`Fargate`] task saw.
struct TornDown {
    report: ecs_migrate_core::Report,
    /// When `web` was scaled back to 2.
    restored_at: Duration,
    /// When the run returned its verdict.
    returned_at: Duration,
    stop_reasons: Vec<String>,
}

/// Runs `request` (pausing `web`) against a migration task that ends as `fargate` says; with
/// `lines`, the container's log stream holds them.
async fn run_torn_down(
    fargate: Fargate,
    containers: Vec<ContainerDefinition>,
    request: Request,
    lines: Option<Vec<(Duration, String)>>,
) -> TornDown {
    use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;

    let start = Instant::now();
    let updates: Arc<Mutex<Vec<(i32, Duration)>>> = Arc::default();
    let stop_reasons: Arc<Mutex<Vec<String>>> = Arc::default();
    let (recorded, reasons) = (updates.clone(), stop_reasons.clone());
    let lookups = Arc::new(AtomicUsize::new(0));
    let rules = vec![
        describe_cluster(),
        describe_task_definition(containers),
        web_at_two(),
        mock!(Client::update_service).then_compute_output(move |input| {
            recorded
                .lock()
                .unwrap()
                .push((input.desired_count().unwrap(), start.elapsed()));
            UpdateServiceOutput::builder().build()
        }),
        // web's old task: listed once (when paused), then gone and STOPPED.
        mock!(Client::list_tasks)
            .match_requests(|input| input.service_name() == Some("web"))
            .sequence()
            .output(|| ListTasksOutput::builder().task_arns(WEB_TASK).build())
            .output(|| ListTasksOutput::builder().build())
            .repeatedly()
            .build(),
        // The migration's task, listed under the desired status ECS gives it (not in the first
        // answer: the look for a live task to attach to, before RunTask).
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
                let wanted_running = start.elapsed() < fargate.exits_at;
                let asked_running =
                    input.desired_status() == Some(&aws_sdk_ecs::types::DesiredStatus::Running);
                let listed = if wanted_running == asked_running {
                    vec![TASK.to_owned()]
                } else {
                    vec![]
                };
                ListTasksOutput::builder()
                    .set_task_arns(Some(listed))
                    .build()
            }),
        mock!(Client::describe_tasks).then_compute_output(move |input| {
            if input.tasks().iter().any(|t| t == WEB_TASK) {
                return tasks(
                    Task::builder()
                        .task_arn(WEB_TASK)
                        .last_status("STOPPED")
                        .build(),
                );
            }
            tasks(fargate.task(start.elapsed()))
        }),
        mock!(Client::stop_task).then_compute_output(move |input| {
            reasons
                .lock()
                .unwrap()
                .push(input.reason().unwrap_or_default().to_owned());
            StopTaskOutput::builder().task(task("RUNNING")).build()
        }),
        run_task_ok(),
    ];
    let all = with_records(&rules);
    let mut clients = pausing_web(mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &all));
    if let Some(lines) = lines {
        let stream = Stream {
            start,
            lines,
            exists_from: Duration::ZERO,
            throttled: vec![],
            calls: Arc::default(),
        };
        clients.logs = mock_client!(
            aws_sdk_cloudwatchlogs,
            RuleMode::MatchAny,
            &[stream.rule()],
            |c| c.retry_config(aws_sdk_cloudwatchlogs::config::retry::RetryConfig::disabled())
        );
    }
    let plan = ecs_migrate_core::resolve(&clients, &request).await.unwrap();

    let report = migration::run(&clients, &plan, &(), &mut Shutdown::never())
        .await
        .unwrap();

    let returned_at = start.elapsed();
    let updates = updates.lock().unwrap().clone();
    let restored_at = updates
        .iter()
        .find(|(count, _)| *count == 2)
        .unwrap_or_else(|| panic!("web was not restored: {updates:?}"))
        .1;
    let stop_reasons = stop_reasons.lock().unwrap().clone();
    TornDown {
        report,
        restored_at,
        returned_at,
        stop_reasons,
    }
}

/// The deadline the verdict must meet: 1.5 s after the deciding container's exit.
const PROMPT: Duration = Duration::from_millis(1_500);

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
    assert!(
        run.restored_at <= fargate.exits_at + PROMPT,
        "web restored {:?} after the start, the container exited at {:?}",
        run.restored_at,
        fargate.exits_at
    );
    assert!(
        run.returned_at <= fargate.exits_at + PROMPT,
        "{:?}",
        run.returned_at
    );
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
    assert!(
        run.restored_at <= fargate.exits_at + PROMPT,
        "{:?}",
        run.restored_at
    );
    assert!(
        run.returned_at <= fargate.exits_at + PROMPT,
        "{:?}",
        run.returned_at
    );
}

/// An essential sidecar that takes 20 s to stop after the migration exited (the task stays
/// RUNNING meanwhile, no `executionStoppedAt` yet) does not delay the verdict or the restore.
#[tokio::test(start_paused = true)]
async fn an_essential_sidecar_still_stopping_does_not_delay_the_verdict() {
    let fargate = Fargate {
        sidecar_stops_after: Some(Duration::from_secs(20)),
        ..Fargate::TEARDOWN
    };
    let containers = vec![
        ContainerDefinition::builder().name("migrate").build(),
        ContainerDefinition::builder()
            .name("envoy")
            .essential(true)
            .build(),
    ];
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
    assert!(
        run.restored_at <= fargate.exits_at + PROMPT,
        "{:?}",
        run.restored_at
    );
    assert!(
        run.returned_at <= fargate.exits_at + PROMPT,
        "{:?}",
        run.returned_at
    );
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
    let containers = vec![
        ContainerDefinition::builder()
            .name("migrate")
            .essential(false)
            .build(),
        ContainerDefinition::builder()
            .name("cloud-sql-proxy")
            .essential(true)
            .build(),
    ];
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
    assert!(
        run.returned_at <= fargate.exits_at + PROMPT,
        "{:?}",
        run.returned_at
    );
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

    assert!(
        run.restored_at <= fargate.exits_at + PROMPT,
        "{:?}",
        run.restored_at
    );
    // The window counts on the wall clock from ECS's timestamp: a few ms of this test's own
    // run time show up here, so "after the last line became visible" is what is held.
    assert!(
        run.returned_at > Duration::from_secs(34),
        "returned at {:?}, before the last line was visible",
        run.returned_at
    );
    assert_eq!(run.report.log_tail, ["migrating", "ERROR: the last words"]);
}
