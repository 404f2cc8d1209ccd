terraform {
  # terraform_data (the resource that carries the provisioner) needs Terraform 1.4.
  required_version = ">= 1.4"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
