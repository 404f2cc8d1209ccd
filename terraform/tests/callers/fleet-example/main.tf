################################################################################
# Fleet's example/main.tf (fleet-terraform at tf-mod-addon-migrations-v2.3.0): its
# module "migrations" block verbatim, only `source` changed, against stand-ins for what it
# refers to (module.fleet).
################################################################################

terraform {
  # Fleet's example asks for >= 1.12.0 and byo-vpc/example for >= 1.5.0; the module block
  # below does not depend on either (the tests run the Terraform on the machine).
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

# No ignore_tags: the plan after a migration must show no changes without it. Against the
# emulator, AWS_ENDPOINT_URL and fake credentials come from the environment.
provider "aws" {
  region = var.region
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the app's cluster, service and task definition family (one per test)."
  type        = string
}

variable "fleet_version" {
  description = "The app's version: a new one registers a new task definition revision."
  type        = string
  default     = "v4.60.0"
}

module "fleet" {
  source = "../../stand-ins/fleet"

  name          = var.name
  fleet_version = var.fleet_version
}

# Migrations will handle scaling Fleet to 0 running containers before running the DB migration task.
# This module will also handle scaling back up once migrations complete.

module "migrations" {
  source                   = "../../../modules/ecs-migrate-local-exec"
  ecs_cluster              = module.fleet.byo-vpc.byo-db.byo-ecs.service.cluster
  task_definition          = module.fleet.byo-vpc.byo-db.byo-ecs.task_definition.family
  task_definition_revision = module.fleet.byo-vpc.byo-db.byo-ecs.task_definition.revision
  subnets                  = module.fleet.byo-vpc.byo-db.byo-ecs.service.network_configuration[0].subnets
  security_groups          = module.fleet.byo-vpc.byo-db.byo-ecs.service.network_configuration[0].security_groups
  ecs_service              = module.fleet.byo-vpc.byo-db.byo-ecs.service.name
  desired_count            = module.fleet.byo-vpc.byo-db.byo-ecs.appautoscaling_target.min_capacity
  min_capacity             = module.fleet.byo-vpc.byo-db.byo-ecs.appautoscaling_target.min_capacity
  max_capacity             = module.fleet.byo-vpc.byo-db.byo-ecs.appautoscaling_target.max_capacity

  depends_on = [
    module.fleet,
  ]
}
