################################################################################
# Fleet's byo-vpc/example/main.tf (fleet-terraform at tf-mod-addon-migrations-v2.3.0): its
# module "migrations" block verbatim, only `source` changed, against stand-ins for what it
# refers to (module.byo-vpc; its service's `cluster` is the cluster's ARN here).
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

module "byo-vpc" {
  source = "../../stand-ins/fleet"

  name                   = var.name
  fleet_version          = var.fleet_version
  service_cluster_is_arn = true
}

module "migrations" {
  source                   = "../../../modules/ecs-migrate-local-exec"
  ecs_cluster              = module.byo-vpc.byo-db.byo-ecs.service.cluster
  task_definition          = module.byo-vpc.byo-db.byo-ecs.task_definition.family
  task_definition_revision = module.byo-vpc.byo-db.byo-ecs.task_definition.revision
  subnets                  = module.byo-vpc.byo-db.byo-ecs.service.network_configuration[0].subnets
  security_groups          = module.byo-vpc.byo-db.byo-ecs.service.network_configuration[0].security_groups
  ecs_service              = module.byo-vpc.byo-db.byo-ecs.service.name
  desired_count            = module.byo-vpc.byo-db.byo-ecs.appautoscaling_target.min_capacity
  min_capacity             = module.byo-vpc.byo-db.byo-ecs.appautoscaling_target.min_capacity
  max_capacity             = module.byo-vpc.byo-db.byo-ecs.appautoscaling_target.max_capacity
}
