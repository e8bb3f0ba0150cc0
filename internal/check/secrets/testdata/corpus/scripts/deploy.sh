#!/usr/bin/env bash
set -euo pipefail
export API_TOKEN='abc123def456'  # want: secret gantry.secret-assignment
export DB_PASSWORD="$VAULT_DB_PASSWORD"  # want: none
export PGPASSWORD=${PGPASSWORD:-}  # want: none
docker login -u deploy -p Dk-Regi5try-Pass registry.internal  # want: secret gantry.registry-login-password
docker login --username deploy --password 'Hub#Passw0rd9' docker.io  # want: secret gantry.registry-login-password
echo "$REGISTRY_PASSWORD" | docker login -u deploy --password-stdin registry.internal  # want: none
docker login -u deploy -p "$REGISTRY_PASSWORD" registry.internal  # want: none
sshpass -p 'Ssh!Deploy2024' ssh deploy@web-1 'systemctl restart app'  # want: secret gantry.sshpass-password
sshpass -e ssh deploy@web-2 'systemctl restart app'  # want: none
sshpass -p "$SSH_PASSWORD" scp build.tar.gz deploy@web-3:/srv/  # want: none
curl -fsS -u admin:Jenk1ns-Adm1n https://ci.internal/job/deploy/build  # want: secret gantry.curl-basic-auth|gitleaks.curl-auth-user
curl -fsS -u "$CI_USER:$CI_PASSWORD" https://ci.internal/job/deploy/build  # want: none
curl -fsS -H "Authorization: Basic ZGVwbG95OnMzY3IzdC1wYXNzd29yZA==" https://ci.internal/api  # want: secret gantry.authorization-header|gitleaks.curl-auth-header
curl -fsS -H "Authorization: Bearer $DEPLOY_TOKEN" https://deploy.internal/api  # want: none
mysql -h db.internal -u app --password=My5ql-Pa55word orders < schema.sql  # want: secret gantry.secret-assignment
mysql "mysql://app:My5ql-Url-Pw@db.internal:3306/orders" -e 'select 1'  # want: secret gantry.connection-url-password
GITHUB_TOKEN={{fake:github}} gh release create "$TAG"  # want: secret gitleaks.github-pat
psql "postgres://app@db.internal/orders" -c 'select 1'  # want: none
ADMIN_PWD=aaaaaaaaaaaa ./bin/admin --reset  # want: none
PASSWD=dummy ./bin/seed  # want: none
echo "token is REDACTED"  # want: none
wget -q --header="Authorization: Bearer Wg3t-Bearer-T0ken-Value" https://artifacts.internal/app.tgz  # want: secret gantry.authorization-header
curl -fsS https://api.internal/ping -H "X-Api-Key: placeholder"  # want: none
aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY"  # want: none
