//! How the CLI shows a run to people and programs.
//!
//! - stderr: the tool's own progress. A spinner with the phase and elapsed time when stderr is a
//!   terminal; plain lines otherwise (CI logs), via indicatif either way.
//! - stdout: the migration's log lines in text mode; exactly one JSON document in JSON mode (the
//!   log lines then go to stderr).

use crate::signals::Running;
use ecs_migrate_core::{Error, Event, Plan, Progress, Report, ServiceReport, Status};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

pub struct Renderer {
    /// Present when stderr is a terminal.
    bar: Option<ProgressBar>,
    json: bool,
    timestamps: bool,
    running: Running,
    /// Without a spinner: the service tasks still draining when last said, so that a long
    /// drain shows in CI logs without a line a second.
    drain_said: AtomicUsize,
}

impl Renderer {
    pub fn new(json: bool, timestamps: bool, running: Running) -> Renderer {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
                    .expect("valid template"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bar.set_message("resolving");
            bar
        });
        Renderer {
            bar,
            json,
            timestamps,
            running,
            drain_said: AtomicUsize::new(usize::MAX),
        }
    }

    /// A line of the tool's own, on stderr (above the spinner when there is one).
    pub fn say(&self, line: &str) {
        let line = format!("ecs-migrate: {line}");
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn status(&self, text: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(text);
        }
    }

    fn log_line(&self, timestamp_ms: Option<i64>, message: &str) {
        let line = match (self.timestamps, timestamp_ms) {
            (true, Some(ms)) => {
                let at = aws_smithy_types_fmt(ms);
                format!("{at} {message}")
            }
            _ => message.to_owned(),
        };
        let write = || {
            if self.json {
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            } else {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        };
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    pub fn plan(&self, plan: &Plan) {
        self.say(&format!("cluster {}", plan.cluster));
        self.say(&format!("task definition {}", plan.task_definition));
        let command = plan
            .run_task
            .overrides
            .container_overrides
            .first()
            .and_then(|o| o.command.as_ref())
            .map(|c| c.join(" "))
            .unwrap_or_else(|| "the task definition's".into());
        self.say(&format!(
            "container {} (command: {command})",
            plan.container
        ));
        if let Some(service) = &plan.from_service {
            self.say(&format!("settings from service {service}"));
        }
        self.say(&format!("timeout {}", plan.timeout));
        self.say(&format!(
            "lock {}",
            plan.lock.location(&plan.cluster, &plan.family)
        ));
        if let Some(pause) = &plan.pause {
            for service in &pause.services {
                let (before, note) = match &service.leftover {
                    Some(record) => (
                        record.desired_count,
                        format!(
                            " (paused by run {} at {}, from {}: if that run is gone, this one restores it first)",
                            record.run_id, record.paused_at, record.desired_count
                        ),
                    ),
                    None => (service.desired_count, String::new()),
                };
                let after = pause.restore_to.unwrap_or(before);
                let scaling = if service.autoscaling.is_some()
                    || service
                        .leftover
                        .as_ref()
                        .is_some_and(|r| r.autoscaling.is_some())
                {
                    ", auto scaling suspended meanwhile"
                } else {
                    ""
                };
                self.say(&format!(
                    "service {}: pause {before} → {}, restore → {after}{scaling}{note}",
                    service.name, pause.min_capacity
                ));
            }
        }
    }
}

/// RFC 3339 with milliseconds, for `--log-timestamps`.
fn aws_smithy_types_fmt(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000) as u32;
    ecs_migrate_core::ecs::primitives::DateTime::from_secs_and_nanos(secs, millis * 1_000_000)
        .fmt(ecs_migrate_core::ecs::primitives::DateTimeFormat::DateTime)
        .unwrap_or_else(|_| ms.to_string())
}

