################################################################################
# Omni's per-customer stack: its module "migrations" block verbatim, only `source` changed,
# against stand-ins for what it refers to (module.compute, module.networking,
# module.database). The module finds its Lambda package where it looks by default,
# lambda/bootstrap.zip in its own directory (the tests put it there, as in a vendored copy).
################################################################################

terraform {
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

variable "customer_name" {
  description = "The customer (tenant)."
  type        = string
}

variable "environment" {
  description = "Environment name."
  type        = string
  default     = "production"
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "app_version" {
  description = "The app's version: a new one registers a new migrator task definition revision."
  type        = string
  default     = "v1"
}

module "networking" {
  source = "../../stand-ins/omni-networking"
}

module "database" {
  source = "../../stand-ins/omni-database"

  customer_name = var.customer_name
}

module "compute" {
  source = "../../stand-ins/omni-compute"

  customer_name = var.customer_name
  region        = var.region
  app_version   = var.app_version
}

module "migrations" {
  source = "../../../modules/ecs-migrate-lambda"

  customer_name = var.customer_name
  environment   = var.environment

  cluster_name                 = module.compute.cluster_name
  migrator_task_definition_arn = module.compute.migrator_task_definition_arn
  subnet_ids                   = module.networking.private_subnet_ids
  security_group_id            = module.networking.ecs_security_group_id
  region                       = var.region

  task_execution_role_arn = module.compute.task_execution_role_arn
  task_role_arn           = module.compute.task_role_arn

  depends_on = [
    module.database,
    module.compute
  ]
}

output "migration_completed" {
  description = "Omni's output: \"completed\" or \"pending\"."
  value       = module.migrations.migration_completed
}

output "lambda_function_name" {
  description = "The migrator function."
  value       = module.migrations.lambda_function_name
}

output "migrator_task_definition_arn" {
  description = "The migrator revision."
  value       = module.compute.migrator_task_definition_arn
}
