################################################################################
# Stand-in for Fleet's addons/migrations (tf-mod-addon-migrations-v2.3.0) as it sits in an
# existing install: its inputs (names, types, defaults) and the state it leaves, a resource
# `main` whose trigger is the task definition revision.
#
# Fleet's module holds a null_resource "main" (hashicorp/null) whose local-exec runs its
# migrate.sh with the AWS CLI. The tests have no null provider (nothing can be downloaded),
# so `main` is a terraform_data here, and it runs nothing: null_resource itself, and so the
# state move from null_resource to terraform_data, is NOT tested. (Terraform's own move
# turns null_resource's `triggers` into an object of strings, which is what this stand-in
# stores.) Written for the tests; no code of Fleet's.
################################################################################

variable "ecs_cluster" {
  type     = string
  nullable = false
}

variable "ecs_service" {
  type     = string
  nullable = false
}

variable "min_capacity" {
  type     = number
  nullable = false
}

# Required in v2.3.0; optional here, for the callers of the versions before it (Fleet's
# dogfood configuration passes none).
variable "max_capacity" {
  type    = number
  default = null
}

variable "desired_count" {
  type     = number
  nullable = false
}

variable "task_definition" {
  type     = string
  nullable = false
}

variable "task_definition_revision" {
  type     = number
  nullable = false
}

variable "subnets" {
  type     = list(string)
  nullable = false
}

variable "security_groups" {
  type     = list(string)
  nullable = false
}

variable "vuln_service" {
  default = ""
}

variable "assume_role_arn" {
  type    = string
  default = ""
}

variable "assume_role_session_name" {
  type    = string
  default = ""
}

variable "timeout_seconds" {
  type    = number
  default = 600
}

resource "terraform_data" "main" {
  triggers_replace = {
    task_definition_revision = tostring(var.task_definition_revision)
  }
}
