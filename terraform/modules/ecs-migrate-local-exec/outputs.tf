output "task_definition" {
  description = "The task definition revision that was migrated (`task_definition:task_definition_revision`). Known only once the migration has succeeded, so anything that references it waits for the migration."
  value       = terraform_data.migration.output.task_definition
}

output "paused_services" {
  description = "The services that were paused during the migration and restored after it."
  value       = terraform_data.migration.output.services
}

output "migration_id" {
  description = "ID of the terraform_data resource that ran the migration; it changes every time a migration runs."
  value       = terraform_data.migration.id
}
