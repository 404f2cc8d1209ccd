################################################################################
# The inputs of Omni's `modules/migrations`: same names, types and defaults, so replacing
# its `source` with this module is all a caller changes (see README: upgrading).
################################################################################

variable "customer_name" {
  description = "Customer (tenant) name: part of the function's name, `<function_name_prefix>-<customer_name>-migrator`, and of its role's."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,38}$", var.customer_name))
    error_message = "The customer_name is ${jsonencode(var.customer_name)}: it must be 1 to 38 letters, digits, - or _ (it goes into the Lambda function and IAM role names)."
  }
}

variable "environment" {
  description = "Environment name, used in the resources' tags."
  type        = string
  default     = "production"
  nullable    = false
}

variable "cluster_name" {
  description = "Name of the ECS cluster that runs the migration task (a cluster ARN is accepted too)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]{1,255})$", var.cluster_name))
    error_message = "The cluster_name is ${jsonencode(var.cluster_name)}: it must be a cluster name (letters, digits, - and _) or a cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."
  }
}

variable "migrator_task_definition_arn" {
  description = "ARN of the migrator task definition revision to run, with its revision (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION). The migration runs again whenever it changes."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]{1,255}:[1-9][0-9]*$", var.migrator_task_definition_arn))
    error_message = "The migrator_task_definition_arn is ${jsonencode(var.migrator_task_definition_arn)}: it must be a task definition ARN with its revision, arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION, such as the `arn` attribute of the aws_ecs_task_definition (not its family or `arn_without_revision`)."
  }
}

variable "subnet_ids" {
  description = "Subnet IDs for the migration task (awsvpc)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "The subnet_ids are ${jsonencode(var.subnet_ids)}: they must be a non-empty list of subnet IDs (subnet-...)."
  }
}

variable "security_group_id" {
  description = "Security group ID for the migration task (awsvpc)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.security_group_id))
    error_message = "The security_group_id is ${jsonencode(var.security_group_id)}: it must be one security group ID (sg-...), not a list or a name."
  }
}

variable "region" {
  description = "AWS region of the cluster. It must be the AWS provider's region: the function runs there and starts the task in its own region."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region is ${jsonencode(var.region)}: it must be an AWS region name such as us-east-1."
  }
}

variable "task_execution_role_arn" {
  description = "ARN of the migrator task definition's execution role. The function may pass it (iam:PassRole) and no other role but `task_role_arn`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.task_execution_role_arn))
    error_message = "The task_execution_role_arn is ${jsonencode(var.task_execution_role_arn)}: it must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), not a role name."
  }
}

variable "task_role_arn" {
  description = "ARN of the migrator task definition's task role. The function may pass it (iam:PassRole)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.task_role_arn))
    error_message = "The task_role_arn is ${jsonencode(var.task_role_arn)}: it must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), not a role name."
  }
}

################################################################################
# Additions
################################################################################

variable "services" {
  description = "ECS services in the cluster, by name or ARN, to pause during the migration (desired count `paused_count`, auto scaling suspended) and to restore after it, on every exit path. Empty: none, and the function gets no permission on any service."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.services : can(regex("^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255})$", s))])
    error_message = "The services ${jsonencode([for s in var.services : s if !can(regex("^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/([A-Za-z0-9_-]{1,255}/)?[A-Za-z0-9_-]{1,255})$", s))])} are neither service names (letters, digits, - and _) nor service ARNs (arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME)."
  }
}

variable "paused_count" {
  description = "Desired count of the `services` while the migration runs (payload `MinCapacity`)."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.paused_count >= 0 && floor(var.paused_count) == var.paused_count
    error_message = "The paused_count is ${var.paused_count}: it must be a whole number, 0 or more."
  }
}

variable "desired_count" {
  description = "Desired count every one of the `services` comes back at (payload `DesiredCount`). null: each comes back at the count it had before the pause."
  type        = number
  default     = null

  validation {
    condition     = var.desired_count == null ? true : (var.desired_count >= 0 && floor(var.desired_count) == var.desired_count)
    error_message = "The desired_count is ${jsonencode(var.desired_count)}: it must be null or a whole number, 0 or more."
  }
}

variable "keep_paused_on_failure" {
  description = "Leave the `services` paused when the migration fails or times out (payload `KeepPausedOnFailure`); `ecs-migrate restore` puts them back."
  type        = bool
  default     = false
  nullable    = false
}

