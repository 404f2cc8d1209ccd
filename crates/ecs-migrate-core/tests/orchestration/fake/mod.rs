//! The named fakes every orchestration test builds on: an ECS whose answers are computed from
//! the clock (`Clock`), an SSM Parameter Store kept in memory, tags kept per resource as ECS
//! keeps them (`with_records`, `with_tags`), the `web` service to pause, a CloudWatch stream
//! (`logs.rs`) and a Fargate task that tears down after its container's exit (`fargate.rs`).
//! Everything a test file needs comes from here (`use crate::fake::*`).

#![allow(unused_imports)]

pub(crate) mod fargate;
pub(crate) mod logs;
pub(crate) mod s3;

pub(crate) use fargate::*;
pub(crate) use logs::*;

pub(crate) use aws_sdk_cloudwatchlogs::operation::get_log_events::{
    GetLogEventsError, GetLogEventsOutput,
};
pub(crate) use aws_sdk_cloudwatchlogs::types::OutputLogEvent;
pub(crate) use aws_sdk_ecs::config::interceptors::BeforeTransmitInterceptorContextRef;
pub(crate) use aws_sdk_ecs::config::{ConfigBag, Intercept, RuntimeComponents};
pub(crate) use aws_sdk_ecs::error::BoxError;
pub(crate) use aws_sdk_ecs::error::ErrorMetadata;
pub(crate) use aws_sdk_ecs::operation::describe_clusters::DescribeClustersOutput;
pub(crate) use aws_sdk_ecs::operation::describe_task_definition::DescribeTaskDefinitionOutput;
pub(crate) use aws_sdk_ecs::operation::describe_tasks::{DescribeTasksError, DescribeTasksOutput};
pub(crate) use aws_sdk_ecs::operation::list_tags_for_resource::ListTagsForResourceOutput;
pub(crate) use aws_sdk_ecs::operation::list_tasks::ListTasksOutput;
pub(crate) use aws_sdk_ecs::operation::run_task::{RunTaskError, RunTaskOutput};
pub(crate) use aws_sdk_ecs::operation::stop_task::StopTaskOutput;
pub(crate) use aws_sdk_ecs::operation::tag_resource::TagResourceOutput;
pub(crate) use aws_sdk_ecs::operation::untag_resource::UntagResourceOutput;
pub(crate) use aws_sdk_ecs::types::{
    Cluster, Container, ContainerDefinition, Failure, NetworkMode, Task, TaskDefinition,
    TaskStopCode,
};
pub(crate) use aws_sdk_ecs::Client;
pub(crate) use aws_smithy_mocks::MockResponse;
pub(crate) use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
pub(crate) use ecs_migrate_core::{
    migration, Clients, Error, Plan, Request, Shutdown, Status, Timeout,
};
pub(crate) use ecs_migrate_core::{Event, Progress};
pub(crate) use std::sync::atomic::AtomicUsize;
pub(crate) use std::sync::atomic::{AtomicBool, Ordering};
pub(crate) use std::sync::{Arc, Mutex};
pub(crate) use std::time::Duration;
pub(crate) use tokio::time::Instant;

pub(crate) const CLUSTER: &str = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";

pub(crate) const TASK_DEFINITION: &str =
    "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:42";

pub(crate) const TASK: &str = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef";

