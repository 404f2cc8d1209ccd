output "state_machine_arn" {
  description = "ARN of the rollout state machine: start an execution with a rollout document (`ecs-migrate rollout --targets FILE`'s) as its input."
  value       = aws_sfn_state_machine.rollout.arn
}

output "state_machine_name" {
  description = "Name of the rollout state machine."
  value       = aws_sfn_state_machine.rollout.name
}

output "role_arn" {
  description = "ARN of the state machine's IAM role (it may invoke the function and run the Distributed Maps' child workflows)."
  value       = aws_iam_role.rollout.arn
}