variable "triggers" {
  description = "Values whose change invokes the migration again for the same task definition revision, like `terraform_data`'s `triggers_replace`: e.g. a hash of the SQL files, as Omni's module re-ran on every SQL change (see README). They are also part of the migration's identity (payload `Key` = sha256 of the map as JSON), so a new value is a new migration, not one already done. Empty: the revision alone decides."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "force" {
  description = "Run the migration even if it is recorded as succeeded already (payload `Force`). Turning it on invokes the current migration again on that apply; turning it off invokes once more, and that invocation finds the migration succeeded and skips it (no task, no pause)."
  type        = bool
  default     = false
  nullable    = false
}

variable "adopt_revision" {
  description = "The revision of the migrator task definition the module this one replaced has already migrated. When `migrator_task_definition_arn`'s revision equals it, the invocation (payload `Adopt`) records that migration as succeeded without running anything (no task, no pause) unless it has a record of it already. Any other revision runs normally, so it may stay in place; adding or removing it invokes nothing. null: none."
  type        = number
  default     = null

  validation {
    condition     = var.adopt_revision == null ? true : (var.adopt_revision >= 1 && floor(var.adopt_revision) == var.adopt_revision)
    error_message = "The adopt_revision is ${jsonencode(var.adopt_revision)}: it must be null or a whole revision number, 1 or more (the :REVISION at the end of the migrator task definition ARN the old module last ran)."
  }
}

variable "container" {
  description = "The container of the task definition that runs the migration and whose exit code decides (payload `Container`). null: the task definition's only essential container."
  type        = string
  default     = null

  validation {
    condition     = var.container == null ? true : can(regex("^[A-Za-z0-9_-]{1,255}$", var.container))
    error_message = "The container is ${jsonencode(var.container)}: it must be null or a container name (letters, digits, - and _) of the migrator task definition."
  }
}

variable "command" {
  description = "The migration command, as argv (no shell), instead of the container's own command (payload `Command`). null: the task definition's command."
  type        = list(string)
  default     = null

  validation {
    condition     = var.command == null ? true : (length(var.command) > 0 && length(trimspace(join("", var.command))) > 0)
    error_message = "The command is ${jsonencode(var.command)}: it must be null (the task definition's command) or a non-empty list of strings, e.g. [\"bin/migrate\", \"up\"]."
  }
}

variable "migration_environment" {
  description = "Environment variables for the migration container, on top of its task definition's (payload `Environment`). Not for secrets: they are in the plan and the state; give secrets to the task definition."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.migration_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "The migration_environment keys ${jsonencode([for k in keys(var.migration_environment) : k if !can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])} are not environment variable names: use [A-Za-z_][A-Za-z0-9_]*."
  }
}

variable "timeout" {
  description = "How long the migration may take before the task is stopped and the apply fails: `90s`, `10m`, `1h`. Up to `lambda_timeout` minus 2 minutes (the default, `13m`, with 900 s), a migration ends within one invocation: the handler hands off 60 s before the invocation's deadline and stopping a task takes up to its stopTimeout. Longer: a migration still running near the deadline is handed off (the apply fails with `StillRunning`, the services stay paused) and the next apply re-attaches to the same task, until it ends or its age reaches this timeout."
  type        = string
  default     = "13m"
  nullable    = false

  validation {
    condition = can(regex("^([0-9]+(s|m|h))+$", var.timeout)) && sum(concat([0], [
      for part in regexall("([0-9]+)([smh])", var.timeout) :
      tonumber(part[0]) * lookup({ s = 1, m = 60, h = 3600 }, part[1])
    ])) > 0
    error_message = "The timeout is ${jsonencode(var.timeout)}: it must be a duration such as 90s, 10m or 1h (not 0: a migration run from Lambda always has a limit)."
  }
}

variable "wait_for_lock" {
  description = "How long the handler waits for another run of this app's migrations to finish before it fails with `Locked` (payload `WaitForLock`, a duration such as `30s` or `2m`). null: the handler's default. The wait comes on top of `timeout`, within `lambda_timeout`."
  type        = string
  default     = null

  validation {
    condition     = var.wait_for_lock == null ? true : can(regex("^(0|([0-9]+(s|m))+)$", var.wait_for_lock))
    error_message = "The wait_for_lock is ${jsonencode(var.wait_for_lock)}: it must be null, 0, or a duration such as 30s, 2m or 1m30s."
  }
}

variable "lock" {
  description = "Hold the lock of this app's migrations in S3 instead of in a tag on the cluster (payload `Lock`): `s3://BUCKET/PREFIX`, one object `PREFIX/<cluster name>/<task definition family>.json`, taken and renewed with conditional writes, so two runs that start at the same instant cannot both hold it. The function's role may then read, write and delete the objects under `PREFIX/` and list the bucket under `PREFIX/` only (a missing lock reads as missing, not as access denied). null: the tag on the cluster, and no permission on S3. Adding, changing or removing it invokes nothing."
  type        = string
  default     = null

  validation {
    condition     = var.lock == null ? true : can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$", var.lock))
    error_message = "The lock is ${jsonencode(var.lock)}: it must be null (the lock is a tag on the cluster) or an S3 location s3://BUCKET/PREFIX, such as s3://my-locks/ecs-migrate: a bucket name (3 to 63 lowercase letters, digits, . and -) and an optional prefix."
  }
}

