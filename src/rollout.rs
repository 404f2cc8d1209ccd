//! `ecs-migrate rollout`: the targets file and the run flags as its defaults → the core's
//! rollout; its progress as a live table on a terminal (one row per running target under a
//! summary) or one line per change in a pipe; one JSON document with `--output json`.

use crate::args::{Output, RolloutArgs};
use crate::render::{self, elapsed_text};
use crate::signals::Signals;
use clap::parser::ValueSource;
use clap::ArgMatches;
use ecs_migrate_core::rollout::{self, Rollout};
use ecs_migrate_core::{
    Error, Event, Limits, RolloutEvent, RolloutProgress, RolloutReport, Shutdown, TargetReport,
    TargetResult,
};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{IsTerminal, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub async fn rollout(args: RolloutArgs, matches: &ArgMatches) -> i32 {
    let json = args.run.output == Output::Json;
    let board = Arc::new(Board::new(std::io::stderr().is_terminal()));
    let left = Arc::clone(&board);
    let signals = match Signals::install(move || left.left_behind()) {
        Ok(signals) => signals,
        Err(err) => {
            eprintln!("ecs-migrate: error: cannot install signal handlers: {err}");
            return 1;
        }
    };
    match execute(args, matches, &signals, &board).await {
        Ok(code) => code,
        Err(err) => {
            board.finish();
            render::error(None, &err, json);
            err.code()
        }
    }
}

async fn execute(
    args: RolloutArgs,
    matches: &ArgMatches,
    signals: &Signals,
    board: &Board,
) -> Result<i32, Error> {
    let json = args.run.output == Output::Json;
    let document = read_targets(&args.targets)?;
    if let Some(state_machine) = &args.via_step_functions {
        let via = crate::rollout_sfn::Via {
            state_machine,
            args: &args,
            matches,
            signals,
        };
        return crate::rollout_sfn::run(via, document, board).await;
    }
    // The run flags given (on the command line or as ECS_MIGRATE_*) are every target's
    // defaults; a flag left at its default says nothing, so the file's defaults win over it.
    let given = |id: &str| {
        matches
            .value_source(id)
            .is_some_and(|source| source != ValueSource::DefaultValue)
    };
    let base = crate::run::settings(&args.run, given)?;
    let targets = rollout::parse(&document, &base)?;
    let aws = crate::run::aws_options(&args.run.aws);
    board.say(&format!("resolving {} targets (read-only)", targets.len()));
    let prepared: Rollout = tokio::select! {
        prepared = rollout::prepare(&aws, targets) => prepared?,
        _ = signals.shutdown() => {
            eprintln!("ecs-migrate: interrupted while resolving the targets, before anything was started");
            return Ok(ecs_migrate_core::Status::Interrupted.exit_code());
        }
    };
    if args.run.dry_run {
        board.say(&format!(
            "dry run: all {} targets resolved; nothing was started",
            prepared.len()
        ));
        if json {
            println!(
                "{}",
                serde_json::json!({ "status": "dry_run", "targets": prepared.len() })
            );
        }
        return Ok(0);
    }
    let limits = Limits {
        canary: args.canary,
        concurrency: args.concurrency,
        max_failures: args.max_failures,
    };
    board
        .concurrency
        .store(limits.concurrency, std::sync::atomic::Ordering::Relaxed);
    let mut shutdown = Shutdown::new(signals.shutdown());
    let report = rollout::run(&prepared, limits, board, &mut shutdown).await;
    board.finish();
    summary(&report, json);
    Ok(report.exit_code())
}

fn read_targets(path: &std::path::Path) -> Result<serde_json::Value, Error> {
    let invalid = |reason: String| Error::InvalidTargetsFile { reason };
    let text = if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|err| invalid(format!("cannot read it from stdin: {err}")))?;
        text
    } else {
        std::fs::read_to_string(path)
            .map_err(|err| invalid(format!("cannot read `{}`: {err}", path.display())))?
    };
    serde_json::from_str(&text)
        .map_err(|err| invalid(format!("`{}` is not JSON: {err}", path.display())))
}

/// The end: the JSON document on stdout, the counts on stderr.
fn summary(report: &RolloutReport, json: bool) {
    if json {
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string(report).expect("a rollout report serialises")
        );
    }
    let counts = report.counts.iter().map(|(status, n)| (*status, *n));
    let elapsed = Duration::try_from_secs_f64(report.elapsed_seconds).ok();
    eprintln!(
        "ecs-migrate: {}",
        end_line(report.status.as_str(), elapsed, counts)
    );
}

