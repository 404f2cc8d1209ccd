################################################################################
# Stand-in for Omni's module.networking: the subnets and security group the migrator task
# runs in (the default VPC's, in the emulator). Written for the tests.
################################################################################

data "aws_vpc" "default" {
  default = true
}

data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }
  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

data "aws_security_group" "default" {
  vpc_id = data.aws_vpc.default.id
  name   = "default"
}

output "private_subnet_ids" {
  description = "Subnet IDs for the ECS tasks."
  value       = data.aws_subnets.default.ids
}

output "ecs_security_group_id" {
  description = "The ECS tasks' security group."
  value       = data.aws_security_group.default.id
}
