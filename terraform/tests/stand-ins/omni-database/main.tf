################################################################################
# Stand-in for Omni's module.database: only something for the migrations module to depend
# on (the callers' `depends_on = [module.database, module.compute]`). Written for the tests.
################################################################################

variable "customer_name" {
  description = "Tenant name."
  type        = string
}

resource "terraform_data" "database" {
  input = "omni-${var.customer_name}-db"
}

output "endpoint" {
  description = "Where the database would be."
  value       = "${terraform_data.database.output}.example.internal:5432"
}
