//! The CLI edge: parse, build a request, call the core, print, map to an exit status.
//! Nothing here decides anything about migrations.

use crate::args::{AwsArgs, Cli, Command, HistoryArgs, Output, RestoreArgs, RunArgs, UnlockArgs};
use crate::render::{self, Renderer};
use crate::signals::{Running, Signals};
use clap::{CommandFactory, FromArgMatches};
use ecs_migrate_core::aws::AwsOptions;
use ecs_migrate_core::{migration, Clients, EnvVar, Error, Event, Progress, Settings, Shutdown};
use std::process::ExitCode;

pub fn main() -> ExitCode {
    // An empty ECS_MIGRATE_* variable counts as unset, so that a wrapper (the Terraform
    // module) can blank out whatever its caller's environment holds. Done before any thread.
    for (name, value) in std::env::vars_os() {
        if value.is_empty() && name.to_str().is_some_and(|n| n.starts_with("ECS_MIGRATE_")) {
            std::env::remove_var(name);
        }
    }
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    init_logging();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let code = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run(args).await,
            Command::Rollout(args) => {
                let matches = matches
                    .subcommand_matches("rollout")
                    .expect("rollout's matches");
                crate::rollout::rollout(args, matches).await
            }
            Command::Restore(args) => restore(args).await,
            Command::History(args) => history(args).await,
            Command::Unlock(args) => unlock(args).await,
            Command::LambdaPackage(args) => crate::lambda_package::write(&args),
            Command::Completions(args) => crate::manual::completions(args.shell),
            Command::Man => crate::manual::man(),
        }
    });
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

async fn run(args: RunArgs) -> i32 {
    let json = args.output == Output::Json;
    let running = Running::default();
    let left = running.clone();
    let signals = match Signals::install(move || left.left_behind()) {
        Ok(signals) => signals,
        Err(err) => {
            eprintln!("ecs-migrate: error: cannot install signal handlers: {err}");
            return 1;
        }
    };
    let renderer = Renderer::new(json, args.log_timestamps, running);
    match execute(args, &signals, &renderer).await {
        Ok(code) => code,
        Err(err) => {
            render::error(Some(&renderer), &err, json);
            err.code()
        }
    }
}

async fn execute(args: RunArgs, signals: &Signals, renderer: &Renderer) -> Result<i32, Error> {
    let json = args.output == Output::Json;
    let dry_run = args.dry_run;
    let mut aws = aws_options(&args.aws);
    let (request, _) = settings(&args, |_| true)?.request()?;
    // The assumed role's session names the run, so CloudTrail meets the records' run id.
    aws.assume_role_session_name
        .get_or_insert_with(|| format!("ecs-migrate-{}", request.run_id));
    let clients = Clients::new(&ecs_migrate_core::aws::load(&aws).await?);

    let plan = tokio::select! {
        plan = ecs_migrate_core::resolve(&clients, &request) => plan?,
        _ = signals.shutdown() => {
            renderer.finish();
            let reason = "interrupted while resolving, before anything was started";
            if json {
                println!("{}", serde_json::json!({ "status": "interrupted", "reason": reason }));
            }
            eprintln!("ecs-migrate: {reason}");
            return Ok(ecs_migrate_core::Status::Interrupted.exit_code());
        }
    };
    if dry_run {
        render::dry_run(renderer, &plan, json);
        return Ok(0);
    }
    renderer.event(Event::Planned(&plan));
    let mut shutdown = Shutdown::new(signals.shutdown());
    let report = migration::run(&clients, &plan, renderer, &mut shutdown).await?;
    render::report(renderer, &report, json);
    Ok(report.exit_code())
}

/// `ecs-migrate restore`: services back from their pause records.
async fn restore(args: RestoreArgs) -> i32 {
    let json = args.output == Output::Json;
    let renderer = Renderer::new(json, false, Running::default());
    let result = async {
        let clients = clients(&args.aws).await?;
        ecs_migrate_core::restore(
            &clients,
            &args.cluster,
            &args.services,
            args.desired_count,
            &renderer,
        )
        .await
    }
    .await;
    finish(result, Some(&renderer), json, |services| {
        render::restored(&renderer, services, json)
    })
}

/// `ecs-migrate history`: recorded outcomes of a family's revisions.
async fn history(args: HistoryArgs) -> i32 {
    let json = args.output == Output::Json;
    let result = async {
        let clients = clients(&args.aws).await?;
        ecs_migrate_core::history::history(&clients, &args.task_definition, args.limit).await
    }
    .await;
    finish(result, None, json, |entries| render::history(entries, json))
}

/// `ecs-migrate unlock`: clear a family lock and restore services from their records.
async fn unlock(args: UnlockArgs) -> i32 {
    let json = args.output == Output::Json;
    let renderer = Renderer::new(json, false, Running::default());
    let result = async {
        let clients = clients(&args.aws).await?;
        let unlock = ecs_migrate_core::Unlock {
            cluster: args.cluster,
            task_definition: args.task_definition,
            services: args.services,
            lock: args.lock.lock,
        };
        ecs_migrate_core::unlock(&clients, &unlock, &renderer).await
    }
    .await;
    finish(result, Some(&renderer), json, |services| {
        render::restored(&renderer, services, json)
    })
}

