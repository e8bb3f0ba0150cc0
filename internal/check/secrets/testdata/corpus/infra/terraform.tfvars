region              = "eu-west-1"  # want: none
billing_db_password = "Tfvars-B1ll-Pw"  # want: secret gantry.secret-assignment
