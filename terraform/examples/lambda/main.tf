################################################################################
# An Omni-style tenant: a cluster, an app service, the migrator task definition, and the
# ecs-migrate Lambda module, which runs the migrator once per task definition revision
# from `terraform apply` (pausing the app service around it).
#
# The same configuration runs against a local AWS emulator (var.endpoint), which is how
# scripts/test-terraform applies it (with invoke = false).
################################################################################

provider "aws" {
  region = var.region

  # Against an emulator: no credential, account or metadata lookups; fake credentials
  # (e.g. AWS_ACCESS_KEY_ID=testing) come from the environment.
  skip_credentials_validation = var.endpoint != null
  skip_requesting_account_id  = var.endpoint != null
  skip_metadata_api_check     = var.endpoint != null
  skip_region_validation      = var.endpoint != null

  # No ignore_tags: ecs-migrate keeps no lasting record on what Terraform manages (outcomes
  # are SSM parameters under /ecs-migrate/; the lock and pause tags are gone when a run ends).

  dynamic "endpoints" {
    for_each = var.endpoint == null ? [] : [var.endpoint]
    content {
      applicationautoscaling = endpoints.value
      ec2                    = endpoints.value
      ecs                    = endpoints.value
      iam                    = endpoints.value
      lambda                 = endpoints.value
      logs                   = endpoints.value
      ssm                    = endpoints.value
      sts                    = endpoints.value
    }
  }
}

locals {
  name = "omni-${var.customer_name}"
}

################################################################################
# Network: the default VPC (use your own private subnets and security group).
################################################################################

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

data "aws_security_group" "default" {
  vpc_id = data.aws_vpc.default.id
  name   = "default"
}

################################################################################
# The tenant's cluster, roles, app service and migrator task definition
################################################################################

resource "aws_ecs_cluster" "this" {
  name = local.name
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${local.name}"
  retention_in_days = 7
}

data "aws_iam_policy_document" "ecs_tasks_assume_role" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${local.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

# What ECS needs to start the tasks: write their logs (the images are public).
resource "aws_iam_role_policy" "execution" {
  name = "logs"
  role = aws_iam_role.execution.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.app.arn}:*"
    }]
  })
}

# The role the app and the migrator run as (database access would be granted here).
resource "aws_iam_role" "task" {
  name               = "${local.name}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

resource "aws_ecs_task_definition" "migrator" {
  family                   = "${local.name}-migrator"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name        = "migrator"
    image       = "public.ecr.aws/docker/library/alpine:3.20"
    essential   = true
    command     = ["sh", "-c", "echo applying migrations for $APP_VERSION; echo done"]
    environment = [{ name = "APP_VERSION", value = var.app_version }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "migrator"
      }
    }
  }])
}

resource "aws_ecs_task_definition" "api" {
  family                   = "${local.name}-api"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name      = "api"
    image     = "public.ecr.aws/docker/library/alpine:3.20"
    essential = true
    command   = ["sleep", "infinity"]
  }])
}

resource "aws_ecs_service" "api" {
  name            = "${local.name}-api"
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.api.arn
  desired_count   = 1
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = data.aws_subnets.default.ids
    security_groups = [data.aws_security_group.default.id]
  }

  lifecycle {
    # Auto scaling and the migration's pause own the running count.
    ignore_changes = [desired_count]
  }
}

################################################################################
# The migration: Omni's module inputs, with `source` swapped (plus optional inputs).
################################################################################

module "migrations" {
  source = "../../modules/ecs-migrate-lambda"

  customer_name = var.customer_name
  environment   = "staging"

  cluster_name                 = aws_ecs_cluster.this.name
  migrator_task_definition_arn = aws_ecs_task_definition.migrator.arn
  subnet_ids                   = data.aws_subnets.default.ids
  security_group_id            = data.aws_security_group.default.id
  region                       = var.region
  task_execution_role_arn      = aws_iam_role.execution.arn
  task_role_arn                = aws_iam_role.task.arn

  # Optional additions
  services                 = [aws_ecs_service.api.name]
  timeout                  = "10m"
  migration_log_group_name = aws_cloudwatch_log_group.app.name
  lambda_zip_path          = var.lambda_zip_path
  invoke                   = var.invoke
  # A fresh install: the module may create the function's log group, with retention.
  create_log_group = true
}
