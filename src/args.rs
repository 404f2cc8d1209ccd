//! The command line, as clap reads it. Flags only parse values here; everything is checked
//! together in `ecs_migrate_core::resolve` once all of them are known.
//!
//! Every flag also reads `ECS_MIGRATE_<NAME>` from the environment, so Terraform and CI can pass
//! values without a shell.

use clap::{Args, Parser, Subcommand, ValueEnum};
use ecs_migrate_core::{
    AssignPublicIp, CapacityProvider, Field, LaunchType, LockSetting, Tag, TaskDefinitionRef,
    Timeout,
};

pub const EXIT_STATUSES: &str = "\
Exit status:
  0    the migration succeeded (or --dry-run found nothing wrong)
  1    the migration failed: non-zero exit code, task failed to start, RunTask failures
  2    invalid input: nothing was started
  3    AWS error: not found, access denied, lost track of the task, a paused
       service could not be restored
  4    timed out: the task was stopped
  5    locked: another run holds the app (did not finish within --wait-for-lock), or
       this run lost the lock while draining and started nothing
  130  interrupted (SIGINT/SIGTERM): the task was stopped";

pub const ROLLOUT_EXIT_STATUSES: &str = "\
Exit status:
  0    every target succeeded or was skipped (it had succeeded before)
  1    a target failed, or the rollout halted (--max-failures, a failed canary)
  2    invalid input: a target cannot run (named, with its key); nothing was started
  130  interrupted (SIGINT/SIGTERM): the running targets were stopped and restored

Targets file (JSON): {\"defaults\": {...}, \"targets\": [{\"name\": \"acme\", ...}, ...]}; every
key but name is a run flag in snake_case (cluster, task_definition, services, env as an
object, tags as a list of KEY=VALUE, timeout, ...); a target's keys win over defaults, which
win over the flags given here.";

#[derive(Debug, Parser)]
#[command(
    name = "ecs-migrate",
    version = env!("ECS_MIGRATE_VERSION"),
    about = "Run a database migration as a one-off ECS task, safely, with a true verdict",
    after_help = EXIT_STATUSES,
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once; boxing would only add noise
pub enum Command {
    /// Start the migration task, wait for it to stop, and report whether it succeeded
    #[command(after_help = EXIT_STATUSES, mut_arg("cluster", |arg| arg.required(true)))]
    Run(RunArgs),
    /// Migrate many apps or tenants: each target of a targets file is a run (the run flags
    /// given here are every target's defaults), canaries first, then several at once
    #[command(after_help = ROLLOUT_EXIT_STATUSES)]
    Rollout(RolloutArgs),
    /// Put back services that a run left paused (a killed process, --keep-paused-on-failure),
    /// from the records ecs-migrate keeps on them
    Restore(RestoreArgs),
    /// List past migrations of a task definition family, from what is recorded in AWS
    History(HistoryArgs),
    /// Clear a lock left by a run that is gone, and restore its services from their records
    Unlock(UnlockArgs),
    /// Write the Lambda package: a zip holding this very binary as `bootstrap` (it serves as
    /// the function when started so), for the provided.al2023 runtime
    LambdaPackage(LambdaPackageArgs),
    /// Print a shell completion script (bash: `source <(ecs-migrate completions bash)`)
    Completions(CompletionsArgs),
    /// Print the manual page (roff): `ecs-migrate man | man -l -`
    Man,
}

#[derive(Debug, Args)]
pub struct LambdaPackageArgs {
    /// Where to write the zip
    #[arg(short, long, default_value = "bootstrap.zip", value_name = "FILE")]
    pub output: std::path::PathBuf,

    /// The function's architecture; must be this binary's own (the package is this binary)
    #[arg(long, value_enum, value_name = "ARCH")]
    pub architecture: Option<Architecture>,

    /// Refuse unless this binary is this version (what the Terraform module expects)
    #[arg(long, value_name = "VERSION")]
    pub expect_version: Option<String>,
}

/// A Lambda function's architecture, as Lambda names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Architecture {
    #[value(name = "x86_64")]
    X86_64,
    #[value(name = "arm64")]
    Arm64,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Cluster name or ARN (for the region/account context)
    #[arg(long, env = "ECS_MIGRATE_CLUSTER", value_name = "NAME|ARN")]
    pub cluster: String,

    /// Task definition family (or any revision of it)
    #[arg(long, env = "ECS_MIGRATE_TASK_DEFINITION", value_name = "FAMILY")]
    pub task_definition: String,

    /// How many of the newest revisions to look at
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub limit: usize,

    /// text: a table; json: one JSON document
    #[arg(long, env = "ECS_MIGRATE_OUTPUT", value_enum, default_value_t = Output::Text)]
    pub output: Output,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Cluster name or ARN
    #[arg(long, env = "ECS_MIGRATE_CLUSTER", value_name = "NAME|ARN")]
    pub cluster: String,

    /// Task definition family whose lock to clear
    #[arg(long, env = "ECS_MIGRATE_TASK_DEFINITION", value_name = "FAMILY")]
    pub task_definition: String,

    /// Services to restore from their pause records (repeatable, or a comma list)
    #[arg(
        long = "service",
        env = "ECS_MIGRATE_SERVICE",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub services: Vec<String>,

    #[command(flatten)]
    pub lock: LockArgs,

    /// text or json
    #[arg(long, env = "ECS_MIGRATE_OUTPUT", value_enum, default_value_t = Output::Text)]
    pub output: Output,

    #[command(flatten)]
    pub aws: AwsArgs,
}

