################################################################################
# Stand-in for Fleet's root module (module.fleet in Fleet's example) and its byo-vpc module
# (module.byo-vpc in byo-vpc/example): a cluster, the fleet task definition and service, and
# outputs shaped as the callers of Fleet's addons/migrations read them:
#   byo-vpc.byo-db.byo-ecs.{service, task_definition, appautoscaling_target}  (module.fleet)
#   byo-db.byo-ecs.{service, task_definition, appautoscaling_target}          (module.byo-vpc)
# `service` and `task_definition` are the real resources; `appautoscaling_target` carries the
# min/max the callers read (the emulator's Application Auto Scaling lacks the tagging calls
# the provider's aws_appautoscaling_target makes; the tests register the target directly).
# Written for the tests; no code of Fleet's.
################################################################################

variable "name" {
  description = "Name of the cluster, the service and the task definition family."
  type        = string
}

variable "fleet_version" {
  description = "The image tag, also FLEET_VERSION in the container: a new one is a new revision."
  type        = string
  default     = "v4.60.0"
}

variable "service_cluster_is_arn" {
  description = "Whether the service's `cluster` is the cluster's ARN (true) or its name (false, as Fleet's byo-ecs passes it)."
  type        = bool
  default     = false
}

variable "min_capacity" {
  description = "The scalable target's minimum, and the service's count."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "The scalable target's maximum."
  type        = number
  default     = 5
}

data "aws_region" "current" {}

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

resource "aws_ecs_cluster" "this" {
  name = var.name
}

resource "aws_cloudwatch_log_group" "fleet" {
  name              = "/ecs/${var.name}"
  retention_in_days = 7
}

resource "aws_iam_role" "execution" {
  name = "${var.name}-execution"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ecs-tasks.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_ecs_task_definition" "backend" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn

  # `fleet` is on the emulator's PATH in the tests: `fleet prepare db` prints a line and
  # exits 0 (1 for FLEET_VERSION=broken). Service tasks run nothing in the emulator.
  container_definitions = jsonencode([{
    name        = "fleet"
    image       = "fleetdm/fleet:${var.fleet_version}"
    essential   = true
    command     = ["fleet", "serve"]
    environment = [{ name = "FLEET_VERSION", value = var.fleet_version }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.fleet.name
        awslogs-region        = data.aws_region.current.id
        awslogs-stream-prefix = "fleet"
      }
    }
  }])
}

resource "aws_ecs_service" "fleet" {
  name            = var.name
  cluster         = var.service_cluster_is_arn ? aws_ecs_cluster.this.arn : aws_ecs_cluster.this.name
  task_definition = aws_ecs_task_definition.backend.arn
  desired_count   = var.min_capacity
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = data.aws_subnets.default.ids
    security_groups = [data.aws_security_group.default.id]
  }

  lifecycle {
    # Auto scaling and the migration's pause own the running count (as in Fleet's byo-ecs).
    # availability_zone_rebalancing: the emulator's CreateService does not return it (AWS
    # does), so the provider would set it on the next apply; ecs-migrate never touches it.
    ignore_changes = [desired_count, availability_zone_rebalancing]
  }
}

locals {
  byo_ecs = {
    service         = aws_ecs_service.fleet
    task_definition = aws_ecs_task_definition.backend
    appautoscaling_target = {
      min_capacity       = var.min_capacity
      max_capacity       = var.max_capacity
      resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.fleet.name}"
      scalable_dimension = "ecs:service:DesiredCount"
      service_namespace  = "ecs"
    }
  }
}

output "byo-vpc" {
  description = "As module.fleet.byo-vpc in Fleet's example."
  value       = { "byo-db" = { "byo-ecs" = local.byo_ecs } }
}

output "byo-db" {
  description = "As module.byo-vpc.byo-db in Fleet's byo-vpc example."
  value       = { "byo-ecs" = local.byo_ecs }
}
