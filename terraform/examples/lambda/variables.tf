variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "endpoint" {
  description = "Endpoint URL of a local AWS emulator (e.g. http://127.0.0.1:4566) for every service this example uses. null: real AWS. Credentials come from the usual AWS environment either way."
  type        = string
  default     = null
}

variable "customer_name" {
  description = "The customer (tenant) whose migrator this is."
  type        = string
  default     = "acme"
}

variable "lambda_zip_path" {
  description = "The Lambda deployment package: a zip whose `bootstrap` is the ecs-migrate Lambda handler."
  type        = string
}

variable "invoke" {
  description = "Whether the apply invokes the function (runs the migration)."
  type        = bool
  default     = true
}

variable "app_version" {
  description = "The app's version, passed to the migrator as APP_VERSION. Changing it registers a new migrator task definition revision, which runs the migration again."
  type        = string
  default     = "v1"
}
