output "lambda_function_name" {
  description = "Name of the migrator function."
  value       = module.migrations.lambda_function_name
}

output "lambda_function_arn" {
  description = "ARN of the migrator function."
  value       = module.migrations.lambda_function_arn
}

output "migration_completed" {
  description = "\"completed\" when this apply's invocation reported the migration succeeded (or already done), else \"pending\" (as Omni's output)."
  value       = module.migrations.migration_completed
}

output "migration_succeeded" {
  description = "Whether this apply's invocation reported the migration succeeded (or already done); false when invoke is false."
  value       = module.migrations.migration_succeeded
}

output "task_definition_arn" {
  description = "ARN of the migrator task definition revision."
  value       = aws_ecs_task_definition.migrator.arn
}

output "migration_result" {
  description = "The handler's result document (null when invoke is false)."
  value       = module.migrations.migration_result
}