impl Progress for Renderer {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Planned(plan) => {
                self.running.set_cluster(&plan.cluster);
                self.plan(plan);
                self.status("starting the migration task".into());
            }
            Event::TaskStarted { task_arn } => {
                self.running.set_task(task_arn);
                self.say(&format!("started task {task_arn}"));
            }
            Event::Attached { task_arn } => {
                self.running.set_task(task_arn);
                self.say(&format!(
                    "this migration's task {task_arn} is already running: attaching to it instead of starting another"
                ));
            }
            Event::Joined { task_arn, run_id } => self.say(&format!(
                "run {run_id} is running this same migration (task {task_arn}): joining it"
            )),
            Event::TaskStatus {
                status, elapsed, ..
            } => {
                self.say(&format!("task {status} ({})", elapsed_text(elapsed)));
                self.status(format!("task {status}"));
            }
            Event::LogLine {
                timestamp_ms,
                message,
            } => self.log_line(timestamp_ms, message),
            Event::LogsUnavailable { reason } => {
                self.say(&format!("logs are not available: {reason}"))
            }
            Event::Retrying {
                operation,
                message,
                retry_in,
            } => self.say(&format!(
                "{operation} failed, retrying in {}s: {message}",
                retry_in.as_secs()
            )),
            Event::Stopping { task_arn, reason } => {
                self.say(&format!("stopping task {task_arn}: {reason}"));
                self.status("stopping the task".into());
            }
            Event::LeftoverFound {
                service,
                run_id,
                paused_at,
                desired_count,
                now,
            } => self.say(&format!(
                "service {service} was left paused by run {run_id} at {paused_at} (desired count {now} now): restoring it to its recorded {desired_count}"
            )),
            Event::ServicePaused { service, from, to } => {
                self.running.paused(service);
                self.say(&format!("paused service {service}: desired count {from} → {to}"));
                self.status("pausing services".into());
            }
            Event::Draining { remaining, elapsed } => {
                let text = format!(
                    "waiting for {remaining} service task(s) to stop ({})",
                    elapsed_text(elapsed)
                );
                if self.bar.is_none() {
                    if self.drain_said.swap(remaining, Ordering::Relaxed) != remaining {
                        self.say(&text);
                    }
                } else {
                    self.status(text);
                }
            }
            Event::ServicesDrained { elapsed } => self.say(&format!(
                "the services' old tasks have stopped ({})",
                elapsed_text(elapsed)
            )),
            Event::ServiceRestored {
                service,
                desired_count,
                autoscaling,
            } => {
                self.running.restored(service);
                let scaling = if autoscaling { " and its auto scaling" } else { "" };
                self.say(&format!(
                    "restored service {service}{scaling}: desired count {desired_count}"
                ));
                self.status("restoring services".into());
            }
            Event::KeptPaused { services, command } => self.say(&format!(
                "LEFT PAUSED as asked (--keep-paused-on-failure): {}. Restore them with: {command} (the next `ecs-migrate run` of this app also restores them first)",
                services.join(", ")
            )),
            Event::RecordsMoved {
                task_definition,
                count,
                to,
            } => self.say(&format!(
                "moved {count} outcome record(s) from the tags of {task_definition} to Parameter Store ({to}/…)"
            )),
            Event::WaitingForLock {
                what,
                holder,
                up_to,
            } => {
                self.say(&format!(
                    "warning: {what} is locked by run {} since {}{}; waiting up to {}s for it",
                    holder.run_id,
                    holder.since,
                    holder
                        .task
                        .as_deref()
                        .map(|t| format!(" (task {t})"))
                        .unwrap_or_default(),
                    up_to.as_secs()
                ));
                self.status(format!("waiting for run {} to let go", holder.run_id));
            }
            Event::TakingOverLock {
                what,
                run_id,
                since,
                silent_for,
            } => self.say(&format!(
                "warning: {what} was locked by run {run_id} since {since}, which is gone (no live task, its lock not renewed for {}s): taking over",
                silent_for.as_secs()
            )),
            Event::RenewalFailed {
                error,
                take_over_after,
            } => self.say(&format!(
                "warning: could not renew the lock (other runs take over {}s after the last renewal): {error}",
                take_over_after.as_secs()
            )),
            Event::Warning(text) => self.say(&format!("warning: {text}")),
        }
    }
}

pub fn elapsed_text(elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        let whole = elapsed.as_secs();
        format!("{}m{:02}s", whole / 60, whole % 60)
    }
}

