variable "name" {
  description = "Name of the state machine; its IAM role is `<name>-states`."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,57}$", var.name))
    error_message = "The name is ${jsonencode(var.name)}: it must be 1 to 57 letters, digits, - or _ (it names the state machine and, with -states, its IAM role, at most 64 characters)."
  }
}

variable "function_arn" {
  description = "ARN of the ecs-migrate Lambda function each target's run invokes (for example `module.migrations.lambda_function_arn` of the ecs-migrate-lambda module); a version or alias ARN is accepted."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]{1,64}(:(\\$LATEST|[A-Za-z0-9_-]{1,128}))?$", var.function_arn))
    error_message = "The function_arn is ${jsonencode(var.function_arn)}: it must be a Lambda function ARN, arn:aws:lambda:REGION:ACCOUNT:function:NAME (optionally :VERSION or :ALIAS), such as the `arn` of an aws_lambda_function or the ecs-migrate-lambda module's lambda_function_arn, not a function name."
  }
}

variable "canary" {
  description = "How many targets run first, alone and one after another, and must all succeed before the others start (`ecs-migrate rollout --canary`). 0: none."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.canary >= 0 && floor(var.canary) == var.canary
    error_message = "The canary is ${jsonencode(var.canary)}: it must be a whole number of targets, 0 or more (0: no canary)."
  }
}

variable "max_concurrency" {
  description = "How many targets (after the canary) run at once (`ecs-migrate rollout --concurrency`): the Distributed Map's MaxConcurrency."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 10000 && floor(var.max_concurrency) == var.max_concurrency
    error_message = "The max_concurrency is ${jsonencode(var.max_concurrency)}: it must be a whole number from 1 to 10000 (a Distributed Map's limit)."
  }
}

variable "max_failures" {
  description = "After this many failed targets no new target starts and the rollout is halted (`ecs-migrate rollout --max-failures`): ToleratedFailureCount max_failures - 1. 0: never halt (ToleratedFailurePercentage 100)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.max_failures >= 0 && floor(var.max_failures) == var.max_failures
    error_message = "The max_failures is ${jsonencode(var.max_failures)}: it must be a whole number of targets, 0 or more (0: never halt)."
  }
}

variable "still_running_retry" {
  description = "Retry of a target whose invocation handed off near the Lambda deadline (`StillRunning`) or was interrupted (`Interrupted`): the next invocation re-attaches to the same task. `interval_seconds` before the first retry, `max_attempts` retries, each interval `backoff_rate` times the one before."
  type = object({
    interval_seconds = optional(number, 1)
    max_attempts     = optional(number, 50)
    backoff_rate     = optional(number, 1)
  })
  default  = {}
  nullable = false

  validation {
    condition = (var.still_running_retry.interval_seconds >= 1 && floor(var.still_running_retry.interval_seconds) == var.still_running_retry.interval_seconds
      && var.still_running_retry.max_attempts >= 0 && floor(var.still_running_retry.max_attempts) == var.still_running_retry.max_attempts
    && var.still_running_retry.backoff_rate >= 1)
    error_message = "The still_running_retry is ${jsonencode(var.still_running_retry)}: interval_seconds must be a whole number of seconds, 1 or more; max_attempts a whole number, 0 or more; backoff_rate a number, 1 or more (Step Functions' Retry limits)."
  }
}

variable "locked_retry" {
  description = "Retry of a target whose app another run holds (`Locked`): wait `interval_seconds`, retry up to `max_attempts` times, each wait `backoff_rate` times the one before."
  type = object({
    interval_seconds = optional(number, 60)
    max_attempts     = optional(number, 10)
    backoff_rate     = optional(number, 1.5)
  })
  default  = {}
  nullable = false

  validation {
    condition = (var.locked_retry.interval_seconds >= 1 && floor(var.locked_retry.interval_seconds) == var.locked_retry.interval_seconds
      && var.locked_retry.max_attempts >= 0 && floor(var.locked_retry.max_attempts) == var.locked_retry.max_attempts
    && var.locked_retry.backoff_rate >= 1)
    error_message = "The locked_retry is ${jsonencode(var.locked_retry)}: interval_seconds must be a whole number of seconds, 1 or more; max_attempts a whole number, 0 or more; backoff_rate a number, 1 or more (Step Functions' Retry limits)."
  }
}

variable "tags" {
  description = "Tags on the state machine and its role, besides ManagedBy."
  type        = map(string)
  default     = {}
  nullable    = false
}
