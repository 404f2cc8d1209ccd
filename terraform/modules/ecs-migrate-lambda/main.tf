################################################################################
# The ecs-migrate Lambda handler (custom runtime, `bootstrap`), its log group, a
# least-privilege role, and one synchronous invocation per task definition revision and
# payload. The handler pauses the services, runs the migration task, waits for it,
# restores the services on every exit path, and returns a Lambda error unless the
# migration succeeded (or had already succeeded), which fails the invocation and so the
# apply.
#
# Resource addresses `aws_iam_role.lambda_execution` and `aws_lambda_function.migrator`
# are those of Omni's modules/migrations, so that swapping the module's source updates the
# function in place instead of creating a second one with the same name. The swap never
# leaves the function without a role (the new role is created before Omni's is deleted) and
# never fails on the log group Omni's function left behind (not managed by default).
################################################################################

data "aws_region" "current" {}

locals {
  function_name = "${var.function_name_prefix}-${var.customer_name}-migrator"
  # Not Omni's role name (omni-<customer>-migrator-lambda-role): the new role replaces
  # Omni's, created before it is deleted (create_before_destroy). Deleting Omni's role
  # deletes its inline policy RunECSTask (ecs:RunTask on *) and detaches
  # AWSLambdaBasicExecutionRole with it; a new definition of a role of the same name would
  # leave both in place (the provider does not manage what is not configured).
  role_name = "${local.function_name}-ecs-migrate"

  # The package: lambda_zip_path; else a copy vendored with the module (lambda/bootstrap.zip);
  # else written during the apply by the ecs-migrate installed where Terraform runs
  # (`ecs-migrate lambda-package`: the binary itself, which serves as the function's bootstrap).
  ecs_migrate_version = "0.1.0"
  vendored_zip        = "${path.module}/lambda/bootstrap.zip"
  build_package       = var.lambda_zip_path == null && !fileexists(local.vendored_zip)
  zip_path = (var.lambda_zip_path != null ? var.lambda_zip_path
    : local.build_package ? "${path.root}/.terraform/ecs-migrate/${local.function_name}-${var.architecture}.zip"
  : local.vendored_zip)

  # arn:PARTITION:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION
  task_definition = regex("^arn:(?P<partition>[^:]+):ecs:(?P<region>[^:]+):(?P<account>[0-9]+):task-definition/(?P<family>[^:]+):(?P<revision>[0-9]+)$", var.migrator_task_definition_arn)
  partition       = local.task_definition.partition
  account_id      = local.task_definition.account
  ecs_arn         = "arn:${local.partition}:ecs:${var.region}:${local.account_id}"
  logs_arn        = "arn:${local.partition}:logs:${var.region}:${local.account_id}"

  # (regex, not startswith: that needs Terraform 1.5, and the module works from 1.4.)
  cluster_name = can(regex("^arn:", var.cluster_name)) ? element(split("/", var.cluster_name), 1) : var.cluster_name
  cluster_arn  = can(regex("^arn:", var.cluster_name)) ? var.cluster_name : "${local.ecs_arn}:cluster/${var.cluster_name}"

  # Every revision of the migrator's family (RunTask is authorized on the revision's ARN).
  task_definition_family_arn = "${local.ecs_arn}:task-definition/${local.task_definition.family}:*"
  # A service given by ARN is that ARN; by name, both ARN formats: service/CLUSTER/NAME
  # (current) and service/NAME (old accounts).
  service_arns = distinct(flatten([for s in var.services : can(regex("^arn:", s)) ? [s] : [
    "${local.ecs_arn}:service/${local.cluster_name}/${s}",
    "${local.ecs_arn}:service/${s}",
  ]]))

  # ecs-migrate's outcome records: /ecs-migrate/<family>/<revision>/<migration id>.
  parameter_arn = "arn:${local.partition}:ssm:${var.region}:${local.account_id}:parameter/ecs-migrate/${local.task_definition.family}/*"

  # The lock object, with `lock`: s3://BUCKET/PREFIX holds PREFIX/<cluster>/<family>.json. The
  # prefix without its trailing slashes (none: the objects are at the bucket's top).
  lock            = var.lock == null ? null : regex("^s3://(?P<bucket>[^/]+)/?(?P<prefix>.*?)/*$", var.lock)
  lock_bucket_arn = var.lock == null ? null : "arn:${local.partition}:s3:::${local.lock.bucket}"
  lock_objects    = var.lock == null ? null : (local.lock.prefix == "" ? "*" : "${local.lock.prefix}/*")

  # `triggers` as one stable string, the migration's extra identity (payload `Key`); empty
  # without triggers, so that migrations run before `triggers` existed keep their identity.
  key = length(var.triggers) == 0 ? "" : sha256(jsonencode(var.triggers))
  # The revision the replaced module already migrated: recorded as succeeded, not run.
  adopt = var.adopt_revision == tonumber(local.task_definition.revision)

  log_group_name = "/aws/lambda/${local.function_name}"
  log_group_arn  = "${local.logs_arn}:log-group:${local.log_group_name}"

  # The invocation's payload: the keys the handler accepts (PascalCase); optional ones only
  # when set. The first four are exactly Omni's payload.
  payload = { for key, value in {
    Cluster             = var.cluster_name
    TaskDefinition      = var.migrator_task_definition_arn
    Subnets             = join(",", var.subnet_ids)
    SecurityGroups      = var.security_group_id
    Services            = length(var.services) > 0 ? var.services : null
    MinCapacity         = length(var.services) > 0 ? var.paused_count : null
    DesiredCount        = length(var.services) > 0 ? var.desired_count : null
    KeepPausedOnFailure = length(var.services) > 0 && var.keep_paused_on_failure ? true : null
    Container           = var.container
    Command             = var.command
    Environment         = length(var.migration_environment) > 0 ? var.migration_environment : null
    Timeout             = var.timeout
    WaitForLock         = var.wait_for_lock
    Lock                = var.lock
    AssignPublicIp      = var.assign_public_ip ? "ENABLED" : null
    Key                 = local.key == "" ? null : local.key
    Force               = var.force ? true : null
    Adopt               = local.adopt ? true : null
  } : key => value if value != null }

  # The invocation's verdict (outputs migration_completed and migration_succeeded): the
  # handler's result document says succeeded, or skipped (done before, or adopted).
  migration_succeeded = try(contains(["succeeded", "skipped"], jsondecode(aws_lambda_invocation.migration[0].result).status), false)

  # What makes a new invocation: the payload without `Adopt`, which says how to treat a
  # revision, and `Lock`, which says where runs take turns, not what to migrate (adding or
  # removing adopt_revision or lock invokes nothing).
  payload_identity = { for key, value in local.payload : key => value if !contains(["Adopt", "Lock"], key) }

  tags = merge({
    Customer    = var.customer_name
    Environment = var.environment
    ManagedBy   = "Terraform"
  }, var.tags)
}

