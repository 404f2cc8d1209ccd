################################################################################
# A Fleet-style app on ECS (cluster, task definition, service with two tasks) and its
# migration through the ecs-migrate local-exec module: every new task definition
# revision pauses the service, runs `fleet prepare db` as a one-off task with
# ecs-migrate, and brings the service back.
#
# The same configuration runs against a local AWS emulator (var.endpoint), which is how
# scripts/test-terraform applies it.
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
# The app
################################################################################

resource "aws_ecs_cluster" "this" {
  name = var.name
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/ecs/${var.name}"
  retention_in_days = 7
}

resource "aws_iam_role" "execution" {
  name = "${var.name}-task-execution"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# What ECS needs to start the tasks: write their logs (the image is public).
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

resource "aws_ecs_task_definition" "fleet" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn

  container_definitions = jsonencode([{
    name        = "fleet"
    image       = "fleetdm/fleet:${var.fleet_version}"
    essential   = true
    command     = ["fleet", "serve"]
    environment = [{ name = "FLEET_VERSION", value = var.fleet_version }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.app.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "fleet"
      }
    }
  }])
}

resource "aws_ecs_service" "fleet" {
  name            = var.name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.fleet.arn
  desired_count   = 2
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
# The migration: Fleet's addons/migrations call, with only `source` changed (plus the
# optional inputs below it).
################################################################################

module "migrations" {
  source = "../../modules/ecs-migrate-local-exec"

  ecs_cluster              = aws_ecs_service.fleet.cluster
  task_definition          = aws_ecs_task_definition.fleet.family
  task_definition_revision = aws_ecs_task_definition.fleet.revision
  subnets                  = aws_ecs_service.fleet.network_configuration[0].subnets
  security_groups          = aws_ecs_service.fleet.network_configuration[0].security_groups
  ecs_service              = aws_ecs_service.fleet.name
  # Fleet's own example passes its scalable target's min_capacity for both.
  desired_count = 2
  min_capacity  = 2

  # Optional additions
  command          = var.migration_command
  timeout_seconds  = 1800
  ecs_migrate_path = var.ecs_migrate_path
  extra_environment = var.endpoint == null ? {} : {
    AWS_ENDPOINT_URL = var.endpoint
  }
}
