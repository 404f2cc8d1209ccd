################################################################################
# Stand-in for Omni's modules/migrations as it sits in an existing install: its inputs, its
# role (inline policy RunECSTask, AWSLambdaBasicExecutionRole through managed_policy_arns),
# its Python function, and outputs of the same names and values.
#
# Omni's module also has a null_resource that invokes the function with the AWS CLI
# (hashicorp/null), an archive_file data source that zips the handler (hashicorp/archive)
# and an external data source that hashes the SQL files (hashicorp/external). None of those
# providers can be installed here: the null_resource is a terraform_data of the same name
# that runs nothing, the zip is written by the tests, and there is no SQL hash. Those three
# are NOT tested. Written for the tests.
################################################################################

variable "customer_name" {
  type = string
}

variable "environment" {
  type    = string
  default = "production"
}

variable "cluster_name" {
  type = string
}

variable "migrator_task_definition_arn" {
  type = string
}

variable "subnet_ids" {
  type = list(string)
}

variable "security_group_id" {
  type = string
}

variable "region" {
  type = string
}

variable "task_execution_role_arn" {
  type = string
}

variable "task_role_arn" {
  type = string
}

locals {
  tags = {
    Application = "Omni"
    Customer    = var.customer_name
    Environment = var.environment
    ManagedBy   = "Terraform"
  }
}

resource "aws_iam_role" "lambda_execution" {
  name = "omni-${var.customer_name}-migrator-lambda-role"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  # The old, broad permissions the swap must not leave behind.
  managed_policy_arns = ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]

  inline_policy {
    name = "RunECSTask"
    policy = jsonencode({
      Version = "2012-10-17"
      Statement = [
        { Effect = "Allow", Action = ["ecs:RunTask", "ecs:DescribeTasks"], Resource = "*" },
        { Effect = "Allow", Action = ["iam:PassRole"], Resource = [var.task_execution_role_arn, var.task_role_arn] },
      ]
    })
  }

  tags = local.tags
}

resource "aws_lambda_function" "migrator" {
  filename         = "${path.module}/lambda/migrator.zip"
  function_name    = "omni-${var.customer_name}-migrator"
  role             = aws_iam_role.lambda_execution.arn
  handler          = "index.handler"
  runtime          = "python3.11"
  timeout          = 600
  source_code_hash = filebase64sha256("${path.module}/lambda/migrator.zip")
  tags             = local.tags
}

resource "terraform_data" "run_migrations" {
  triggers_replace = {
    task_definition_arn = var.migrator_task_definition_arn
    lambda_code_hash    = aws_lambda_function.migrator.source_code_hash
  }
}

output "lambda_function_arn" {
  value = aws_lambda_function.migrator.arn
}

output "lambda_function_name" {
  value = aws_lambda_function.migrator.function_name
}

output "migration_completed" {
  value = terraform_data.run_migrations.id != "" ? "completed" : "pending"
}
