//! The S3 lock under faults the emulator cannot make on demand.

use crate::fake::s3::LockBucket;
use crate::fake::*;
use std::sync::atomic::Ordering;

/// A run with its lock in S3 (and no service to pause).
fn s3_plan_request() -> Request {
    Request {
        cluster: "prod".into(),
        task_definition: Some("app:42".parse().unwrap()),
        subnets: vec!["subnet-a".into()],
        follow_logs: false,
        lock: "s3://locks/team-a".parse().unwrap(),
        ..Request::default()
    }
}

/// A run whose migration succeeds at once, with its lock in `bucket`: the ECS rules (RunTask is
/// `rules[2]`) and the clients.
fn succeeding_run(bucket: &LockBucket) -> ([Rule; 4], Clients) {
    let rules = plain(
        mock!(Client::describe_tasks)
            .then_output(|| tasks(stopped(TaskStopCode::EssentialContainerExited, 0))),
    );
    let ecs = mock_client!(aws_sdk_ecs, RuleMode::MatchAny, &with_records(&rules));
    let clients = Clients {
        s3: bucket.client(),
        tasks: Default::default(),
        log_reads: Default::default(),
        ..ecs_only(&ecs)
    };
    (rules, clients)
}

/// The answer to the PutObject that takes the lock is lost after S3 wrote it (a 5xx): the retry
/// fails its `If-None-Match: *` against the run's own write, and the run reads the object back,
/// finds its own nonce and goes on — it does not take itself for another run and wait. It
/// renews and releases on the ETag it read.
#[tokio::test(start_paused = true)]
async fn a_lost_answer_to_taking_the_s3_lock_is_recognised_by_the_runs_own_nonce() {
    let bucket = LockBucket::default();
    bucket.lose_next_put.store(true, Ordering::Relaxed);
    let (_, clients) = succeeding_run(&bucket);
    let plan = ecs_migrate_core::resolve(&clients, &s3_plan_request())
        .await
        .unwrap();
    let writes = Arc::new(Mutex::new(Vec::new()));
    let seen = writes.clone();
    let watch = bucket.clone();
    let progress = Watching(Box::new(move |event| {
        if let Event::TaskStarted { .. } = event {
            seen.lock().unwrap().push(watch.document());
        }
    }));

    let report = migration::run(&clients, &plan, &progress, &mut Shutdown::never())
        .await
        .unwrap();

    assert_eq!(report.status, Status::Succeeded, "{}", report.reason);
    let held = writes.lock().unwrap()[0]
        .clone()
        .expect("the lock while the task ran");
    assert_eq!(held["run"], plan.run_id.as_str());
    assert_eq!(
        bucket.puts.load(Ordering::Relaxed),
        2,
        "the lost write and its retry; no third write to take the lock again"
    );
    assert_eq!(bucket.document(), None, "released on the ETag it read back");
}

/// Another run wrote the lock between this run's look and its take: the take's condition fails,
/// and the run looks again and waits for that run as for any holder (here: gives up, exit 5),
/// never pausing a service or starting a task.
#[tokio::test(start_paused = true)]
async fn a_run_that_loses_the_race_for_the_s3_lock_waits_as_for_a_holder() {
    let bucket = LockBucket::default();
    let (rules, clients) = succeeding_run(&bucket);
    let request = Request {
        wait_for_lock: Duration::from_secs(10),
        ..s3_plan_request()
    };
    let plan = ecs_migrate_core::resolve(&clients, &request).await.unwrap();
    // The other run's lock lands after this run's look found the app free, before its take.
    let other = serde_json::json!({
        "run": "r-0000000000ff", "since": "2026-12-01T10:00:00Z", "expires": "2999-01-01T00:00:00Z",
        "migration": "00000000000000ff",
        "pause_records": {"cluster": "prod", "services": ["web"], "tags": []}, "write": "r-0000000000ff-0"
    });
    *bucket.lands_before_next_put.lock().unwrap() = Some(other.to_string().into_bytes());
    let progress = Watching(Box::new(|_| {}));

    let err = migration::run(&clients, &plan, &progress, &mut Shutdown::never())
        .await
        .unwrap_err();

    assert_eq!(err.code(), 5, "{err}");
    assert!(err.to_string().contains("r-0000000000ff"), "{err}");
    assert_eq!(rules[2].num_calls(), 0, "no RunTask");
    assert_eq!(bucket.document().unwrap()["run"], "r-0000000000ff");
}

/// Progress as a closure, for tests that look at the world at a given event.
struct Watching(Box<dyn Fn(&Event<'_>) + Send + Sync>);

impl Progress for Watching {
    fn event(&self, event: Event<'_>) {
        (self.0)(&event)
    }
}