/// Where the app's lock is kept, shared by `run` and `unlock` (which must name the lock the runs
/// used).
#[derive(Debug, Args)]
pub struct LockArgs {
    /// Where the app's lock is kept: s3://BUCKET/PREFIX for a lock that is really mutually
    /// exclusive (S3 conditional writes); default: a tag on the cluster
    #[arg(
        long,
        env = "ECS_MIGRATE_LOCK",
        value_name = "s3://BUCKET/PREFIX",
        default_value = ""
    )]
    pub lock: LockSetting,
}

/// AWS settings, shared by every command.
#[derive(Debug, Args)]
pub struct AwsArgs {
    /// AWS region (default: AWS_REGION, then the profile's)
    #[arg(long, env = "ECS_MIGRATE_REGION", value_name = "REGION")]
    pub region: Option<String>,

    /// AWS profile (default: AWS_PROFILE)
    #[arg(long, env = "ECS_MIGRATE_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// AWS endpoint URL, for emulators and VPC endpoints (default: AWS_ENDPOINT_URL)
    #[arg(long, env = "ECS_MIGRATE_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,

    /// Assume this IAM role for every call (credentials refresh during long runs)
    #[arg(long, env = "ECS_MIGRATE_ASSUME_ROLE_ARN", value_name = "ARN")]
    pub assume_role_arn: Option<String>,

    /// Session name for the assumed role (default: ecs-migrate-<run id>, as in its records)
    #[arg(
        long,
        env = "ECS_MIGRATE_ASSUME_ROLE_SESSION_NAME",
        value_name = "NAME"
    )]
    pub assume_role_session_name: Option<String>,

    /// External id the role's trust policy requires
    #[arg(
        long,
        env = "ECS_MIGRATE_EXTERNAL_ID",
        value_name = "ID",
        hide_env_values = true
    )]
    pub external_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Cluster name or ARN
    #[arg(long, env = "ECS_MIGRATE_CLUSTER", value_name = "NAME|ARN")]
    pub cluster: String,

    /// Service to restore (repeatable, or a comma list)
    #[arg(
        long = "service",
        env = "ECS_MIGRATE_SERVICE",
        value_delimiter = ',',
        required = true,
        value_name = "NAME"
    )]
    pub services: Vec<String>,

    /// Restore to this desired count instead of the recorded one
    #[arg(long, env = "ECS_MIGRATE_DESIRED_COUNT", value_name = "N")]
    pub desired_count: Option<i32>,

    /// text: lines on stderr; json: one JSON document on stdout
    #[arg(long, env = "ECS_MIGRATE_OUTPUT", value_enum, default_value_t = Output::Text)]
    pub output: Output,

    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Progress and verdict for people, on stderr
    Text,
    /// Exactly one JSON document on stdout
    Json,
}

