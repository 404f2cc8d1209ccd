################################################################################
# A rollout with no runner: a Step Functions state machine (STANDARD) that takes the
# document of `ecs-migrate rollout --targets FILE` ({"defaults": {...}, "targets": [...]}) as
# its input and runs each target as one `ecs-migrate run`, an invocation of the ecs-migrate
# Lambda, in two Distributed Maps: the canary targets one after another (any failure halts),
# then the rest `max_concurrency` at a time until `max_failures` have failed. A last
# invocation summarizes (the document of `rollout --output json`), and the execution ends
# with it: Succeed, or Fail with RolloutFailed / RolloutHalted and the summary as the cause.
################################################################################

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  role_name = "${var.name}-states"

  partition  = data.aws_partition.current.partition
  states_arn = "arn:${local.partition}:states:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}"
  # The state machine's own ARN (its Distributed Maps start child executions of it), and
  # its executions: parent executions NAME:ID, the Maps' children NAME/MAP_RUN:ID.
  state_machine_arn = "${local.states_arn}:stateMachine:${var.name}"
  execution_arns    = ["${local.states_arn}:execution:${var.name}:*", "${local.states_arn}:execution:${var.name}/*"]

  # The function without a version or alias: the role may invoke it, its versions and aliases.
  function = regex("^(?P<unqualified>arn:(?P<partition>[^:]+):lambda:[^:]+:[0-9]+:function:[^:]+)", var.function_arn)

  # The run of one target: one invocation with {"Target": <the target>, "Defaults": <the
  # document's defaults>}, which answers the run's report with "statusCode": 200, or a
  # Lambda error whose errorType says what happened.
  run = {
    Type     = "Task"
    Resource = "arn:${local.function.partition}:states:::lambda:invoke"
    Parameters = {
      FunctionName = var.function_arn
      "Payload.$"  = "$"
    }
    OutputPath = "$.Payload"
    Retry = [
      # Handed off near the Lambda deadline (the task keeps running) or interrupted: the next
      # invocation re-attaches to the same task, so retry soon, many times.
      {
        ErrorEquals     = ["StillRunning", "Interrupted"]
        IntervalSeconds = var.still_running_retry.interval_seconds
        MaxAttempts     = var.still_running_retry.max_attempts
        BackoffRate     = var.still_running_retry.backoff_rate
      },
      # Another run holds the app: wait for it.
      {
        ErrorEquals     = ["Locked"]
        IntervalSeconds = var.locked_retry.interval_seconds
        MaxAttempts     = var.locked_retry.max_attempts
        BackoffRate     = var.locked_retry.backoff_rate
      },
      # Lambda's own transient errors (the invocation may not have run).
      local.lambda_transient,
    ]
    # MigrationFailed, TimedOut, InvalidInput, RestoreFailed, AwsError (and anything else)
    # fail the item.
    End = true
  }

  lambda_transient = {
    ErrorEquals     = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"]
    IntervalSeconds = 2
    MaxAttempts     = 6
    BackoffRate     = 2
  }

  # One Distributed Map: each item a child workflow that runs one target.
  map = {
    Type = "Map"
    ItemSelector = {
      "Target.$"   = "$$.Map.Item.Value"
      "Defaults.$" = "$.defaults"
    }
    ItemProcessor = {
      ProcessorConfig = { Mode = "DISTRIBUTED", ExecutionType = "STANDARD" }
      StartAt         = "Run"
      States          = { Run = local.run }
    }
    # Too many failed items: the Map Run fails with this error; the summary says halted.
    Catch = [{
      ErrorEquals = ["States.ExceedToleratedFailureThreshold"]
      ResultPath  = "$.halt"
      Next        = "Halt"
    }]
  }

  # ecs-migrate's --max-failures F: after F failures no new target starts. A Map Run fails
  # when its failures exceed ToleratedFailureCount, so F - 1; F = 0 never halts.
  tolerance = var.max_failures == 0 ? { ToleratedFailurePercentage = 100 } : { ToleratedFailureCount = var.max_failures - 1 }

  # Only with a canary. Its Map tolerates no failure (no ToleratedFailure* field: 0).
  canary_states = { for name, state in {
    Canary = merge(local.map, {
      Label          = "canary" # in the Map Run's ARN: what `rollout --via-step-functions` shows
      ItemsPath      = "$.canary"
      MaxConcurrency = 1
      ResultPath     = "$.results.canary"
      Next           = "Rest"
    })
  } : name => state if var.canary > 0 }

  definition = {
    Comment = "ecs-migrate rollout: the input is a rollout document, {\"defaults\": {...}, \"targets\": [{\"name\": ...}, ...]}; the output the summary of `ecs-migrate rollout --output json`."
    StartAt = "Check"
    States = merge(local.canary_states, {
      Check = {
        Type = "Choice"
        Choices = [
          { Variable = "$.targets", IsPresent = false, Next = "NoTargets" },
          { Variable = "$.defaults", IsPresent = false, Next = "NoDefaults" },
        ]
        Default = "Split"
      }
      NoTargets = {
        Type  = "Fail"
        Error = "InvalidInput"
        Cause = "The execution's input has no `targets`: it must be a rollout document, {\"defaults\": {...}, \"targets\": [{\"name\": \"acme\", ...}, ...]}, as `ecs-migrate rollout --targets FILE` reads."
      }
      NoDefaults = {
        Type       = "Pass"
        Result     = {}
        ResultPath = "$.defaults"
        Next       = "Split"
      }
      # The canary targets and the rest (Parameters paths may slice; ItemsPath may not).
      Split = {
        Type = "Pass"
        Parameters = {
          "defaults.$" = "$.defaults"
          "targets.$"  = "$.targets"
          "canary.$"   = "$.targets[0:${var.canary}]"
          "rest.$"     = "$.targets[${var.canary}:]"
          halted       = false
          results      = { canary = [], rest = [] }
        }
        Next = var.canary == 0 ? "Rest" : "Canary"
      }
      Rest = merge(local.map, local.tolerance, {
        Label          = "targets"
        ItemsPath      = "$.rest"
        MaxConcurrency = var.max_concurrency
        ResultPath     = "$.results.rest"
        Next           = "Collect"
      })
      Halt = {
        Type       = "Pass"
        Result     = true
        ResultPath = "$.halted"
        Next       = "Collect"
      }
      # Both Maps' results, in order; a failed item's entry is not a report (null, or its
      # child execution's record) and is left out below.
      Collect = {
        Type = "Pass"
        Parameters = {
          "defaults.$" = "$.defaults"
          "targets.$"  = "$.targets"
          "halted.$"   = "$.halted"
          "results.$"  = "States.Array($.results.canary, $.results.rest)"
        }
        Next = "Summarize"
      }
      Summarize = {
        Type     = "Task"
        Resource = "arn:${local.function.partition}:states:::lambda:invoke"
        Parameters = {
          FunctionName = var.function_arn
          Payload = {
            Summarize = {
              "defaults.$" = "$.defaults"
              "targets.$"  = "$.targets"
            }
            "Results.$" = "$.results[*][?(@.statusCode == 200)]"
            "Halted.$"  = "$.halted"
            "Since.$"   = "$$.Execution.StartTime"
          }
        }
        OutputPath = "$.Payload"
        Retry = [
          local.lambda_transient,
          # The summary only reads: an AWS error (throttling) is worth another try.
          { ErrorEquals = ["AwsError"], IntervalSeconds = 5, MaxAttempts = 3, BackoffRate = 2 },
        ]
        Next = "Verdict"
      }
      Verdict = {
        Type = "Choice"
        Choices = [
          { Variable = "$.status", StringEquals = "succeeded", Next = "Succeeded" },
          { Variable = "$.status", StringEquals = "halted", Next = "RolloutHalted" },
        ]
        Default = "RolloutFailed"
      }
      Succeeded = { Type = "Succeed" }
      RolloutHalted = {
        Type      = "Fail"
        Error     = "RolloutHalted"
        CausePath = "States.JsonToString($)"
      }
      RolloutFailed = {
        Type      = "Fail"
        Error     = "RolloutFailed"
        CausePath = "States.JsonToString($)"
      }
    })
  }

  tags = merge({ ManagedBy = "Terraform" }, var.tags)
}

