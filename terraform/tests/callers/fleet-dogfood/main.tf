################################################################################
# Fleet's dogfood configuration (fleetdm/fleet, infrastructure/dogfood: it pins
# tf-mod-addon-migrations-v2.0.1, from before max_capacity): its module "migrations" block
# verbatim, only `source` changed. It passes the vulnerability processing service by ARN
# (vuln_service = module.vuln-processing.vuln_service_arn). module.main, module.geolite2 and
# module.vuln-processing are stand-ins.
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

module "main" {
  source = "../../stand-ins/fleet"

  name          = var.name
  fleet_version = var.fleet_version
}

module "vuln-processing" {
  source = "../../stand-ins/vuln-processing"

  service = module.main.byo-vpc.byo-db.byo-ecs.service
}

module "geolite2" {
  source = "../../stand-ins/geolite2"
}

module "migrations" {
  depends_on = [
    module.geolite2
  ]
  source                   = "../../../modules/ecs-migrate-local-exec"
  ecs_cluster              = module.main.byo-vpc.byo-db.byo-ecs.service.cluster
  task_definition          = module.main.byo-vpc.byo-db.byo-ecs.task_definition.family
  task_definition_revision = module.main.byo-vpc.byo-db.byo-ecs.task_definition.revision
  subnets                  = module.main.byo-vpc.byo-db.byo-ecs.service.network_configuration[0].subnets
  security_groups          = module.main.byo-vpc.byo-db.byo-ecs.service.network_configuration[0].security_groups
  ecs_service              = module.main.byo-vpc.byo-db.byo-ecs.service.name
  desired_count            = module.main.byo-vpc.byo-db.byo-ecs.appautoscaling_target.min_capacity
  min_capacity             = module.main.byo-vpc.byo-db.byo-ecs.appautoscaling_target.min_capacity
  vuln_service             = module.vuln-processing.vuln_service_arn
}
