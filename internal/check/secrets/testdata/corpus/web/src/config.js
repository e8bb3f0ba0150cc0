// Front-end settings, bundled at build time.
export const stripeKey = "{{fake:stripe}}";  # want: secret gitleaks.stripe-access-token
export const apiToken = 'Jx7Qm2Rv9Lt4Wz8N';  # want: secret
const sentryToken = `Sn7tRy-T0ken-4xQ9vLm2`;  # want: secret
const password = process.env.DB_PASSWORD;  # want: none
const token = "<your-token-here>";  # want: none
export const requestId = "3f2b9c1e-8d4a-4f6b-9e2d-7a1c5b8e0f3d";  # want: none
export const apiUrl = "https://api.example.com/v1/orders";  # want: none
export const secretName = "orders-api-token";  # want: none
const authHeader = { Authorization: `Bearer ${session.token}` };  # want: none
const slack = "{{fake:slack-webhook}}";  # want: secret gitleaks.slack-webhook-url
export const keyLength = 2048;  # want: none
