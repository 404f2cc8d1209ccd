//! A CloudWatch log stream whose lines become visible at given times, and runs against it.

use super::*;

/// Collects the log lines the core emits.
#[derive(Default)]
pub(crate) struct Lines(Mutex<Vec<String>>);

impl Progress for Lines {
    fn event(&self, event: Event<'_>) {
        if let Event::LogLine { message, .. } = event {
            self.0.lock().unwrap().push(message.to_owned());
        }
    }
}

/// A fake CloudWatch stream: line `i` becomes visible at `written_at(i)`; the stream exists from
/// `exists_from`; calls whose number is in `throttled` fail with ThrottlingException.
pub(crate) struct Stream {
    pub(crate) start: Instant,
    pub(crate) lines: Vec<(Duration, String)>,
    pub(crate) exists_from: Duration,
    pub(crate) throttled: Vec<usize>,
    pub(crate) calls: Arc<AtomicUsize>,
}

impl Stream {
    pub(crate) fn rule(self) -> Rule {
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

pub(crate) fn logged_container() -> Vec<ContainerDefinition> {
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
pub(crate) async fn run_with_stream(
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
pub(crate) async fn run_with_stream_settling(
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
        s3: no_s3(),
        tasks: Default::default(),
        log_reads: Default::default(),
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
