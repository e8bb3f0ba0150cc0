resource "aws_db_instance" "orders" {
  engine   = "postgres"
  username = "orders"  # want: none
  password = "Terr4form-Db-Pw"  # want: secret gantry.secret-assignment|gitleaks.hashicorp-tf-password
}
resource "aws_db_instance" "billing" {
  password = var.billing_db_password  # want: none
}
provider "aws" {
  access_key = "{{fake:aws}}"  # want: secret gitleaks.aws-access-token
  secret_key = var.aws_secret_key  # want: none
}
