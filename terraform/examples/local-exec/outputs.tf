output "cluster_arn" {
  description = "ARN of the cluster."
  value       = aws_ecs_cluster.this.arn
}

output "service_name" {
  description = "Name of the app's service."
  value       = aws_ecs_service.fleet.name
}

output "task_definition_arn" {
  description = "ARN of the app's current task definition revision."
  value       = aws_ecs_task_definition.fleet.arn
}

output "migrated_task_definition" {
  description = "The task definition revision the last successful migration ran (family:revision)."
  value       = module.migrations.task_definition
}
