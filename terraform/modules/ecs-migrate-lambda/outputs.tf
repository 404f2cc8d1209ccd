################################################################################
# Omni's outputs (migration_completed is now a bool that means it), then additions.
################################################################################

output "lambda_function_arn" {
  description = "ARN of the migrator Lambda function."
  value       = aws_lambda_function.migrator.arn
}

output "lambda_function_name" {
  description = "Name of the migrator Lambda function."
  value       = aws_lambda_function.migrator.function_name
}

output "migration_completed" {
  description = "true when the invocation's result says the migration `succeeded`, or was `skipped` because it had already succeeded for this revision. false when `invoke` is false or the result says anything else. (A failed migration fails the apply instead.)"
  value       = try(contains(["succeeded", "skipped"], jsondecode(aws_lambda_invocation.migration[0].result).status), false)
}

output "migration_result" {
  description = "The handler's result document of the invocation (decoded JSON, as `ecs-migrate run --output json` prints it), or null when `invoke` is false or the result is not JSON."
  value       = try(jsondecode(aws_lambda_invocation.migration[0].result), null)
}

output "lambda_role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.lambda_execution.arn
}

output "log_group_name" {
  description = "The function's CloudWatch log group, where each migration's progress and log lines are."
  value       = local.log_group_name
}
