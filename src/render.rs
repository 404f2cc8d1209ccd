//! How the CLI shows progress and results to people (stderr) and programs (stdout in JSON mode).

use crate::signals::Running;
use ecs_migrate_core::{Error, Event, Plan, Progress, Report, Status};
use std::io::Write;
use std::time::Duration;

/// Renders core events as plain lines on stderr.
pub struct Lines;

impl Progress for Lines {
    fn event(&self, event: Event<'_>) {
        match event {
            Event::Planned(plan) => describe_plan(plan),
            Event::TaskStarted { task_arn } => {
                eprintln!("ecs-migrate: started task {task_arn}");
            }
            Event::TaskStatus {
                status, elapsed, ..
            } => eprintln!("ecs-migrate: task {status} ({})", elapsed_text(elapsed)),
            Event::Retrying {
                operation,
                message,
                retry_in,
            } => eprintln!(
                "ecs-migrate: {operation} failed, retrying in {}s: {message}",
                retry_in.as_secs()
            ),
            Event::Stopping { task_arn, reason } => {
                eprintln!("ecs-migrate: stopping task {task_arn}: {reason}")
            }
            Event::Warning(text) => eprintln!("ecs-migrate: warning: {text}"),
        }
    }
}

/// Remembers the running task for the second-signal message, then renders.
pub struct Tracking<P> {
    pub inner: P,
    pub running: Running,
    pub cluster: String,
}

impl<P: Progress> Progress for Tracking<P> {
    fn event(&self, event: Event<'_>) {
        if let Event::TaskStarted { task_arn } = &event {
            self.running.set(&self.cluster, task_arn);
        }
        self.inner.event(event);
    }
}

fn describe_plan(plan: &Plan) {
    eprintln!("ecs-migrate: cluster        {}", plan.cluster);
    eprintln!("ecs-migrate: task definition {}", plan.task_definition);
    let command = plan
        .run_task
        .overrides
        .container_overrides
        .first()
        .and_then(|o| o.command.as_ref())
        .map(|c| c.join(" "))
        .unwrap_or_else(|| "(the task definition's)".into());
    eprintln!(
        "ecs-migrate: container      {} — command: {command}",
        plan.container
    );
    if let Some(service) = &plan.from_service {
        eprintln!("ecs-migrate: settings from service {service}");
    }
    eprintln!("ecs-migrate: timeout        {}", plan.timeout);
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

pub fn dry_run(plan: &Plan, json: bool) {
    let mut stdout = std::io::stdout().lock();
    if json {
        let doc = serde_json::json!({ "status": "dry_run", "plan": plan });
        let _ = writeln!(stdout, "{doc}");
    } else {
        describe_plan(plan);
        let _ = writeln!(
            stdout,
            "Dry run: nothing was started. RunTask request:\n{}",
            serde_json::to_string_pretty(&plan.run_task).expect("plan serialises")
        );
    }
}

pub fn report(report: &Report, json: bool) {
    if json {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(
            stdout,
            "{}",
            serde_json::to_string(report).expect("report serialises")
        );
    }
    let word = match report.status {
        Status::Succeeded => "succeeded",
        Status::Failed => "FAILED",
        Status::TimedOut => "TIMED OUT",
        Status::Interrupted => "INTERRUPTED",
    };
    let duration = report
        .duration_seconds
        .map(|d| format!(" after {}", elapsed_text(Duration::from_secs_f64(d))))
        .unwrap_or_default();
    eprintln!("ecs-migrate: migration {word}{duration}: {}", report.reason);
    if let Some(task) = &report.task_arn {
        if report.status != Status::Succeeded {
            eprintln!("ecs-migrate: task {task}");
        }
    }
}

pub fn error(err: &Error, json: bool) {
    if json {
        let doc = serde_json::json!({
            "status": "error",
            "error": { "kind": err.kind(), "exit_code": err.code(), "message": err.to_string() },
        });
        println!("{doc}");
    }
    eprintln!("ecs-migrate: error: {err}");
}