variable "assign_public_ip" {
  description = "Give the migration task a public IP (payload `AssignPublicIp` = ENABLED), for public subnets without a NAT gateway."
  type        = bool
  default     = false
  nullable    = false
}

variable "migration_log_group_name" {
  description = "The CloudWatch log group the migration container logs to (its task definition's `awslogs-group`): the function may read only that group's logs. null: it may read any log group of the account and region (read only)."
  type        = string
  default     = null

  validation {
    condition     = var.migration_log_group_name == null ? true : can(regex("^[\\w./#-]{1,512}$", var.migration_log_group_name))
    error_message = "The migration_log_group_name is ${jsonencode(var.migration_log_group_name)}: it must be null or a log group name (letters, digits and _-./#), the awslogs-group of the migrator task definition."
  }
}

variable "lambda_zip_path" {
  description = "Path of the Lambda deployment package: a zip with the ecs-migrate binary as its `bootstrap` executable (for `architecture`), as `ecs-migrate lambda-package` writes it. null (the default): `lambda/bootstrap.zip` inside this module's directory if it is there, else the module writes the package during the apply with the `ecs-migrate` at `ecs_migrate_path` (`pipx install ecs-migrate`)."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip_path == null ? true : can(regex("\\.zip$", var.lambda_zip_path))
    error_message = "The lambda_zip_path is ${jsonencode(var.lambda_zip_path)}: it must be the path of a .zip file (scripts/lambda-zip writes target/lambda/ARCH/bootstrap.zip), or null for lambda/bootstrap.zip in the module."
  }
}

variable "create_log_group" {
  description = "Manage the function's log group, /aws/lambda/<function name>, here, with `log_retention_in_days`. false (the default): leave it to Lambda, which creates it on the first invocation (the function may) and keeps using the one Omni's function left behind; works on fresh and existing installs alike, and the group outlives `terraform destroy`. true on an install whose function has run before: import the existing group first (see README), or the apply fails creating it."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Retention of the function's CloudWatch log group, in days (0: never expire)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "The log_retention_in_days is ${var.log_retention_in_days}: it must be one of the values CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "function_name_prefix" {
  description = "Prefix of the function's name: `<function_name_prefix>-<customer_name>-migrator`."
  type        = string
  default     = "omni"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,16}$", var.function_name_prefix))
    error_message = "The function_name_prefix is ${jsonencode(var.function_name_prefix)}: it must be 1 to 16 letters, digits, - or _."
  }
}

variable "invoke" {
  description = "Whether to invoke the function on apply (once per task definition revision and payload). false: only create the function, e.g. where it cannot run."
  type        = bool
  default     = true
  nullable    = false
}

variable "architecture" {
  description = "Instruction set of the function, matching the `bootstrap` binary in the zip: x86_64 or arm64."
  type        = string
  default     = "x86_64"
  nullable    = false

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "The architecture is ${jsonencode(var.architecture)}: it must be x86_64 or arm64, as the bootstrap in the zip was built."
  }
}

variable "lambda_timeout" {
  description = "The function's timeout in seconds (at most 900, Lambda's limit). The invocation, and so the apply, waits up to this long."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 900 && floor(var.lambda_timeout) == var.lambda_timeout
    error_message = "The lambda_timeout is ${var.lambda_timeout}: it must be a whole number of seconds from 1 to 900 (Lambda's limit)."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB. The handler only calls AWS APIs: 256 is plenty."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "The memory_size is ${var.memory_size}: it must be a whole number of MB from 128 to 10240."
  }
}

variable "tags" {
  description = "Tags for the resources this module creates, on top of Customer, Environment and ManagedBy."
  type        = map(string)
  default     = {}
  nullable    = false
}

variable "ecs_migrate_path" {
  description = "The ecs-migrate binary that writes the Lambda package during the apply (`ecs-migrate lambda-package`) when `lambda_zip_path` is null and the module holds no lambda/bootstrap.zip: a name on the PATH of the machine running Terraform, or a path. Install it with `pipx install ecs-migrate==0.1.0` (the module's version); it must be the Linux binary of `architecture`."
  type        = string
  default     = "ecs-migrate"
  nullable    = false

  validation {
    condition     = length(trimspace(var.ecs_migrate_path)) > 0
    error_message = "The ecs_migrate_path is empty: give the ecs-migrate binary's name on PATH (the default, \"ecs-migrate\") or its path."
  }
}
