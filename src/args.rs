//! The command line, as clap reads it. Flags only parse values here; everything is checked
//! together in `ecs_migrate_core::resolve` once all of them are known.
//!
//! Every flag also reads `ECS_MIGRATE_<NAME>` from the environment, so Terraform and CI can pass
//! values without a shell.

use clap::{Args, Parser, Subcommand, ValueEnum};
use ecs_migrate_core::{
    AssignPublicIp, CapacityProvider, LaunchType, Tag, TaskDefinitionRef, Timeout,
};

pub const EXIT_STATUSES: &str = "\
Exit status:
  0    the migration succeeded (or --dry-run found nothing wrong)
  1    the migration failed: non-zero exit code, task failed to start, RunTask failures
  2    invalid input: nothing was started
  3    AWS error: not found, access denied, lost track of the task, a paused
       service could not be restored
  4    timed out: the task was stopped
  130  interrupted (SIGINT/SIGTERM): the task was stopped";

#[derive(Debug, Parser)]
#[command(
    name = "ecs-migrate",
    version,
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
    #[command(after_help = EXIT_STATUSES)]
    Run(RunArgs),
    /// Put back services that a run left paused (a killed process, --keep-paused-on-failure),
    /// from the records ecs-migrate keeps on them
    Restore(RestoreArgs),
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
pub struct RunArgs {
    /// Cluster name or ARN
    #[arg(long, env = "ECS_MIGRATE_CLUSTER", value_name = "NAME|ARN")]
    pub cluster: String,

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

    /// Do not stream the migration's CloudWatch logs
    #[arg(long, env = "ECS_MIGRATE_NO_LOGS")]
    pub no_logs: bool,

    /// How many of the last log lines the result keeps (JSON `log_tail`; repeated under a failure)
    #[arg(long, env = "ECS_MIGRATE_LOG_TAIL", default_value_t = ecs_migrate_core::DEFAULT_LOG_TAIL,
          value_name = "N")]
    pub log_tail: usize,

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
