################################################################################
# Stand-in for Fleet's vulnerability processing service (module.vuln-processing in Fleet's
# dogfood configuration): a second service in the cluster, and its ARN as the output the
# dogfood configuration passes to the migrations module as vuln_service. Written for the
# tests.
################################################################################

variable "service" {
  description = "The fleet service (aws_ecs_service): cluster, task definition and network are taken from it."
  type        = any
}

resource "aws_ecs_service" "fleet" {
  name            = "${var.service.name}-vuln-processing"
  cluster         = var.service.cluster
  task_definition = var.service.task_definition
  desired_count   = 1
  launch_type     = "FARGATE"

  network_configuration {
    subnets         = var.service.network_configuration[0].subnets
    security_groups = var.service.network_configuration[0].security_groups
  }

  lifecycle {
    # As in stand-ins/fleet: the count is the pause's; the emulator omits
    # availability_zone_rebalancing.
    ignore_changes = [desired_count, availability_zone_rebalancing]
  }
}

output "vuln_service_arn" {
  description = "The service's ARN (its id), as Fleet's output of that name."
  value       = aws_ecs_service.fleet.id
}