################################################################################
# Logs: by default not managed here. Lambda creates /aws/lambda/<function> on the first
# invocation, and where Omni's function ran it exists already (created by Lambda, not by
# Terraform): creating it here would fail half-way through the swap. create_log_group =
# true manages it (retention); an existing one must then be imported (see README).
################################################################################

resource "aws_cloudwatch_log_group" "lambda" {
  count = var.create_log_group ? 1 : 0

  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  tags              = local.tags
}

################################################################################
# IAM: only what ecs-migrate does, only on this app's resources
################################################################################

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda_execution" {
  name               = local.role_name
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
  tags               = local.tags

  # Replacing a role (Omni's, or after a change of name) creates the new one and moves the
  # function to it before the old one is deleted: the function always has a role.
  lifecycle {
    create_before_destroy = true
  }
}

data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "RunTheMigratorOnly"
    actions   = ["ecs:RunTask"]
    resources = [local.task_definition_family_arn]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.cluster_arn]
    }
  }

  # ecs-migrate tags the task it started with its run id (ecs-migrate:run) right after
  # RunTask, never in it (the RunTask request of a migration is identical in every run).
  statement {
    sid       = "WatchTagAndStopTasksInTheCluster"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask", "ecs:TagResource"]
    resources = ["${local.ecs_arn}:task/${local.cluster_name}/*"]
  }

  # ListTasks is authorized on the account, narrowed by the cluster it lists.
  statement {
    sid       = "ListTasksInTheCluster"
    actions   = ["ecs:ListTasks"]
    resources = ["*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [local.cluster_arn]
    }
  }

  statement {
    sid       = "DescribeTheCluster"
    actions   = ["ecs:DescribeClusters"]
    resources = [local.cluster_arn]
  }

  # DescribeTaskDefinition supports no resource-level permission.
  statement {
    sid       = "DescribeTaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition"]
    resources = ["*"]
  }

  # How each migration ended (run once): one SSM parameter per migration,
  # /ecs-migrate/<family>/<revision>/<migration id>, out of every Terraform-managed resource.
  statement {
    sid       = "KeepOutcomeRecordsInParameterStore"
    actions   = ["ssm:GetParameter", "ssm:PutParameter"]
    resources = [local.parameter_arn]
  }

  # Earlier versions kept outcomes as tags on the revision: the first run that reads them
  # moves them to Parameter Store and removes the tags.
  statement {
    sid       = "MoveOldOutcomeTagsOffTheTaskDefinition"
    actions   = ["ecs:ListTagsForResource", "ecs:UntagResource"]
    resources = [local.task_definition_family_arn]
  }

  # The family's lock, a tag on the cluster for the length of a run.
  statement {
    sid       = "LockTheAppOnTheCluster"
    actions   = ["ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"]
    resources = [local.cluster_arn]
  }

  # With `lock`, the family's lock is an object in S3 instead: read, taken (a conditional
  # PutObject), renewed and released (DeleteObject) under the lock's prefix only.
  dynamic "statement" {
    for_each = var.lock == null ? [] : [1]
    content {
      sid       = "LockTheAppInS3"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${local.lock_bucket_arn}/${local.lock_objects}"]
    }
  }

  # Without s3:ListBucket, GetObject of a missing object is AccessDenied rather than NoSuchKey:
  # with it, on the lock's prefix only, a free lock reads as free.
  dynamic "statement" {
    for_each = var.lock == null ? [] : [1]
    content {
      sid       = "SeeAFreeLockInS3"
      actions   = ["s3:ListBucket"]
      resources = [local.lock_bucket_arn]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [local.lock_objects]
      }
    }
  }

  # The pause records, tags on the services while they are paused.
  dynamic "statement" {
    for_each = length(var.services) > 0 ? [1] : []
    content {
      sid       = "RecordThePauseOnTheServices"
      actions   = ["ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource"]
      resources = local.service_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.services) > 0 ? [1] : []
    content {
      sid       = "PauseAndRestoreTheServices"
      actions   = ["ecs:DescribeServices", "ecs:UpdateService"]
      resources = local.service_arns
    }
  }

  # Application Auto Scaling has no resource-level permissions for these actions.
  dynamic "statement" {
    for_each = length(var.services) > 0 ? [1] : []
    content {
      sid = "SuspendAndRestoreTheServicesAutoScaling"
      actions = [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
      ]
      resources = ["*"]
    }
  }

  # The migration's own log lines, streamed into the function's log and its result: from
  # migration_log_group_name, or (unknown here) any log group of the account and region.
  statement {
    sid       = "ReadTheMigrationLogs"
    actions   = ["logs:GetLogEvents"]
    resources = ["${local.logs_arn}:log-group:${coalesce(var.migration_log_group_name, "*")}:log-stream:*"]
  }

  statement {
    sid       = "WriteTheFunctionsOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  # Without create_log_group, Lambda creates the group on the first invocation (if it is
  # not there already).
  dynamic "statement" {
    for_each = var.create_log_group ? [] : [1]
    content {
      sid       = "CreateTheFunctionsLogGroup"
      actions   = ["logs:CreateLogGroup"]
      resources = [local.log_group_arn]
    }
  }

  statement {
    sid       = "PassTheMigratorsRolesToEcs"
    actions   = ["iam:PassRole"]
    resources = distinct([var.task_execution_role_arn, var.task_role_arn])
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "ecs-migrate"
  role   = aws_iam_role.lambda_execution.id
  policy = data.aws_iam_policy_document.lambda.json
}

################################################################################
# The function
################################################################################

# Writes the package when there is none to take (see local.build_package), during the apply,
# again only when the module's ecs-migrate version or the architecture changes. The binary
# refuses another version than the module's (--expect-version) and another architecture than
# its own, each with the command that fixes it. No shell: argv is interpreter + [command].
resource "terraform_data" "package" {
  count = local.build_package ? 1 : 0

  triggers_replace = [local.ecs_migrate_version, var.architecture, local.zip_path]
  # The function's code changes exactly when this does (the zip's own hash is not known at plan).
  input = base64sha256("ecs-migrate ${local.ecs_migrate_version} ${var.architecture}")

  provisioner "local-exec" {
    interpreter = [var.ecs_migrate_path, "lambda-package", "--architecture", var.architecture, "--expect-version", local.ecs_migrate_version, "--output"]
    command     = local.zip_path
  }
}

resource "aws_lambda_function" "migrator" {
  function_name = local.function_name
  role          = aws_iam_role.lambda_execution.arn
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]
  filename      = local.zip_path
  source_code_hash = (local.build_package ? terraform_data.package[0].output
  : fileexists(local.zip_path) ? filebase64sha256(local.zip_path) : null)
  timeout     = var.lambda_timeout
  memory_size = var.memory_size
  tags        = local.tags

  lifecycle {
    precondition {
      condition     = local.build_package || fileexists(local.zip_path)
      error_message = "There is no Lambda package at ${local.zip_path} (lambda_zip_path). Write it with `ecs-migrate lambda-package --architecture ${var.architecture} -o ${local.zip_path}`, or set lambda_zip_path to null to have the module write it during the apply."
    }
    precondition {
      condition     = length(local.function_name) <= 64 && length(local.role_name) <= 64
      error_message = "The function name (${local.function_name}) or its role's (${local.role_name}) is longer than 64 characters: shorten customer_name or function_name_prefix."
    }
    precondition {
      condition     = var.region == data.aws_region.current.id
      error_message = "The region is ${var.region} but the AWS provider's is ${data.aws_region.current.id}: the function runs in the provider's region and starts the task in its own, so they must be the same."
    }
    precondition {
      condition     = local.task_definition.region == var.region
      error_message = "The migrator_task_definition_arn is in ${local.task_definition.region}, not in region ${var.region}."
    }
  }

  # The role must be able to write logs and run the task before the first invocation.
  depends_on = [
    aws_cloudwatch_log_group.lambda,
    aws_iam_role_policy.lambda,
    terraform_data.package,
  ]
}

################################################################################
# The invocation: once per task definition revision and payload
################################################################################

resource "aws_lambda_invocation" "migration" {
  count = var.invoke ? 1 : 0

  function_name = aws_lambda_function.migrator.function_name
  input         = jsonencode(local.payload)

  # No timestamp: a re-apply with nothing changed invokes nothing. A new revision, new
  # `triggers`, `force`, or any other change to the payload but `Adopt`, invokes it again.
  triggers = {
    task_definition = var.migrator_task_definition_arn
    payload         = sha256(jsonencode(local.payload_identity))
  }

  lifecycle {
    # A change of `input` alone would invoke again (the provider replaces the invocation):
    # the triggers decide instead, and a new invocation always sends the current input.
    ignore_changes = [input]
  }
}