#[derive(Debug, Args)]
pub struct RolloutArgs {
    /// The targets file (JSON; `-` reads stdin): {"defaults": {...}, "targets": [{"name": ...}, ...]}
    #[arg(long, env = "ECS_MIGRATE_TARGETS", value_name = "FILE")]
    pub targets: std::path::PathBuf,

    /// Targets migrated at once, after the canaries
    #[arg(long, env = "ECS_MIGRATE_CONCURRENCY", default_value_t = 10, value_name = "N",
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1000))]
    pub concurrency: usize,

    /// The first K targets run alone, one after another, and must all succeed before the rest
    /// start
    #[arg(
        long,
        env = "ECS_MIGRATE_CANARY",
        default_value_t = 0,
        value_name = "K"
    )]
    pub canary: usize,

    /// After F failed targets no new one starts (the running ones finish); 0: never halt
    #[arg(
        long,
        env = "ECS_MIGRATE_MAX_FAILURES",
        default_value_t = 1,
        value_name = "F"
    )]
    pub max_failures: usize,

    /// Run the rollout as an execution of this Step Functions state machine (the
    /// ecs-migrate-rollout Terraform module's `state_machine_arn`) and follow it; the order
    /// (canaries, concurrency, failures) is the state machine's
    #[arg(
        long,
        env = "ECS_MIGRATE_VIA_STEP_FUNCTIONS",
        value_name = "STATE_MACHINE_ARN"
    )]
    pub via_step_functions: Option<String>,

    /// With --via-step-functions: the execution's name (default: one derived from the targets
    /// file, so the same file re-attaches to its execution)
    #[arg(
        long,
        env = "ECS_MIGRATE_EXECUTION",
        value_name = "NAME",
        requires = "via_step_functions"
    )]
    pub execution: Option<String>,

    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Cluster name or ARN
    #[arg(long, env = "ECS_MIGRATE_CLUSTER", value_name = "NAME|ARN")]
    pub cluster: Option<String>,

    /// Task definition: family, family:revision, or full ARN
    #[arg(
        long,
        env = "ECS_MIGRATE_TASK_DEFINITION",
        value_name = "FAMILY[:REV]|ARN"
    )]
    pub task_definition: Option<TaskDefinitionRef>,

    /// Revision to run, with a family or a revision-less ARN
    #[arg(long, env = "ECS_MIGRATE_REVISION", value_name = "N")]
    pub revision: Option<u32>,

    /// Take task definition, network, launch type/capacity providers and platform version from this
    /// live service, where not given explicitly
    #[arg(long, env = "ECS_MIGRATE_FROM_SERVICE", value_name = "NAME")]
    pub from_service: Option<String>,

    /// Subnets for awsvpc (comma list or repeated)
    #[arg(
        long,
        env = "ECS_MIGRATE_SUBNETS",
        value_delimiter = ',',
        value_name = "ID"
    )]
    pub subnets: Vec<String>,

    /// Security groups for awsvpc (comma list or repeated)
    #[arg(
        long,
        env = "ECS_MIGRATE_SECURITY_GROUPS",
        value_delimiter = ',',
        value_name = "ID"
    )]
    pub security_groups: Vec<String>,

    /// Give the task a public IP (ENABLED when given alone)
    #[arg(long, env = "ECS_MIGRATE_ASSIGN_PUBLIC_IP", num_args = 0..=1,
          default_missing_value = "ENABLED", value_name = "ENABLED|DISABLED")]
    pub assign_public_ip: Option<AssignPublicIp>,

    /// FARGATE (default), EC2 or EXTERNAL
    #[arg(long, env = "ECS_MIGRATE_LAUNCH_TYPE", value_name = "TYPE")]
    pub launch_type: Option<LaunchType>,

    /// Capacity provider strategy item (repeatable); then no launch type is sent
    #[arg(
        long = "capacity-provider",
        env = "ECS_MIGRATE_CAPACITY_PROVIDER",
        value_delimiter = ',',
        value_name = "NAME[:WEIGHT[:BASE]]"
    )]
    pub capacity_providers: Vec<CapacityProvider>,

    /// Fargate platform version (e.g. LATEST, 1.4.0)
    #[arg(long, env = "ECS_MIGRATE_PLATFORM_VERSION", value_name = "VERSION")]
    pub platform_version: Option<String>,

    /// The container whose exit code decides (default: the only essential container)
    #[arg(long, env = "ECS_MIGRATE_CONTAINER", value_name = "NAME")]
    pub container: Option<String>,

    /// Environment variable for the migration container (repeatable; values are never printed;
    /// ECS_MIGRATE_ENV takes one per line)
    #[arg(
        long = "env",
        env = "ECS_MIGRATE_ENV",
        value_delimiter = '\n',
        value_name = "NAME=VALUE",
        hide_env_values = true
    )]
    pub environment: Vec<String>,

    /// Tag on the migration task (repeatable, or a comma list)
    #[arg(
        long = "tag",
        env = "ECS_MIGRATE_TAG",
        value_delimiter = ',',
        value_name = "KEY=VALUE"
    )]
    pub tags: Vec<Tag>,

    /// Give up after this long, stopping the task: 90s, 15m, 2h; 0 = no limit
    #[arg(
        long,
        env = "ECS_MIGRATE_TIMEOUT",
        default_value = "1h",
        value_name = "DURATION"
    )]
    pub timeout: Timeout,

    /// text: progress and verdict on stderr; json: one JSON document on stdout
    #[arg(long, env = "ECS_MIGRATE_OUTPUT", value_enum, default_value_t = Output::Text)]
    pub output: Output,

    /// Service to pause around the migration (repeatable, or a comma list)
    #[arg(
        long = "service",
        env = "ECS_MIGRATE_SERVICE",
        value_delimiter = ',',
        value_name = "NAME"
    )]
    pub services: Vec<String>,

    /// Desired count the services are paused at
    #[arg(
        long,
        env = "ECS_MIGRATE_MIN_CAPACITY",
        default_value_t = 0,
        value_name = "N"
    )]
    pub min_capacity: i32,

    /// Desired count the services come back at (default: each one's count before the pause)
    #[arg(long, env = "ECS_MIGRATE_DESIRED_COUNT", value_name = "N")]
    pub desired_count: Option<i32>,

    /// Leave the services paused when the migration fails or times out (prints how to restore)
    #[arg(long, env = "ECS_MIGRATE_KEEP_PAUSED_ON_FAILURE")]
    pub keep_paused_on_failure: bool,

    /// Run even if this migration (revision, container, command) already succeeded
    #[arg(long, env = "ECS_MIGRATE_FORCE")]
    pub force: bool,

    /// Extra identity of the migration: a new key is a new migration, run even if this revision
    /// already migrated (e.g. a hash of the SQL files, Terraform's `triggers`)
    #[arg(long, env = "ECS_MIGRATE_KEY", value_name = "TEXT")]
    pub key: Option<String>,

    /// Record this migration as succeeded without running it (no task, no pause), unless an
    /// outcome of it is recorded: for a revision the tool you replace already migrated
    #[arg(long, env = "ECS_MIGRATE_ADOPT")]
    pub adopt: bool,

    /// How long to wait for another run that holds the app before giving up (exit 5)
    #[arg(long, env = "ECS_MIGRATE_WAIT_FOR_LOCK", default_value = "5m", value_name = "DURATION",
          value_parser = parse_duration)]
    pub wait_for_lock: std::time::Duration,

    #[command(flatten)]
    pub lock: LockArgs,

    /// Do not stream the migration's CloudWatch logs
    #[arg(long, env = "ECS_MIGRATE_NO_LOGS")]
    pub no_logs: bool,

    /// How many of the last log lines the result keeps (JSON `log_tail`; repeated under a failure)
    #[arg(long, env = "ECS_MIGRATE_LOG_TAIL", default_value_t = ecs_migrate_core::DEFAULT_LOG_TAIL,
          value_name = "N")]
    pub log_tail: usize,

    /// How long the log stream must stay quiet after the migration's containers stopped before it
    /// counts as read to the end (CloudWatch shows a line a moment after it was written)
    #[arg(long, env = "ECS_MIGRATE_LOG_SETTLE", default_value = "1s", value_name = "DURATION",
          value_parser = parse_duration)]
    pub log_settle: std::time::Duration,

    /// Decide, and restore the paused services, only once ECS has torn the task down to STOPPED
    /// (its network interface detached), not at the migration container's exit: for subnets
    /// with no IP address to spare for the services' new tasks meanwhile
    #[arg(long, env = "ECS_MIGRATE_WAIT_FOR_STOPPED")]
    pub wait_for_stopped: bool,

    /// Prefix each log line with its CloudWatch timestamp
    #[arg(long, env = "ECS_MIGRATE_LOG_TIMESTAMPS")]
    pub log_timestamps: bool,

    /// Resolve and validate everything, print the plan and the exact RunTask request, change nothing
    #[arg(long, env = "ECS_MIGRATE_DRY_RUN")]
    pub dry_run: bool,

    #[command(flatten)]
    pub aws: AwsArgs,

    /// Command override for the migration container (or ECS_MIGRATE_COMMAND as a JSON array)
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// A human duration (`90s`, `5m`), or `0`.
fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    if text.trim() == "0" {
        return Ok(std::time::Duration::ZERO);
    }
    humantime::parse_duration(text.trim())
        .map_err(|err| format!("{err}; write a duration like `30s`, `5m` or `1h`"))
}

