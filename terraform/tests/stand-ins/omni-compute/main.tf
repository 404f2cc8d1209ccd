################################################################################
# Stand-in for Omni's module.compute: the tenant's cluster, the migrator task definition and
# its two roles, with the outputs the migrations module is called with. Written for the
# tests.
################################################################################

variable "customer_name" {
  description = "Tenant name."
  type        = string
}

variable "region" {
  description = "AWS region."
  type        = string
}

variable "app_version" {
  description = "Passed to the migrator as APP_VERSION: a new value is a new revision."
  type        = string
  default     = "v1"
}

locals {
  name = "omni-${var.customer_name}"
}

resource "aws_ecs_cluster" "this" {
  name = local.name
}

resource "aws_cloudwatch_log_group" "migrator" {
  name              = "/ecs/${local.name}-migrator"
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

resource "aws_iam_role" "task_execution" {
  name               = "${local.name}-task-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume_role.json
}

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
  execution_role_arn       = aws_iam_role.task_execution.arn
  task_role_arn            = aws_iam_role.task.arn

  container_definitions = jsonencode([{
    name        = "migrator"
    image       = "omni/migrator:latest"
    essential   = true
    command     = ["sh", "-c", "echo \"applying migrations for $APP_VERSION\"; echo done"]
    environment = [{ name = "APP_VERSION", value = var.app_version }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.migrator.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "migrator"
      }
    }
  }])
}

output "cluster_name" {
  description = "The tenant's cluster."
  value       = aws_ecs_cluster.this.name
}

output "migrator_task_definition_arn" {
  description = "The migrator task definition revision (ARN with revision)."
  value       = aws_ecs_task_definition.migrator.arn
}

output "task_execution_role_arn" {
  description = "The migrator's execution role."
  value       = aws_iam_role.task_execution.arn
}

output "task_role_arn" {
  description = "The migrator's task role."
  value       = aws_iam_role.task.arn
}
