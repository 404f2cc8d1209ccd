################################################################################
# Omni's outputs, with their types and values, then additions.
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
  description = "Omni's output, with its type and values: \"completed\" once this module's invocation for the current migration (task definition revision, payload) has returned a result whose status is `succeeded`, or `skipped` (already succeeded, or adopted); \"pending\" when `invoke` is false or the result says anything else. Unknown during a plan that will invoke. A failed migration fails the apply instead. See also migration_succeeded."
  value       = local.migration_succeeded ? "completed" : "pending"
}

output "migration_succeeded" {
  description = "true exactly when migration_completed is \"completed\": the invocation's result says `succeeded` or `skipped`. false when `invoke` is false or the result says anything else."
  value       = local.migration_succeeded
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
