variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Endpoint URL of a local AWS emulator (e.g. http://127.0.0.1:4566) for every service this example uses, ecs-migrate included. null: real AWS. Credentials come from the usual AWS environment either way."
  type        = string
  default     = null
}

variable "name" {
  description = "Name of the cluster, the service, the task definition family and the container."
  type        = string
  default     = "fleet"
}

variable "fleet_version" {
  description = "The app's version: the image tag, also passed to the container as FLEET_VERSION. Changing it registers a new task definition revision, which runs the migration again."
  type        = string
  default     = "v4.60.0"
}

variable "migration_command" {
  description = "The migration command run in the `fleet` container (argv, no shell)."
  type        = list(string)
  default     = ["fleet", "prepare", "db"]
}

variable "ecs_migrate_path" {
  description = "The ecs-migrate binary (a name on PATH or a path)."
  type        = string
  default     = "ecs-migrate"
}