/// The flag that sets `field`, as an error's hint names it: the core speaks of settings, the CLI
/// of its flags.
pub fn flag(field: Field) -> &'static str {
    match field {
        Field::Cluster => "--cluster NAME|ARN",
        Field::TaskDefinition => "--task-definition FAMILY[:REV]|ARN",
        Field::Revision => "--revision N",
        Field::FromService => "--from-service NAME",
        Field::Subnets => "--subnets ID,…",
        Field::SecurityGroups => "--security-groups ID,…",
        Field::AssignPublicIp => "--assign-public-ip ENABLED|DISABLED",
        Field::LaunchType => "--launch-type TYPE",
        Field::CapacityProviders => "--capacity-provider NAME[:WEIGHT[:BASE]]",
        Field::PlatformVersion => "--platform-version VERSION",
        Field::Container => "--container NAME",
        Field::Command => "-- COMMAND…",
        Field::Environment => "--env NAME=VALUE",
        Field::Tags => "--tag KEY=VALUE",
        Field::Timeout => "--timeout DURATION",
        Field::Services => "--service NAME",
        Field::MinCapacity => "--min-capacity N",
        Field::DesiredCount => "--desired-count N",
        Field::KeepPausedOnFailure => "--keep-paused-on-failure",
        Field::Force => "--force",
        Field::Key => "--key TEXT",
        Field::Adopt => "--adopt",
        Field::WaitForLock => "--wait-for-lock DURATION",
        Field::Lock => "--lock s3://BUCKET/PREFIX",
        Field::FollowLogs => "--no-logs",
        Field::LogTail => "--log-tail N",
        Field::LogSettle => "--log-settle DURATION",
        Field::DecideAt => "--wait-for-stopped",
        Field::Region => "--region REGION",
        Field::AssumeRoleArn => "--assume-role-arn ARN",
        Field::ExternalId => "--external-id ID",
    }
}

/// An error's message with the flags that would fix it: `…: name the one that runs the
/// migration (--container NAME)`.
pub fn message(err: &ecs_migrate_core::Error) -> String {
    let flags: Vec<String> = err
        .fields()
        .into_iter()
        .map(|f| format!("`{}`", flag(f)))
        .collect();
    match flags.as_slice() {
        [] => err.to_string(),
        flags => format!("{err} ({})", flags.join(" or ")),
    }
}
