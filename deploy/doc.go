// Package deploy holds no code: this folder is what runs Gantry itself —
// compose.yaml (Gantry on PostgreSQL with Prometheus, Alertmanager and
// Grafana), their configuration, and helm/gantry, the Kubernetes chart —
// and the tests that check them and the repository's Dockerfile with the
// tools that read them (BuildKit's parser, docker-compose, promtool,
// amtool, Helm's library and the Kubernetes types).
package deploy
