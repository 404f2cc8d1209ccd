################################################################################
# The inputs of Fleet's `addons/migrations` module (v2.3.0): same names and types, and
# values in the same forms (names or ARNs), so replacing its `source` with this module is
# the only change a caller makes. Its required desired_count, min_capacity and max_capacity
# are optional here (callers of versions before max_capacity existed need not pass it).
################################################################################

variable "ecs_cluster" {
  description = "Name or ARN of the ECS cluster that runs the app's service and the migration task."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255})$", var.ecs_cluster))
    error_message = "The ecs_cluster is ${jsonencode(var.ecs_cluster)}: it must be a cluster name (letters, digits, - and _) or a cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME), e.g. the service's `cluster` attribute."
  }
}

variable "ecs_service" {
  description = "The app's ECS service, by name or ARN (as Fleet's addon took it): paused (desired count `paused_count`, auto scaling suspended) during the migration and restored after it."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255})$", var.ecs_service))
    error_message = "The ecs_service is ${jsonencode(var.ecs_service)}: it must be a service name (letters, digits, - and _) or a service ARN (arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME), e.g. module.fleet.byo-vpc.byo-db.byo-ecs.service.name."
  }
}

variable "task_definition" {
  description = "The task definition to run, without its revision: its family (e.g. `fleet`) or its ARN without the `:REVISION` suffix. The revision comes from `task_definition_revision`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]{1,255})$", var.task_definition))
    error_message = "The task_definition is ${jsonencode(var.task_definition)}: it must be a family name (e.g. the task definition's `family` attribute) or a task definition ARN WITHOUT the revision (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY); give the revision in task_definition_revision."
  }
}

variable "task_definition_revision" {
  description = "The revision of `task_definition` to migrate to. The migration runs whenever it changes, and only then."
  type        = number
  nullable    = false

  validation {
    condition     = var.task_definition_revision >= 1 && floor(var.task_definition_revision) == var.task_definition_revision
    error_message = "The task_definition_revision is ${var.task_definition_revision}: it must be a whole number, 1 or more (the task definition's `revision` attribute)."
  }
}

variable "desired_count" {
  description = "Desired count `ecs_service` comes back at after the migration. null, or when `vuln_service` is set: every paused service comes back at the count it had before the pause (ecs-migrate's `--desired-count` would apply to both services, and the vulnerability service is not meant to run `desired_count` tasks)."
  type        = number
  default     = null

  validation {
    condition     = var.desired_count == null ? true : (var.desired_count >= 0 && floor(var.desired_count) == var.desired_count)
    error_message = "The desired_count is ${jsonencode(var.desired_count)}: it must be null or a whole number, 0 or more."
  }
}

variable "min_capacity" {
  description = "Accepted for compatibility with Fleet's addon, which re-registered the service's Application Auto Scaling target with this minimum after the migration (callers pass the target's own `min_capacity`). ecs-migrate restores the target's minimum, maximum and suspended state exactly as it found them, so this is only checked. The count the services are paused at is `paused_count`."
  type        = number
  default     = null

  validation {
    condition     = var.min_capacity == null ? true : (var.min_capacity >= 0 && floor(var.min_capacity) == var.min_capacity)
    error_message = "The min_capacity is ${jsonencode(var.min_capacity)}: it must be null or a whole number, 0 or more."
  }
}

variable "max_capacity" {
  description = "Accepted for compatibility with the versions of Fleet's addon that declare it; only checked. ecs-migrate restores the service's Application Auto Scaling target exactly as it found it."
  type        = number
  default     = null

  validation {
    condition     = var.max_capacity == null ? true : (var.max_capacity >= 0 && floor(var.max_capacity) == var.max_capacity)
    error_message = "The max_capacity is ${jsonencode(var.max_capacity)}: it must be null or a whole number, 0 or more."
  }
}

variable "subnets" {
  description = "Subnet IDs for the migration task (awsvpc)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnets) > 0 && alltrue([for s in var.subnets : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "The subnets are ${jsonencode(var.subnets)}: they must be a non-empty list of subnet IDs (subnet-...), e.g. the service's network_configuration[0].subnets."
  }
}

variable "security_groups" {
  description = "Security group IDs for the migration task (awsvpc)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.security_groups) > 0 && alltrue([for s in var.security_groups : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "The security_groups are ${jsonencode(var.security_groups)}: they must be a non-empty list of security group IDs (sg-...), not names."
  }
}

variable "vuln_service" {
  description = "A second service to pause during the migration and restore after it (Fleet's vulnerability processing service), by name or ARN (Fleet's dogfood passes `module.vuln-processing.vuln_service_arn`). Empty: none."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.vuln_service == "" || can(regex("^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255})$", var.vuln_service))
    error_message = "The vuln_service is ${jsonencode(var.vuln_service)}: it must be empty, a service name (letters, digits, - and _) or a service ARN (arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME)."
  }
}