/// A rollout's last line, wherever it ran: `rollout failed after 4m 2s: 1 failed, 9 succeeded`.
pub(crate) fn end_line<'a>(
    status: &str,
    elapsed: Option<Duration>,
    counts: impl Iterator<Item = (&'a str, usize)>,
) -> String {
    let counts: Vec<String> = counts.map(|(status, n)| format!("{n} {status}")).collect();
    let after = elapsed
        .map(|e| format!(" after {}", elapsed_text(e)))
        .unwrap_or_default();
    format!("rollout {status}{after}: {}", counts.join(", "))
}

/// The rollout's progress on stderr.
pub(crate) struct Board {
    /// On a terminal: the rows of the running targets under a summary line.
    multi: Option<(MultiProgress, ProgressBar)>,
    rows: Mutex<HashMap<String, ProgressBar>>,
    /// Each running target's phase as last said (in a pipe, a line per change).
    phases: Mutex<HashMap<String, String>>,
    /// What each running target has in AWS: its cluster, its task, its paused services.
    left: Mutex<BTreeMap<String, crate::signals::Running>>,
    counts: Mutex<Counts>,
    concurrency: std::sync::atomic::AtomicUsize,
    /// The targets whose end was told.
    told: Mutex<HashSet<String>>,
}

impl Board {
    fn new(terminal: bool) -> Board {
        let multi = terminal.then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let summary = multi.add(ProgressBar::new_spinner());
            summary.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("template"),
            );
            summary.enable_steady_tick(Duration::from_millis(120));
            summary.set_message("resolving the targets");
            (multi, summary)
        });
        Board {
            multi,
            rows: Mutex::default(),
            phases: Mutex::default(),
            left: Mutex::default(),
            counts: Mutex::default(),
            concurrency: Default::default(),
            told: Mutex::default(),
        }
    }

    pub(crate) fn say(&self, line: &str) {
        let line = format!("ecs-migrate: {line}");
        match &self.multi {
            Some((multi, _)) => {
                let _ = multi.println(line);
            }
            None => eprintln!("{line}"),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some((multi, summary)) = &self.multi {
            summary.finish_and_clear();
            let _ = multi.clear();
        }
    }

    /// The number of targets, when known before any starts (a rollout followed in Step
    /// Functions, which validates them itself).
    pub(crate) fn expect(&self, targets: usize) {
        self.tally(|c| c.total = targets);
    }

    /// Counts one change and shows the summary.
    fn tally(&self, change: impl FnOnce(&mut Counts)) {
        let mut counts = self.counts.lock().unwrap();
        change(&mut counts);
        if let Some((_, summary)) = &self.multi {
            let Counts {
                total,
                started,
                done,
                failed,
            } = *counts;
            summary.set_message(format!(
                "{done}/{total} done · {} running · {failed} failed",
                started - done
            ));
        }
    }

    fn phase(&self, target: &str, phase: String) {
        let changed = self
            .phases
            .lock()
            .unwrap()
            .insert(target.to_owned(), phase.clone())
            .as_ref()
            != Some(&phase);
        match &self.multi {
            Some(_) => {
                if let Some(row) = self.rows.lock().unwrap().get(target) {
                    row.set_message(phase);
                }
            }
            None if changed => eprintln!("ecs-migrate: {target}: {phase}"),
            None => {}
        }
    }

    /// At a second signal: what each running target leaves behind.
    fn left_behind(&self) -> String {
        let left = self.left.lock().unwrap();
        if left.is_empty() {
            return "No target was running.".into();
        }
        left.iter()
            .map(|(target, running)| format!("{target}: {}", running.left_behind()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn remember(&self, target: &str, event: &Event<'_>) {
        let mut left = self.left.lock().unwrap();
        let running = left.entry(target.to_owned()).or_default();
        match event {
            Event::Planned(plan) => running.set_cluster(&plan.cluster),
            Event::TaskStarted { task_arn } | Event::Attached { task_arn } => {
                running.set_task(task_arn)
            }
            Event::Joined { task_arn, .. } => running.set_task(task_arn),
            Event::ServicePaused { service, .. } => running.paused(service),
            Event::ServiceRestored { service, .. } => running.restored(service),
            _ => {}
        }
    }

    /// Whether `target`'s end was told.
    pub(crate) fn told(&self, target: &str) -> bool {
        self.told.lock().unwrap().contains(target)
    }

    fn finished(&self, target: &str, report: &TargetReport) {
        self.told.lock().unwrap().insert(target.to_owned());
        self.left.lock().unwrap().remove(target);
        self.phases.lock().unwrap().remove(target);
        if let Some(row) = self.rows.lock().unwrap().remove(target) {
            row.finish_and_clear();
            if let Some((multi, _)) = &self.multi {
                multi.remove(&row);
            }
        }
        let elapsed = elapsed_text(report.elapsed);
        let (word, detail) = match &report.result {
            TargetResult::Report(run) => (report.result.status().to_owned(), run.reason.clone()),
            TargetResult::Error(err) => ("error".to_owned(), crate::args::message(err)),
            TargetResult::NotStarted => ("not started".to_owned(), String::new()),
            // A rollout run elsewhere (Step Functions items, their summary) has these.
            TargetResult::Answered(answered) => (
                report.result.status().to_owned(),
                answered.report["reason"].as_str().unwrap_or("").to_owned(),
            ),
            TargetResult::Recorded(_) | TargetResult::Unrecorded => {
                (report.result.status().to_owned(), String::new())
            }
        };
        let word = if report.result.failed() {
            word.to_uppercase()
        } else {
            word
        };
        self.say(&format!("{target}: {word} after {elapsed}: {detail}"));
        let tail: Vec<&str> = match &report.result {
            TargetResult::Report(run) => run.log_tail.iter().map(String::as_str).collect(),
            TargetResult::Answered(answered) => answered.report["log_tail"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_str)
                .collect(),
            _ => Vec::new(),
        };
        if report.result.failed() {
            for line in tail {
                self.say(&format!("{target}:     {line}"));
            }
        }
    }
}

impl RolloutProgress for Board {
    fn event(&self, event: RolloutEvent<'_>) {
        match event {
            RolloutEvent::Validated { targets, canary } => {
                let at_once = self.concurrency.load(std::sync::atomic::Ordering::Relaxed);
                let order = match canary {
                    0 => format!("up to {at_once} at once"),
                    1 => format!("1 canary first, then up to {at_once} at once"),
                    n => format!("{n} canaries first, one at a time, then up to {at_once} at once"),
                };
                self.say(&format!("{targets} targets resolved; {order}"));
                self.tally(|c| c.total = targets);
            }
            RolloutEvent::TargetStarted { target, canary } => {
                if let Some((multi, _)) = &self.multi {
                    let row = multi.add(ProgressBar::new_spinner());
                    row.set_style(
                        ProgressStyle::with_template("  {prefix:24} {msg} [{elapsed}]")
                            .expect("template"),
                    );
                    row.set_prefix(target.to_owned());
                    row.set_message("starting");
                    self.rows.lock().unwrap().insert(target.to_owned(), row);
                }
                let what = if canary { "started (canary)" } else { "started" };
                self.phase(target, what.to_owned());
                self.tally(|c| c.started += 1);
            }
            RolloutEvent::Target { target, event } => {
                self.remember(target, &event);
                if let Event::Warning(text) = &event {
                    self.say(&format!("{target}: warning: {text}"));
                }
                if let Some(phase) = phase(&event) {
                    self.phase(target, phase);
                }
            }
            RolloutEvent::TargetFinished { target, report } => {
                self.finished(target, report);
                let failed = usize::from(report.result.failed());
                self.tally(|c| {
                    c.done += 1;
                    c.failed += failed;
                });
            }
            RolloutEvent::Halted {
                failures,
                not_started,
            } => self.say(&format!(
                "halting: {failures} failed; no new target starts ({not_started} not started), the running ones finish"
            )),
            RolloutEvent::Stopping {
                running,
                not_started,
            } => self.say(&format!(
                "stopping: {running} running targets stop their tasks and restore their services; {not_started} not started"
            )),
            RolloutEvent::Execution { status } => self.say(&format!("execution {status}")),
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    total: usize,
    started: usize,
    done: usize,
    failed: usize,
}

/// The phase a run's event puts its target in, for the table.
fn phase(event: &Event<'_>) -> Option<String> {
    Some(match event {
        Event::WaitingForLock { .. } => "waiting for the lock".into(),
        Event::TakingOverLock { .. } => "taking over a dead run's lock".into(),
        Event::LeftoverFound { .. } => "restoring what a dead run left paused".into(),
        Event::ServicePaused { .. } => "pausing".into(),
        Event::Draining { remaining, .. } => format!("draining ({remaining} tasks)"),
        Event::ServicesDrained { .. } => "drained".into(),
        Event::TaskStarted { .. } => "task started".into(),
        Event::Attached { .. } => "attached to its live task".into(),
        Event::Joined { .. } => "joined the run already migrating it".into(),
        Event::TaskStatus { status, .. } => format!("task {}", status.to_lowercase()),
        Event::Stopping { .. } => "stopping its task".into(),
        Event::ServiceRestored { .. } => "restoring".into(),
        _ => return None,
    })
}
