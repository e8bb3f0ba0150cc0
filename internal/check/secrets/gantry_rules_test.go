package secrets

import (
	"slices"
	"strings"
	"testing"
)

func TestGantryRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule string
		line string
		want []string // secrets the rule must find; none for a miss
	}{
		{"postgres url", "connection-url-password", "DB_URL=postgres://app:Tr0ub4dor-77@db:5432/app", []string{"Tr0ub4dor-77"}},
		{"postgresql url", "connection-url-password", `dsn: "postgresql://u:pg-Pw-123@h/db"`, []string{"pg-Pw-123"}},
		{"mysql url", "connection-url-password", "mysql://root:My5ql-Pw@127.0.0.1:3306/x", []string{"My5ql-Pw"}},
		{"mongodb+srv url", "connection-url-password", "mongodb+srv://etl:Qx7!mongoPw@cluster0/x", []string{"Qx7!mongoPw"}},
		{"redis url no user", "connection-url-password", "redis://:n0tS0Secret99@cache:6379/0", []string{"n0tS0Secret99"}},
		{"rediss url", "connection-url-password", "rediss://default:R3dis-Pw@redis:6380", []string{"R3dis-Pw"}},
		{"amqps url", "connection-url-password", "amqps://etl:rabbitPw-2024@mq:5671/", []string{"rabbitPw-2024"}},
		{"jdbc url", "connection-url-password", "jdbc:mysql://app:JdbcPw-4411@db:3306/orders", []string{"JdbcPw-4411"}},
		{"url with reference", "connection-url-password", "postgres://app:${DB_PASSWORD}@db/app", nil},
		{"url with actions secret", "connection-url-password", "amqp://ci:${{ secrets.PW }}@mq/", nil},
		{"url without password", "connection-url-password", "postgres://app@db:5432/app", nil},
		{"url with placeholder", "connection-url-password", "postgres://user:password@localhost/db", nil},
		{"https url", "connection-url-password", "https://user:Pa55-word@example.org", nil},
		{"jdbc password param", "jdbc-password-param", "jdbc:sqlserver://db:1433;user=app;password=Sql-Srv-Pw88", []string{"Sql-Srv-Pw88"}},
		{"jdbc query password", "jdbc-password-param", "jdbc:postgresql://db/x?user=a&password=PgJdbc-Pw-55", []string{"PgJdbc-Pw-55"}},
		{"jdbc password reference", "jdbc-password-param", "jdbc:postgresql://db/x?password=${PW}", nil},
		{"docker login -p", "registry-login-password", "docker login -u ci -p Dk-Regi5try-Pass reg", []string{"Dk-Regi5try-Pass"}},
		{"docker login --password", "registry-login-password", "docker login --username ci --password 'Hub#Passw0rd9' docker.io", []string{"Hub#Passw0rd9"}},
		{"docker login --password=", "registry-login-password", "docker login -u ci --password=Ci-Reg-Pw-2024 $R", []string{"Ci-Reg-Pw-2024"}},
		{"podman login -p", "registry-login-password", "podman login -u ci -p P0dman-Pw quay.io", []string{"P0dman-Pw"}},
		{"docker login stdin", "registry-login-password", "docker login -u ci --password-stdin reg", nil},
		{"docker login variable", "registry-login-password", `docker login -u ci -p "$CI_JOB_TOKEN" reg`, nil},
		{"docker run -p", "registry-login-password", "docker run -p 8080:80 nginx", nil},
		{"sshpass -p", "sshpass-password", "sshpass -p 'Ssh!Deploy2024' ssh deploy@web", []string{"Ssh!Deploy2024"}},
		{"sshpass -p bare", "sshpass-password", "sshpass -p Gl-Ssh-Pass-77 ssh x", []string{"Gl-Ssh-Pass-77"}},
		{"sshpass -e", "sshpass-password", "sshpass -e ssh deploy@web", nil},
		{"sshpass variable", "sshpass-password", `sshpass -p "$SSH_PASSWORD" scp a b:`, nil},
		{"curl -u", "curl-basic-auth", "curl -fsS -u admin:Jenk1ns-Adm1n https://ci/x", []string{"Jenk1ns-Adm1n"}},
		{"curl --user", "curl-basic-auth", "curl --user ci-bot:B0t-Passw0rd-1 https://n/x", []string{"B0t-Passw0rd-1"}},
		{"curl -u variables", "curl-basic-auth", `curl -u "$CI_USER:$CI_PASSWORD" https://ci/x`, nil},
		{"curl -u user only", "curl-basic-auth", "curl -u admin https://ci/x", nil},
		{"bearer header", "authorization-header", `-H "Authorization: Bearer Wg3t-Bearer-T0ken-Value"`, []string{"Wg3t-Bearer-T0ken-Value"}},
		{"basic header", "authorization-header", `Authorization: "Basic YWxlcnRzOkFsM3J0LUhvb2stUHc="`, []string{"YWxlcnRzOkFsM3J0LUhvb2stUHc="}},
		{"bearer variable", "authorization-header", `-H "Authorization: Bearer $DEPLOY_TOKEN"`, nil},
		{"bearer placeholder", "authorization-header", `-H "Authorization: Bearer <token>"`, nil},
		{"bearer truncated example", "authorization-header", `Authorization: Bearer eyJhbGciOi...`, nil},
		{"env password", "secret-assignment", "DB_PASSWORD=hunter2xyz!", []string{"hunter2xyz!"}},
		{"yaml quoted password", "secret-assignment", `  password: "S3cr3t-Value"`, []string{"S3cr3t-Value"}},
		{"export token", "secret-assignment", "export API_TOKEN='abc123def456'", []string{"abc123def456"}},
		{"ini passwd", "secret-assignment", "passwd = Ini-Passwd-9", []string{"Ini-Passwd-9"}},
		{"json secret", "secret-assignment", `{"client_secret": "Cl13nt-S3cr3t"}`, []string{"Cl13nt-S3cr3t"}},
		{"go literal", "secret-assignment", `apiKey := "Go-L1teral-Key"`, []string{"Go-L1teral-Key"}},
		{"access key", "secret-assignment", "ACCESS_KEY=Acc3ss-K3y-99", []string{"Acc3ss-K3y-99"}},
		{"private key", "secret-assignment", "PRIVATE_KEY=Pr1v-K3y-Val", []string{"Pr1v-K3y-Val"}},
		{"secret key", "secret-assignment", "SECRET_KEY=Dj4ngo-Secret-Key", []string{"Dj4ngo-Secret-Key"}},
		{"pwd", "secret-assignment", "ADMIN_PWD=Adm1n-Pwd-7", []string{"Adm1n-Pwd-7"}},
		{"flag with blank", "secret-assignment", "tool --db-password Fl4g-Passw0rd run", []string{"Fl4g-Passw0rd"}},
		{"flag with equals", "secret-assignment", "mysql --password=My5ql-Pa55word db", []string{"My5ql-Pa55word"}},
		{"dockerfile env blank", "secret-assignment", "ENV SERVICE_SECRET Srv-S3cret-Build-77", []string{"Srv-S3cret-Build-77"}},
		{"python index", "secret-assignment", `os.environ["DB_PASSWORD"] = "Py-Env-Pw-42"`, []string{"Py-Env-Pw-42"}},
		{"too short", "secret-assignment", "PASSWORD=abc12", nil},
		{"dollar reference", "secret-assignment", "DB_PASSWORD=$DB_PASSWORD", nil},
		{"braced reference", "secret-assignment", "DB_PASSWORD=${DB_PASSWORD}", nil},
		{"actions secret", "secret-assignment", "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}", nil},
		{"go template", "secret-assignment", `CLIENT_SECRET: "{{ .Values.clientSecret }}"`, nil},
		{"gantry secret mapping", "secret-assignment", "API_TOKEN: {secret: orders-api-token}", nil},
		{"vault", "secret-assignment", "VAULT_TOKEN: vault://secret/data/x#token", nil},
		{"aws-sm", "secret-assignment", "SMTP_PASSWORD: aws-sm://prod/smtp", nil},
		{"gcp-sm", "secret-assignment", "GCS_KEY: gcp-sm://projects/a/secrets/b", nil},
		{"1password", "secret-assignment", "STRIPE_SECRET: op://Eng/stripe/secret", nil},
		{"env ref", "secret-assignment", "client_secret: env:ALERT_CLIENT_SECRET", nil},
		{"angle placeholder", "secret-assignment", `TOKEN: "<your-token>"`, nil},
		{"password placeholder", "secret-assignment", "password: <password>", nil},
		{"changeme", "secret-assignment", "ADMIN_PASSWORD: changeme", nil},
		{"change-me", "secret-assignment", "SESSION_SECRET=change-me", nil},
		{"example", "secret-assignment", "API_TOKEN=example-token-1", nil},
		{"xxx", "secret-assignment", "JWT_SECRET=xxxxxxxxxxxx", nil},
		{"stars", "secret-assignment", `password: "***"`, nil},
		{"redacted", "secret-assignment", "API_TOKEN=REDACTED", nil},
		{"dummy", "secret-assignment", "PASSWD=dummy-value", nil},
		{"placeholder", "secret-assignment", "TOKEN=placeholder", nil},
		{"channel secret name", "secret-assignment", "      secret: webhook_key", nil},
		{"channel url secret name", "secret-assignment", "      url_secret: slack_url", nil},
		{"channel secret that is a value", "secret-assignment", "      secret: hunter2", []string{"hunter2"}},
		{"secret key that is a value", "secret-assignment", "      secret: Xk9-p2Lq", []string{"Xk9-p2Lq"}},
		{"your password here", "secret-assignment", "registry_password: your_password_here", nil},
		{"same character", "secret-assignment", "ADMIN_PWD=aaaaaaaaaaaa", nil},
		{"masked", "secret-assignment", "SMTP_PASSWORD=********", nil},
		{"partly masked", "secret-assignment", "secret: abcd****", nil},
		{"empty", "secret-assignment", "EMPTY_TOKEN=", nil},
		{"empty quoted", "secret-assignment", `password: ""`, nil},
		{"code expression", "secret-assignment", "password := os.Getenv(\"DB_PASSWORD\")", nil},
		{"struct field", "secret-assignment", "Password: cfg.Password,", nil},
		{"comparison", "secret-assignment", `if password == "x" {`, nil},
		{"key does not end in keyword", "secret-assignment", "password_file: /run/secrets/db", nil},
		{"path value", "secret-assignment", "ssh_private_key: /run/secrets/deploy_key", nil},
		{"number", "secret-assignment", "max_token: 1000000", nil},
		{"yaml block scalar", "secret-assignment", "private_key: |", nil},
		{"ansible vault", "secret-assignment", "db_password: !vault |", nil},
		{"yaml url colon", "secret-assignment", "token:https://x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := ruleByID(t, tt.rule)
			var got []string
			for _, sp := range r.findSpans(tt.line, strings.ToLower(tt.line)) {
				got = append(got, tt.line[sp.start:sp.end])
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s on %q found %q, want %q", tt.rule, tt.line, got, tt.want)
			}
		})
	}
}

func ruleByID(t *testing.T, id string) *gantryRule {
	t.Helper()
	for i := range gantryRules {
		if gantryRules[i].id == id {
			return &gantryRules[i]
		}
	}
	t.Fatalf("no rule %s", id)
	return nil
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ secret, want string }{
		{"", "****"},
		{"abc12", "****"},
		{"hunter2", "****"},
		{"hunter2x", "hu****"},
		{"abc123def456", "ab****"},
		{"AKIAQYLPMN5HFIQR7BZK", "AKIA****"},
		{"pässwörd-ünïcode-1", "päss****"},
	}
	for _, tt := range tests {
		if got := mask(tt.secret); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.secret, got, tt.want)
		}
	}
}