variable "assume_role_arn" {
  description = "ARN of an IAM role ecs-migrate assumes for every AWS call it makes. Empty: it uses the credentials Terraform runs with (its environment, profile or instance role), not the provider block's."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.assume_role_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.assume_role_arn))
    error_message = "The assume_role_arn is ${jsonencode(var.assume_role_arn)}: it must be empty or an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

variable "assume_role_session_name" {
  description = "Session name when assuming `assume_role_arn`. Empty: ecs-migrate names the run (ecs-migrate-<run id>, the id in its records and lock)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.assume_role_session_name == "" || can(regex("^[\\w+=,.@-]{2,64}$", var.assume_role_session_name))
    error_message = "The assume_role_session_name is ${jsonencode(var.assume_role_session_name)}: it must be empty or 2 to 64 characters of letters, digits and +=,.@_- (STS's rule)."
  }
}

variable "timeout_seconds" {
  description = "How long the pause (the services' tasks draining) and the migration task together may take, in seconds; when it runs out, ecs-migrate stops the migration task, restores the services and fails the apply. 0: no limit. Default 3600, not Fleet's 600: Fleet's limit counted only the wait for the task and, when it ran out, left the task running to its end; here it also counts the drain and stops the task, so Fleet's 600 would stop migrations Fleet let finish (see README: Differences)."
  type        = number
  default     = 3600
  nullable    = false

  validation {
    condition     = var.timeout_seconds >= 0 && floor(var.timeout_seconds) == var.timeout_seconds
    error_message = "The timeout_seconds is ${var.timeout_seconds}: it must be a whole number of seconds, 0 (no limit) or more."
  }
}

################################################################################
# Additions
################################################################################

variable "paused_count" {
  description = "Desired count of the paused services (`ecs_service` and `vuln_service`) while the migration runs: 0, as in Fleet's addon, so that no old task runs against the schema being migrated. Their auto scaling is suspended and its minimum lowered to this for the pause."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.paused_count >= 0 && floor(var.paused_count) == var.paused_count
    error_message = "The paused_count is ${var.paused_count}: it must be a whole number, 0 or more."
  }
}

variable "keep_paused_on_failure" {
  description = "Leave the services paused when the migration fails or times out (the apply fails and ecs-migrate prints the `ecs-migrate restore` command). false, as in Fleet's addon: they are always restored."
  type        = bool
  default     = false
  nullable    = false
}

variable "triggers" {
  description = "Values whose change runs the migration again for the same task definition revision, like `terraform_data`'s `triggers_replace` (e.g. a hash of the migration files; see README). They are also part of the migration's identity in ecs-migrate (ECS_MIGRATE_KEY = sha256 of the map as JSON), so a new value is a new migration, not one already done. Empty: the revision alone decides, as in Fleet's addon."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "force" {
  description = "Run the migration even if ecs-migrate recorded it as succeeded already (ECS_MIGRATE_FORCE). Turning it on re-runs the current migration on that apply; turning it off again replaces the resource once more, and that run finds the migration succeeded and skips it (no task, no pause)."
  type        = bool
  default     = false
  nullable    = false
}

variable "adopt_revision" {
  description = "The task definition revision the module this one replaced has already migrated. When `task_definition_revision` equals it, ecs-migrate records that migration as succeeded without running anything (no task, no pause; ECS_MIGRATE_ADOPT) unless it has a record of it already. Any other revision runs normally, so it may stay in place. Changing it runs nothing. null: none."
  type        = number
  default     = null

  validation {
    condition     = var.adopt_revision == null ? true : (var.adopt_revision >= 1 && floor(var.adopt_revision) == var.adopt_revision)
    error_message = "The adopt_revision is ${jsonencode(var.adopt_revision)}: it must be null or a whole revision number, 1 or more (e.g. the revision in the old module's null_resource triggers)."
  }
}

variable "container" {
  description = "The container of the task definition that runs the migration command and whose exit code decides. null: the task definition's only essential container."
  type        = string
  default     = "fleet"

  validation {
    condition     = var.container == null ? true : can(regex("^[A-Za-z0-9_-]{1,255}$", var.container))
    error_message = "The container is ${jsonencode(var.container)}: it must be null or a container name (letters, digits, - and _) of the task definition."
  }
}

variable "command" {
  description = "The migration command, as argv (no shell), run in `container` instead of the task definition's command. null: the task definition's own command."
  type        = list(string)
  default     = ["fleet", "prepare", "db"]

  validation {
    condition     = var.command == null ? true : (length(var.command) > 0 && length(trimspace(join("", var.command))) > 0)
    error_message = "The command is ${jsonencode(var.command)}: it must be null (the task definition's command) or a non-empty list of strings, e.g. [\"fleet\", \"prepare\", \"db\"]."
  }
}

variable "lock" {
  description = "Hold the lock of this app's migrations in S3 instead of in a tag on the cluster (ECS_MIGRATE_LOCK): `s3://BUCKET/PREFIX`, one object `PREFIX/<cluster name>/<task definition family>.json`, taken and renewed with conditional writes, so two runs that start at the same instant cannot both hold it. The credentials then need s3:GetObject, s3:PutObject and s3:DeleteObject on `arn:aws:s3:::BUCKET/PREFIX/*`, and s3:ListBucket on `arn:aws:s3:::BUCKET` for the prefix `PREFIX/*` (condition s3:prefix), without which a free lock reads as access denied. null: the tag on the cluster. Changing it runs nothing."
  type        = string
  default     = null

  validation {
    condition     = var.lock == null ? true : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.lock))
    error_message = "The lock is ${jsonencode(var.lock)}: it must be null (the lock is a tag on the cluster) or an S3 location s3://BUCKET/PREFIX, such as s3://my-locks/ecs-migrate: a bucket name (3 to 63 lowercase letters, digits, . and -) and an optional prefix."
  }
}

