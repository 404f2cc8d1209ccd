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
    error_message = "The customer_name must be 1 to 38 letters, digits, - or _ (it goes into the Lambda function and IAM role names)."
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
    error_message = "The cluster_name must be a cluster name (letters, digits, - and _) or a cluster ARN."
  }
}

variable "migrator_task_definition_arn" {
  description = "ARN of the migrator task definition revision to run, with its revision (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION). The migration runs again whenever it changes."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/[A-Za-z0-9_-]{1,255}:[1-9][0-9]*$", var.migrator_task_definition_arn))
    error_message = "The migrator_task_definition_arn must be a task definition ARN with its revision: arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION."
  }
}

variable "subnet_ids" {
  description = "Subnet IDs for the migration task (awsvpc)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "The subnet_ids must be a non-empty list of subnet IDs (subnet-...)."
  }
}

variable "security_group_id" {
  description = "Security group ID for the migration task (awsvpc)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^sg-[0-9a-f]+$", var.security_group_id))
    error_message = "The security_group_id must be a security group ID (sg-...)."
  }
}

variable "region" {
  description = "AWS region of the cluster. It must be the AWS provider's region: the function runs there and starts the task in its own region."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region must be an AWS region name such as us-east-1."
  }
}

variable "task_execution_role_arn" {
  description = "ARN of the migrator task definition's execution role. The function may pass it (iam:PassRole) and no other role but `task_role_arn`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.task_execution_role_arn))
    error_message = "The task_execution_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

variable "task_role_arn" {
  description = "ARN of the migrator task definition's task role. The function may pass it (iam:PassRole)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]+$", var.task_role_arn))
    error_message = "The task_role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)."
  }
}

################################################################################
# Additions
################################################################################

variable "services" {
  description = "Names of ECS services in the cluster to pause during the migration (desired count `paused_count`, auto scaling suspended) and to restore after it, on every exit path. Empty: none, and the function gets no permission on any service."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for s in var.services : can(regex("^[A-Za-z0-9_-]{1,255}$", s))])
    error_message = "The services must be service names (letters, digits, - and _; not ARNs)."
  }
}

variable "paused_count" {
  description = "Desired count of the `services` while the migration runs (payload `MinCapacity`)."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.paused_count >= 0 && floor(var.paused_count) == var.paused_count
    error_message = "The paused_count must be a whole number, 0 or more."
  }
}

variable "desired_count" {
  description = "Desired count every one of the `services` comes back at (payload `DesiredCount`). null: each comes back at the count it had before the pause."
  type        = number
  default     = null

  validation {
    condition     = var.desired_count == null ? true : (var.desired_count >= 0 && floor(var.desired_count) == var.desired_count)
    error_message = "The desired_count must be null or a whole number, 0 or more."
  }
}

variable "keep_paused_on_failure" {
  description = "Leave the `services` paused when the migration fails or times out (payload `KeepPausedOnFailure`); `ecs-migrate restore` puts them back."
  type        = bool
  default     = false
  nullable    = false
}

variable "container" {
  description = "The container of the task definition that runs the migration and whose exit code decides (payload `Container`). null: the task definition's only essential container."
  type        = string
  default     = null

  validation {
    condition     = var.container == null ? true : can(regex("^[A-Za-z0-9_-]{1,255}$", var.container))
    error_message = "The container must be null or a container name (letters, digits, - and _)."
  }
}

variable "command" {
  description = "The migration command, as argv (no shell), instead of the container's own command (payload `Command`). null: the task definition's command."
  type        = list(string)
  default     = null

  validation {
    condition     = var.command == null ? true : (length(var.command) > 0 && length(trimspace(join("", var.command))) > 0)
    error_message = "The command must be null or a non-empty list of strings."
  }
}

variable "migration_environment" {
  description = "Environment variables for the migration container, on top of its task definition's (payload `Environment`). Not for secrets: they are in the plan and the state; give secrets to the task definition."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.migration_environment) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "The migration_environment keys must be environment variable names ([A-Za-z_][A-Za-z0-9_]*)."
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
    error_message = "The timeout must be a duration such as 90s, 10m or 1h (not 0: a migration run from Lambda always has a limit)."
  }
}

variable "wait_for_lock" {
  description = "How long the handler waits for another run of this app's migrations to finish before it fails with `Locked` (payload `WaitForLock`, a duration such as `30s` or `2m`). null: the handler's default. The wait comes on top of `timeout`, within `lambda_timeout`."
  type        = string
  default     = null

  validation {
    condition     = var.wait_for_lock == null ? true : can(regex("^(0|([0-9]+(s|m))+)$", var.wait_for_lock))
    error_message = "The wait_for_lock must be null, 0, or a duration such as 30s, 2m or 1m30s."
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
    error_message = "The migration_log_group_name must be null or a log group name (letters, digits and _-./#)."
  }
}

variable "lambda_zip_path" {
  description = "Path of the Lambda deployment package: a zip with the ecs-migrate Lambda handler as its `bootstrap` executable (built for `architecture`). null: `lambda/bootstrap.zip` inside this module's directory."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_zip_path == null ? true : endswith(var.lambda_zip_path, ".zip")
    error_message = "The lambda_zip_path must be the path of a .zip file."
  }
}

variable "create_log_group" {
  description = "Create the function's log group, /aws/lambda/<function name>, with `log_retention_in_days`. false: leave it to Lambda (the function may create it), e.g. when upgrading a function that has run before and whose log group therefore exists; or import the group instead (see README)."
  type        = bool
  default     = true
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Retention of the function's CloudWatch log group, in days (0: never expire)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "The log_retention_in_days must be one of the values CloudWatch Logs accepts: 0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "function_name_prefix" {
  description = "Prefix of the function's name: `<function_name_prefix>-<customer_name>-migrator`."
  type        = string
  default     = "omni"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,16}$", var.function_name_prefix))
    error_message = "The function_name_prefix must be 1 to 16 letters, digits, - or _."
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
    error_message = "The architecture must be x86_64 or arm64."
  }
}

variable "lambda_timeout" {
  description = "The function's timeout in seconds (at most 900, Lambda's limit). The invocation, and so the apply, waits up to this long."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 900 && floor(var.lambda_timeout) == var.lambda_timeout
    error_message = "The lambda_timeout must be a whole number of seconds from 1 to 900."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB. The handler only calls AWS APIs: 256 is plenty."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "The memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "tags" {
  description = "Tags for the resources this module creates, on top of Customer, Environment and ManagedBy."
  type        = map(string)
  default     = {}
  nullable    = false
}
