//! A Fargate task that tears down after its deciding container's exit, and a run that pauses
//! `web` around it.

use super::*;

/// How the fake migration task ends.
#[derive(Clone, Copy)]
pub(crate) struct Fargate {
    /// When the deciding container exits, from the start of the test.
    pub(crate) exits_at: Duration,
    pub(crate) exit_code: i32,
    /// How long the task then spends in DEACTIVATING, STOPPING and DEPROVISIONING.
    pub(crate) teardown: Duration,
    /// An essential sidecar that takes this long after the migration's exit to stop (the task
    /// stays RUNNING, desired STOPPED, meanwhile).
    pub(crate) sidecar_stops_after: Option<Duration>,
    /// Whether ECS stops the task at the exit (the deciding container is essential); if not,
    /// the task stays wanted RUNNING with its sidecar.
    pub(crate) essential: bool,
}

impl Fargate {
    pub(crate) const TEARDOWN: Fargate = Fargate {
        exits_at: Duration::from_secs(30),
        exit_code: 0,
        teardown: Duration::from_secs(15),
        sidecar_stops_after: None,
        essential: true,
    };

    pub(crate) fn stopped_at(&self) -> Duration {
        self.exits_at + self.sidecar_stops_after.unwrap_or_default() + self.teardown
    }

    /// The task as DescribeTasks shows it `t` after the start.
    pub(crate) fn task(&self, t: Duration) -> Task {
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
pub(crate) struct TornDown {
    pub(crate) report: ecs_migrate_core::Report,
    /// When `web` was scaled back to 2.
    pub(crate) restored_at: Duration,
    /// When the run returned its verdict.
    pub(crate) returned_at: Duration,
    pub(crate) stop_reasons: Vec<String>,
}

/// Runs `request` (pausing `web`) against a migration task that ends as `fargate` says; with
/// `lines`, the container's log stream holds them.
pub(crate) async fn run_torn_down(
    fargate: Fargate,
    containers: Vec<ContainerDefinition>,
    request: Request,
    lines: Option<Vec<(Duration, String)>>,
) -> TornDown {
    let start = Instant::now();
    let (update_service, updates) = desired_counts(start);
    let stop_reasons: Arc<Mutex<Vec<String>>> = Arc::default();
    let reasons = stop_reasons.clone();
    let lookups = Arc::new(AtomicUsize::new(0));
    let rules = vec![
        describe_cluster(),
        describe_task_definition(containers),
        web_at_two(),
        update_service,
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

impl TornDown {
    /// `web` came back within [`PROMPT`] of the deciding container's exit.
    #[track_caller]
    pub(crate) fn assert_restored_promptly(&self, fargate: &Fargate) {
        assert!(
            self.restored_at <= fargate.exits_at + PROMPT,
            "web restored {:?} after the start, the container exited at {:?}",
            self.restored_at,
            fargate.exits_at
        );
    }

    /// The run returned its verdict within [`PROMPT`] of the deciding container's exit.
    #[track_caller]
    pub(crate) fn assert_returned_promptly(&self, fargate: &Fargate) {
        assert!(
            self.returned_at <= fargate.exits_at + PROMPT,
            "returned {:?} after the start, the container exited at {:?}",
            self.returned_at,
            fargate.exits_at
        );
    }
}

/// A migration container (essential or not) and an essential sidecar `sidecar`.
pub(crate) fn with_sidecar(migrate_essential: bool, sidecar: &str) -> Vec<ContainerDefinition> {
    vec![
        ContainerDefinition::builder()
            .name("migrate")
            .essential(migrate_essential)
            .build(),
        ContainerDefinition::builder()
            .name(sidecar)
            .essential(true)
            .build(),
    ]
}

/// The deadline the verdict must meet: 1.5 s after the deciding container's exit.
pub(crate) const PROMPT: Duration = Duration::from_millis(1_500);