async fn clients(aws: &AwsArgs) -> Result<Clients, Error> {
    Ok(Clients::new(
        &ecs_migrate_core::aws::load(&aws_options(aws)).await?,
    ))
}

/// A subcommand's result → its output and exit status.
fn finish<T>(
    result: Result<T, Error>,
    renderer: Option<&Renderer>,
    json: bool,
    render: impl FnOnce(&T),
) -> i32 {
    match result {
        Ok(value) => {
            render(&value);
            0
        }
        Err(err) => {
            render::error(renderer, &err, json);
            err.code()
        }
    }
}

/// Debug logging on stderr: `ECS_MIGRATE_LOG` (an `EnvFilter`, default `warn`), coloured only on
/// a terminal. Whatever it asks for, the SDK's and the HTTP stack's `trace` events are dropped:
/// they carry whole requests and responses, and RunTask's carry the `--env` values, which are
/// never printed.
fn init_logging() {
    use tracing_subscriber::prelude::*;
    const WIRE: [&str; 16] = [
        "aws_smithy_runtime",
        "aws_smithy_runtime_api",
        "aws_smithy_http",
        "aws_smithy_http_client",
        "aws_smithy_types",
        "aws_sigv4",
        "aws_sdk_ecs",
        "aws_sdk_cloudwatchlogs",
        "aws_sdk_applicationautoscaling",
        "aws_sdk_sts",
        "aws_runtime",
        "aws_config",
        "hyper",
        "hyper_util",
        "h2",
        "rustls",
    ];
    let asked = std::env::var("ECS_MIGRATE_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "warn".into());
    let filter = tracing_subscriber::EnvFilter::try_new(&asked)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let no_wire_trace = tracing_subscriber::filter::filter_fn(|meta| {
        *meta.level() != tracing::Level::TRACE
            || !WIRE.iter().any(|c| {
                meta.target()
                    .strip_prefix(c)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
            })
    });
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_writer(std::io::stderr)
                .with_filter(filter)
                .with_filter(no_wire_trace),
        )
        .init();
}

pub fn aws_options(args: &AwsArgs) -> AwsOptions {
    AwsOptions {
        region: args.region.clone(),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
        assume_role_arn: args.assume_role_arn.clone(),
        assume_role_session_name: args.assume_role_session_name.clone(),
        external_id: args.external_id.clone(),
    }
}

/// The run flags → the core's settings: each flag for which `given(its id)` holds (for `run`,
/// all of them, at their defaults when not given; for `rollout`, the ones given). The only
/// checks here are those clap cannot express.
pub fn settings(args: &RunArgs, given: impl Fn(&str) -> bool) -> Result<Settings, Error> {
    let environment = args
        .environment
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.parse::<EnvVar>())
        .collect::<Result<Vec<_>, _>>()?;
    let command = if !args.command.is_empty() {
        Some(args.command.clone())
    } else {
        match std::env::var("ECS_MIGRATE_COMMAND") {
            Ok(text) if !text.trim().is_empty() => Some(
                serde_json::from_str::<Vec<String>>(&text).map_err(|err| Error::InvalidInput {
                    input: "ECS_MIGRATE_COMMAND",
                    value: text.clone(),
                    reason: format!(
                        "{err}; it must be a JSON array of strings, e.g. [\"bin/rails\",\"db:migrate\"]"
                    ),
                })?,
            ),
            _ => None,
        }
    };
    let some = |id: &str| given(id).then_some(());
    let list = |id: &str, values: &Vec<String>| some(id).map(|()| values.clone());
    Ok(Settings {
        cluster: args.cluster.clone(),
        task_definition: args.task_definition.clone(),
        revision: args.revision,
        from_service: args.from_service.clone(),
        subnets: list("subnets", &args.subnets),
        security_groups: list("security_groups", &args.security_groups),
        assign_public_ip: args.assign_public_ip,
        launch_type: args.launch_type,
        capacity_providers: some("capacity_providers").map(|()| args.capacity_providers.clone()),
        platform_version: args.platform_version.clone(),
        container: args.container.clone(),
        command,
        environment: (!environment.is_empty() || given("environment")).then_some(environment),
        tags: some("tags").map(|()| args.tags.clone()),
        timeout: some("timeout").map(|()| args.timeout),
        services: list("services", &args.services),
        min_capacity: some("min_capacity").map(|()| args.min_capacity),
        desired_count: args.desired_count,
        keep_paused_on_failure: some("keep_paused_on_failure")
            .map(|()| args.keep_paused_on_failure),
        force: some("force").map(|()| args.force),
        key: args.key.clone(),
        adopt: some("adopt").map(|()| args.adopt),
        wait_for_lock: some("wait_for_lock").map(|()| args.wait_for_lock),
        lock: some("lock").map(|()| args.lock.lock.clone()),
        no_logs: some("no_logs").map(|()| args.no_logs),
        log_tail: some("log_tail").map(|()| args.log_tail),
        log_settle: some("log_settle").map(|()| args.log_settle),
        wait_for_stopped: some("wait_for_stopped").map(|()| args.wait_for_stopped),
        region: args.aws.region.clone(),
        assume_role_arn: args.aws.assume_role_arn.clone(),
        external_id: args.aws.external_id.clone(),
    })
}