variable "assume_role_external_id" {
  description = "External ID to present when assuming `assume_role_arn`, if the role's trust policy requires one."
  type        = string
  default     = ""
  nullable    = false
}

variable "ecs_migrate_path" {
  description = "The ecs-migrate binary: a name looked up on the PATH of the machine running Terraform, or a path."
  type        = string
  default     = "ecs-migrate"
  nullable    = false

  validation {
    condition     = length(trimspace(var.ecs_migrate_path)) > 0
    error_message = "The ecs_migrate_path is ${jsonencode(var.ecs_migrate_path)}: it must be a command name on PATH (ecs-migrate) or a path to the binary."
  }
}

variable "extra_environment" {
  description = "More environment variables for ecs-migrate, such as `AWS_PROFILE`, `AWS_ENDPOINT_URL` or other `ECS_MIGRATE_*` settings (e.g. `ECS_MIGRATE_WAIT_FOR_LOCK = \"10m\"`, `ECS_MIGRATE_ENV` for the migration container's environment, one NAME=VALUE per line, `ECS_MIGRATE_FROM_SERVICE` to place the task as a service is placed instead of on FARGATE without a public IP). Not for secrets: they show in plans. The variables this module sets from its inputs cannot be set here."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.extra_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "The extra_environment keys ${jsonencode([for k in keys(var.extra_environment) : k if !can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])} are not environment variable names: use [A-Za-z_][A-Za-z0-9_]*."
  }

  validation {
    # (Terraform before 1.9 lets a validation refer to its own variable only: the list is here.)
    condition = length(setintersection(keys(var.extra_environment), [
      "ECS_MIGRATE_CLUSTER", "ECS_MIGRATE_TASK_DEFINITION", "ECS_MIGRATE_REVISION",
      "ECS_MIGRATE_SUBNETS", "ECS_MIGRATE_SECURITY_GROUPS", "ECS_MIGRATE_CONTAINER",
      "ECS_MIGRATE_COMMAND", "ECS_MIGRATE_SERVICE", "ECS_MIGRATE_MIN_CAPACITY",
      "ECS_MIGRATE_DESIRED_COUNT", "ECS_MIGRATE_KEEP_PAUSED_ON_FAILURE", "ECS_MIGRATE_TIMEOUT",
      "ECS_MIGRATE_KEY", "ECS_MIGRATE_FORCE", "ECS_MIGRATE_ADOPT", "ECS_MIGRATE_REGION",
      "ECS_MIGRATE_OUTPUT", "ECS_MIGRATE_ASSUME_ROLE_ARN", "ECS_MIGRATE_ASSUME_ROLE_SESSION_NAME",
      "ECS_MIGRATE_EXTERNAL_ID", "ECS_MIGRATE_LOCK", "ECS_MIGRATE_DRY_RUN",
    ])) == 0
    error_message = "The extra_environment sets ${jsonencode(sort(setintersection(keys(var.extra_environment), ["ECS_MIGRATE_CLUSTER", "ECS_MIGRATE_TASK_DEFINITION", "ECS_MIGRATE_REVISION", "ECS_MIGRATE_SUBNETS", "ECS_MIGRATE_SECURITY_GROUPS", "ECS_MIGRATE_CONTAINER", "ECS_MIGRATE_COMMAND", "ECS_MIGRATE_SERVICE", "ECS_MIGRATE_MIN_CAPACITY", "ECS_MIGRATE_DESIRED_COUNT", "ECS_MIGRATE_KEEP_PAUSED_ON_FAILURE", "ECS_MIGRATE_TIMEOUT", "ECS_MIGRATE_KEY", "ECS_MIGRATE_FORCE", "ECS_MIGRATE_ADOPT", "ECS_MIGRATE_REGION", "ECS_MIGRATE_OUTPUT", "ECS_MIGRATE_ASSUME_ROLE_ARN", "ECS_MIGRATE_ASSUME_ROLE_SESSION_NAME", "ECS_MIGRATE_EXTERNAL_ID", "ECS_MIGRATE_LOCK", "ECS_MIGRATE_DRY_RUN"])))}}, which this module sets from its inputs (or, for ECS_MIGRATE_DRY_RUN, never turns on): use the corresponding input instead (force for ECS_MIGRATE_FORCE, triggers for ECS_MIGRATE_KEY, adopt_revision for ECS_MIGRATE_ADOPT, lock for ECS_MIGRATE_LOCK)."
  }
}
