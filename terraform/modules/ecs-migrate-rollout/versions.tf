terraform {
  # optional() with defaults in the retry objects needs Terraform 1.3; 1.4 as the other modules.
  required_version = ">= 1.4"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}
