################################################################################
# Runs `ecs-migrate run` on the machine running Terraform, once per task definition
# revision (and `triggers`): it pauses the services, runs the migration as a one-off ECS
# task, waits for it (up to `timeout_seconds`), restores the services on every exit path,
# and exits non-zero unless the migration succeeded, which fails the apply.
#
# No shell is involved: the provisioner executes the binary directly
# (argv = [ecs_migrate_path, "run"]) and every value reaches it as an ECS_MIGRATE_*
# environment variable, so no input is ever parsed by a shell.
################################################################################

data "aws_region" "current" {}

locals {
  # Names or ARNs, as given: ecs-migrate matches either.
  services = compact([var.ecs_service, var.vuln_service])

  fleet_container = "fleet"
  fleet_command   = ["fleet", "prepare", "db"]

  # Fleet's addon brought `ecs_service` back at `desired_count` and its vulnerability
  # service at its own count. ecs-migrate's --desired-count applies to every paused service,
  # so with a vuln_service it is left out: each service comes back at the count it had
  # before the pause (which is what ecs_service normally has: desired_count).
  restore_to = var.vuln_service == "" ? var.desired_count : null

  # `triggers` as one stable string: part of the migration's identity in ecs-migrate
  # (ECS_MIGRATE_KEY). Empty without triggers, so that the migrations run before `triggers`
  # existed keep their identity (and their "already succeeded" record).
  key = length(var.triggers) == 0 ? "" : sha256(jsonencode(var.triggers))

  # The revision the tool this module replaced has already migrated: recorded as succeeded
  # without running anything (see README: swapping the module in).
  adopt = var.adopt_revision == var.task_definition_revision

  # Every setting as the environment variable ecs-migrate reads it; empty when not set.
  settings = {
    ECS_MIGRATE_CLUSTER                  = var.ecs_cluster
    ECS_MIGRATE_TASK_DEFINITION          = var.task_definition
    ECS_MIGRATE_REVISION                 = tostring(var.task_definition_revision)
    ECS_MIGRATE_SUBNETS                  = join(",", var.subnets)
    ECS_MIGRATE_SECURITY_GROUPS          = join(",", var.security_groups)
    ECS_MIGRATE_CONTAINER                = var.container == null ? "" : var.container
    ECS_MIGRATE_COMMAND                  = var.command == null ? "" : jsonencode(var.command)
    ECS_MIGRATE_SERVICE                  = join(",", local.services)
    ECS_MIGRATE_MIN_CAPACITY             = tostring(var.paused_count)
    ECS_MIGRATE_DESIRED_COUNT            = local.restore_to == null ? "" : tostring(local.restore_to)
    ECS_MIGRATE_KEEP_PAUSED_ON_FAILURE   = var.keep_paused_on_failure ? "true" : ""
    ECS_MIGRATE_TIMEOUT                  = var.timeout_seconds == 0 ? "0" : "${var.timeout_seconds}s"
    ECS_MIGRATE_KEY                      = local.key
    ECS_MIGRATE_FORCE                    = var.force ? "true" : ""
    ECS_MIGRATE_ADOPT                    = local.adopt ? "true" : ""
    ECS_MIGRATE_REGION                   = data.aws_region.current.id
    ECS_MIGRATE_OUTPUT                   = "text"
    ECS_MIGRATE_ASSUME_ROLE_ARN          = var.assume_role_arn
    ECS_MIGRATE_ASSUME_ROLE_SESSION_NAME = var.assume_role_session_name
    ECS_MIGRATE_EXTERNAL_ID              = var.assume_role_external_id
    ECS_MIGRATE_LOCK                     = var.lock == null ? "" : var.lock
  }

  # Every other setting of `ecs-migrate run`, blank (ecs-migrate takes an empty ECS_MIGRATE_*
  # variable as unset): what the caller's own environment holds (ECS_MIGRATE_DRY_RUN,
  # ECS_MIGRATE_LAUNCH_TYPE, …) never reaches the run unless given in extra_environment.
  # With no launch type, capacity provider, public-IP setting or service to copy them from,
  # the task runs as Fleet's addon ran it: FARGATE, no public IP, the latest platform version.
  unset = [
    "ECS_MIGRATE_ASSIGN_PUBLIC_IP", "ECS_MIGRATE_CAPACITY_PROVIDER", "ECS_MIGRATE_DRY_RUN",
    "ECS_MIGRATE_ENDPOINT_URL", "ECS_MIGRATE_ENV", "ECS_MIGRATE_FROM_SERVICE", "ECS_MIGRATE_LAUNCH_TYPE",
    "ECS_MIGRATE_LOG_SETTLE", "ECS_MIGRATE_LOG_TAIL", "ECS_MIGRATE_LOG_TIMESTAMPS", "ECS_MIGRATE_NO_LOGS",
    "ECS_MIGRATE_PLATFORM_VERSION", "ECS_MIGRATE_PROFILE", "ECS_MIGRATE_TAG",
    "ECS_MIGRATE_WAIT_FOR_LOCK", "ECS_MIGRATE_WAIT_FOR_STOPPED",
  ]

  environment = merge(
    { for name in local.unset : name => "" },
    var.extra_environment,
    local.settings,
  )

  # What makes a new run: the revision, as in Fleet's addon (its null_resource had
  # `triggers = { task_definition_revision = N }`), plus the container and the command when
  # they are not Fleet's, the key of `triggers` when there are any, and `force` when true.
  # With Fleet's container and command and no triggers this is exactly the trigger Fleet's
  # addon had (an object of strings, which is what a `moved` block from its null_resource
  # makes of it), so the move carries the migration over without running it again (see
  # README). `adopt_revision` is not in it: adding or removing it runs nothing. Nothing else
  # re-runs it: a re-apply with nothing changed runs nothing.
  triggers = { for key, value in {
    task_definition_revision = tostring(var.task_definition_revision)
    container                = var.container == local.fleet_container ? null : coalesce(var.container, "(the only essential container)")
    command                  = jsonencode(var.command) == jsonencode(local.fleet_command) ? null : jsonencode(var.command)
    key                      = local.key == "" ? null : local.key
    force                    = var.force ? "true" : null
  } : key => value if value != null }
}

resource "terraform_data" "migration" {
  triggers_replace = local.triggers

  # Kept in state so that the outputs say what was migrated.
  input = {
    task_definition = "${var.task_definition}:${var.task_definition_revision}"
    services        = local.services
  }

  provisioner "local-exec" {
    # argv is interpreter + [command]: ["ecs-migrate", "run"]. No shell.
    interpreter = [var.ecs_migrate_path]
    command     = "run"
    environment = local.environment
  }
}
