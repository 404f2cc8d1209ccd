//! The log follower: every line once and in order, a stream that does not exist yet, throttled
//! reads, ingestion lag against the settle window.

use crate::fake::*;

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