################################################################################
# IAM: invoke the function; run, follow and stop the Distributed Maps' child workflows
################################################################################

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "rollout" {
  name               = local.role_name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags
}

data "aws_iam_policy_document" "rollout" {
  statement {
    sid       = "InvokeTheFunction"
    actions   = ["lambda:InvokeFunction"]
    resources = [local.function.unqualified, "${local.function.unqualified}:*"]
  }

  # A Distributed Map runs each item as a child execution of this state machine.
  statement {
    sid       = "StartTheMapsChildWorkflows"
    actions   = ["states:StartExecution"]
    resources = [local.state_machine_arn]
  }

  statement {
    sid       = "FollowAndStopTheMapsChildWorkflows"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = local.execution_arns
  }
}

resource "aws_iam_role_policy" "rollout" {
  name   = "ecs-migrate-rollout"
  role   = aws_iam_role.rollout.id
  policy = data.aws_iam_policy_document.rollout.json
}

################################################################################
# The state machine
################################################################################

resource "aws_sfn_state_machine" "rollout" {
  name       = var.name
  role_arn   = aws_iam_role.rollout.arn
  type       = "STANDARD"
  definition = jsonencode(local.definition)
  tags       = local.tags

  # Step Functions checks at creation that it may assume the role; the policy must be there
  # before the first execution.
  depends_on = [aws_iam_role_policy.rollout]
}