pub fn dry_run(renderer: &Renderer, plan: &Plan, json: bool) {
    renderer.finish();
    let mut stdout = std::io::stdout().lock();
    if json {
        let doc = serde_json::json!({ "status": "dry_run", "plan": plan });
        let _ = writeln!(stdout, "{doc}");
    } else {
        renderer.plan(plan);
        let _ = writeln!(
            stdout,
            "Dry run: nothing was started. Logs: {}\nRunTask request:\n{}",
            serde_json::to_string(&plan.logs).expect("plan serialises"),
            serde_json::to_string_pretty(&plan.run_task).expect("plan serialises")
        );
    }
}

pub fn report(renderer: &Renderer, report: &Report, json: bool) {
    renderer.finish();
    if json {
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string(report).expect("report serialises")
        );
    }
    let word = match report.status {
        Status::Succeeded => "succeeded",
        Status::Failed => "FAILED",
        Status::TimedOut => "TIMED OUT",
        Status::Interrupted => "INTERRUPTED",
        Status::Skipped => "skipped",
    };
    let duration = report
        .duration_seconds
        .map(|d| format!(" after {}", elapsed_text(Duration::from_secs_f64(d))))
        .unwrap_or_default();
    let mut out = std::io::stderr().lock();
    let _ = writeln!(
        out,
        "ecs-migrate: migration {word}{duration}: {}",
        report.reason
    );
    if let Some(restore_error) = &report.restore_error {
        let _ = writeln!(out, "ecs-migrate: SERVICES NOT RESTORED: {restore_error}");
    }
    if report.task_tearing_down() {
        let _ = writeln!(
            out,
            "ecs-migrate: the task was still tearing down ({}); ECS finishes stopping it on its own",
            report.task_status.as_deref().unwrap_or_default()
        );
    }
    if report.status != Status::Succeeded {
        if let Some(task) = &report.task_arn {
            let _ = writeln!(out, "ecs-migrate: task {task}");
        }
        if !json && !report.log_tail.is_empty() {
            let _ = writeln!(
                out,
                "ecs-migrate: its last {} log lines:",
                report.log_tail.len()
            );
            for line in &report.log_tail {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
}

pub fn history(entries: &[ecs_migrate_core::history::Entry], json: bool) {
    let mut stdout = std::io::stdout().lock();
    if json {
        let doc = serde_json::json!({ "migrations": entries });
        let _ = writeln!(stdout, "{doc}");
        return;
    }
    if entries.is_empty() {
        eprintln!("ecs-migrate: no recorded migrations for this family");
        return;
    }
    let header = [
        "REVISION",
        "STATUS",
        "WHEN",
        "EXIT",
        "CONTAINER",
        "RUN",
        "TASK",
    ]
    .map(String::from);
    let rows: Vec<[String; 7]> = entries
        .iter()
        .map(|e| {
            let o = &e.outcome;
            [
                e.revision.to_string(),
                o.status.to_string(),
                o.at.to_string(),
                o.exit_code.map_or_else(|| "-".into(), |c| c.to_string()),
                o.container.clone(),
                o.run_id.to_string(),
                o.task.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = [0; 7];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(stdout, "{}", line.join("  ").trim_end());
    }
}

pub fn restored(renderer: &Renderer, services: &[ServiceReport], json: bool) {
    renderer.finish();
    if json {
        let doc = serde_json::json!({ "status": "restored", "services": services });
        let _ = writeln!(std::io::stdout().lock(), "{doc}");
    }
    let done = services.iter().filter(|s| s.restored).count();
    eprintln!(
        "ecs-migrate: restored {done} of {} service(s)",
        services.len()
    );
}

pub fn error(renderer: Option<&Renderer>, err: &Error, json: bool) {
    if let Some(renderer) = renderer {
        renderer.finish();
    }
    let message = crate::args::message(err);
    if json {
        let doc = serde_json::json!({
            "status": "error",
            "error": { "kind": err.kind().as_str(), "exit_code": err.code(), "message": message },
        });
        println!("{doc}");
    }
    eprintln!("ecs-migrate: error: {message}");
}