pub(crate) fn describe_cluster() -> Rule {
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

pub(crate) fn describe_task_definition(containers: Vec<ContainerDefinition>) -> Rule {
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

/// RunTask refused: the identity may not run tasks.
pub(crate) fn run_task_denied() -> Rule {
    mock!(Client::run_task).then_error(|| {
        RunTaskError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("User: arn:aws:sts::123456789012:assumed-role/ci is not authorized to perform: ecs:RunTask")
                .build(),
        )
    })
}

pub(crate) fn run_task_ok() -> Rule {
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

pub(crate) fn task(status: &str) -> Task {
    Task::builder().task_arn(TASK).last_status(status).build()
}

pub(crate) fn stopped(code: TaskStopCode, exit_code: i32) -> Task {
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

pub(crate) fn tasks(task: Task) -> DescribeTasksOutput {
    DescribeTasksOutput::builder().tasks(task).build()
}

pub(crate) fn missing() -> DescribeTasksOutput {
    DescribeTasksOutput::builder()
        .failures(Failure::builder().arn(TASK).reason("MISSING").build())
        .build()
}

pub(crate) fn error(code: &str) -> DescribeTasksError {
    DescribeTasksError::generic(
        ErrorMetadata::builder()
            .code(code)
            .message("from the fake")
            .build(),
    )
}

pub(crate) async fn plan(ecs: &Client, timeout: Timeout) -> Plan {
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
pub(crate) fn parameter_store() -> aws_sdk_ssm::Client {
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
pub(crate) fn ecs_only(ecs: &Client) -> Clients {
    let none: [&Rule; 0] = [];
    Clients {
        ecs: ecs.clone(),
        logs: mock_client!(aws_sdk_cloudwatchlogs, RuleMode::MatchAny, none),
        autoscaling: mock_client!(aws_sdk_applicationautoscaling, RuleMode::MatchAny, none),
        ssm: parameter_store(),
        s3: no_s3(),
        tasks: Default::default(),
        log_reads: Default::default(),
    }
}

/// An S3 client that must not be called (these runs keep the lock in the cluster's tag).
pub(crate) fn no_s3() -> aws_sdk_s3::Client {
    let none: [&Rule; 0] = [];
    mock_client!(aws_sdk_s3, RuleMode::MatchAny, none)
}

pub(crate) fn one_container() -> Vec<ContainerDefinition> {
    vec![ContainerDefinition::builder().name("migrate").build()]
}

/// `rules` plus what the run-once, lock and pause phases call: tags kept per resource as ECS
/// keeps them (none at first: no outcome recorded on the task definition, no lock on the
/// cluster, no pause record), and no live task of this migration.
pub(crate) fn with_records(rules: &[Rule]) -> Vec<Rule> {
    with_tags(rules, &[])
}

/// [`with_records`], with tags already on some resources: `(ARN, [(key, value)])`.
pub(crate) fn with_tags(rules: &[Rule], initial: &[(&str, Vec<(String, String)>)]) -> Vec<Rule> {
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
pub(crate) struct Clock {
    pub(crate) start: Instant,
    pub(crate) stops_at: Option<Duration>,
    pub(crate) stop_requested: Arc<AtomicBool>,
    pub(crate) stop_reason: Arc<Mutex<Option<String>>>,
}

impl Clock {
    pub(crate) fn rules(&self) -> Vec<Rule> {
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

pub(crate) fn clock(stops_at: Option<Duration>) -> Clock {
    Clock {
        start: Instant::now(),
        stops_at,
        stop_requested: Arc::default(),
        stop_reason: Arc::default(),
    }
}

pub(crate) const SERVICE: &str = "arn:aws:ecs:eu-west-1:123456789012:service/prod/web";

pub(crate) const WEB_TASK: &str = "arn:aws:ecs:eu-west-1:123456789012:task/prod/web0000000000000";

/// DescribeServices: `web`, ACTIVE at 2 tasks.
pub(crate) fn web_at_two() -> Rule {
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
pub(crate) fn pausing_web(ecs: Client) -> Clients {
    let no_targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_output(|| {
            aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput::builder().build()
        });
    Clients {
        logs: ecs_only(&ecs).logs,
        ssm: parameter_store(),
        s3: no_s3(),
        tasks: Default::default(),
        log_reads: Default::default(),
        ecs,
        autoscaling: mock_client!(
            aws_sdk_applicationautoscaling,
            RuleMode::MatchAny,
            [&no_targets]
        ),
    }
}

/// The request of a run that pauses `web` around the migration.
pub(crate) fn pause_web() -> Request {
    Request {
        cluster: "prod".into(),
        task_definition: Some("app:42".parse().unwrap()),
        subnets: vec!["subnet-a".into()],
        services: vec!["web".into()],
        follow_logs: false,
        ..Request::default()
    }
}

/// The migration id a plan of [`plan`] runs (the `startedBy` of its tasks).
pub(crate) async fn started_by_of(ecs: &Client) -> String {
    plan(ecs, Timeout::default()).await.migration.started_by()
}

/// Counts the retries the core announces.
#[derive(Default)]
pub(crate) struct Retries(pub(crate) Mutex<Vec<&'static str>>);

impl Progress for Retries {
    fn event(&self, event: Event<'_>) {
        if let Event::Retrying { operation, .. } = event {
            self.0.lock().unwrap().push(operation);
        }
    }
}

/// A plain run's ECS: the cluster, the task definition (one container, `migrate`), RunTask's
/// task, and `describe` for what DescribeTasks answers about it.
pub(crate) fn plain(describe: Rule) -> [Rule; 4] {
    plain_with(run_task_ok(), describe)
}

/// [`plain`], with `run` for what RunTask answers.
pub(crate) fn plain_with(run: Rule, describe: Rule) -> [Rule; 4] {
    [
        describe_cluster(),
        describe_task_definition(one_container()),
        run,
        describe,
    ]
}

/// Runs the migration of [`plan`] (with `timeout`) against `rules` and the records' fakes, with
/// the SDK's standard retries.
pub(crate) async fn run_plainly(
    rules: &[Rule],
    timeout: Timeout,
) -> Result<ecs_migrate_core::Report, Error> {
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(rules));
    let plan = plan(&ecs, timeout).await;
    migration::run(&ecs_only(&ecs), &plan, &(), &mut Shutdown::never()).await
}

/// Each desired count UpdateService set, with when (from the test's start).
pub(crate) type DesiredCounts = Arc<Mutex<Vec<(i32, Duration)>>>;

/// UpdateService, answered and logged in the [`DesiredCounts`] it returns.
pub(crate) fn desired_counts(start: Instant) -> (Rule, DesiredCounts) {
    use aws_sdk_ecs::operation::update_service::UpdateServiceOutput;
    let counts: DesiredCounts = Arc::default();
    let recorded = counts.clone();
    let rule = mock!(Client::update_service).then_compute_output(move |input| {
        recorded
            .lock()
            .unwrap()
            .push((input.desired_count().unwrap(), start.elapsed()));
        UpdateServiceOutput::builder().build()
    });
    (rule, counts)
}
