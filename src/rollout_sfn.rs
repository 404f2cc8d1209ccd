//! `ecs-migrate rollout --via-step-functions ARN`: the rollout as an execution of the
//! ecs-migrate-rollout module's state machine, started (or re-attached to by name) and followed
//! here with a local rollout's table (a row per running target, a line as each ends); its
//! summary printed as a local rollout's, with the same exit status. The order
//! (canaries, concurrency, failures) and every target's run are the state machine's and the
//! Lambda's, so the run flags and the order flags are refused here.

use crate::args::{Output, RolloutArgs};
use crate::rollout::Board;
use crate::signals::Signals;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Command};
use ecs_migrate_core::rollout::step_functions::{self, Followed};
use ecs_migrate_core::{rollout, Error, Settings, Shutdown};
use serde_json::Value;
use std::io::Write;

/// What `--via-step-functions` runs with.
pub struct Via<'a> {
    pub state_machine: &'a str,
    pub args: &'a RolloutArgs,
    pub matches: &'a ArgMatches,
    pub signals: &'a Signals,
}

pub async fn run(via: Via<'_>, document: Value, board: &Board) -> Result<i32, Error> {
    let Via {
        state_machine,
        args,
        matches,
        signals,
    } = via;
    refuse_given_flags(matches)?;
    // Checked here, before anything starts: the same parse the Lambda makes of each target.
    let targets = rollout::parse(&document, &Settings::default())?;
    let sfn = step_functions::client(&crate::run::aws_options(&args.run.aws)).await?;
    let name = args
        .execution
        .clone()
        .unwrap_or_else(|| step_functions::name_of(&document));
    let execution = step_functions::start(&sfn, state_machine, &name, &document).await?;
    board.say(&format!(
        "{} execution `{name}` of {} targets ({})",
        if execution.attached {
            "re-attached to"
        } else {
            "started"
        },
        targets.len(),
        execution.arn
    ));
    board.expect(targets.len());
    let mut shutdown = Shutdown::new(signals.shutdown());
    let followed = step_functions::follow(&sfn, &execution, board, &mut shutdown).await;
    board.finish();
    match followed? {
        Followed::Left => {
            say(&format!(
                "interrupted: execution `{name}` runs on in Step Functions. Follow it again with the same command (--execution {name}), or stop it: aws stepfunctions stop-execution --execution-arn {}",
                execution.arn
            ));
            Ok(ecs_migrate_core::Status::Interrupted.exit_code())
        }
        Followed::Summary(summary) => Ok(print(&summary, args.run.output == Output::Json, board)),
    }
}

/// The summary: the JSON document on stdout (`--output json`); on stderr the targets whose end
/// the table did not tell (never started, or their item's end could not be read) and the
/// counts, as a local rollout's end. The exit status a local rollout of that status has.
fn print(summary: &Value, json: bool, board: &Board) -> i32 {
    if json {
        let _ = writeln!(std::io::stdout().lock(), "{summary}");
    }
    let untold = summary["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|target| Some((target["name"].as_str()?, target["status"].as_str()?)))
        .filter(|(name, _)| !board.told(name));
    let mut not_started = Vec::new();
    for (name, status) in untold {
        match status {
            "not_started" => not_started.push(name),
            status => say(&format!("{name}: {status}")),
        }
    }
    if !not_started.is_empty() {
        say(&format!("not started: {}", not_started.join(", ")));
    }
    let status = summary["status"].as_str().unwrap_or("unknown");
    let counts = summary["counts"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(status, n)| Some((status.as_str(), usize::try_from(n.as_u64()?).ok()?)));
    let elapsed = summary["elapsed_seconds"]
        .as_f64()
        .and_then(|s| std::time::Duration::try_from_secs_f64(s).ok());
    say(&crate::rollout::end_line(status, elapsed, counts));
    if status == "succeeded" {
        0
    } else {
        1
    }
}

/// The run flags and the order flags, given, are refused: the state machine decides those.
fn refuse_given_flags(matches: &ArgMatches) -> Result<(), Error> {
    let own = |command: Command| -> Vec<String> {
        command
            .get_arguments()
            .map(|arg| arg.get_id().to_string())
            .collect()
    };
    let connection = own(crate::args::AwsArgs::augment_args(Command::new("aws")));
    let mut refused = own(crate::args::RunArgs::augment_args(Command::new("run")));
    refused.retain(|id| !connection.contains(id) && id != "output");
    refused.extend(["concurrency", "canary", "max_failures"].map(String::from));
    let given = refused.iter().find(|id| {
        matches.try_get_raw(id).ok().flatten().is_some()
            && matches
                .value_source(id)
                .is_some_and(|source| source != ValueSource::DefaultValue)
    });
    match given {
        None => Ok(()),
        Some(id) => Err(Error::InvalidInput {
            input: "flag",
            value: format!("--{}", id.replace('_', "-")),
            reason: "with --via-step-functions the state machine runs every target with the targets file's settings and its own order: put run settings in the file's `defaults`, and canaries, concurrency and failures in the ecs-migrate-rollout module's variables".into(),
        }),
    }
}

fn say(line: &str) {
    eprintln!("ecs-migrate: {line}");
}
