{{/* The chart's name, as a label value. */}}
{{- define "gantry.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The objects' name: the release's, with the chart's unless it holds it. */}}
{{- define "gantry.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The labels that pick the server's pods; never change them on upgrade. */}}
{{- define "gantry.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "gantry.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "gantry.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gantry
{{- end }}

{{- define "gantry.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "gantry.configMapName" -}}
{{- default (printf "%s-project" (include "gantry.fullname" .)) .Values.project.existingConfigMap.name }}
{{- end }}

{{/* The chart's project files as JSON: none when an existing ConfigMap is named. */}}
{{- define "gantry.projectFiles" -}}
{{- if .Values.project.existingConfigMap.name }}{}{{ else }}{{ toJson (default dict .Values.project.files) }}{{ end }}
{{- end }}

{{- define "gantry.claimName" -}}
{{- default (printf "%s-state" (include "gantry.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}

{{/* A project file's ConfigMap key: its path with "/" as "__". */}}
{{- define "gantry.fileKey" -}}
{{- . | replace "/" "__" }}
{{- end }}

{{/* The hardened container security context every container gets. */}}
{{- define "gantry.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/*
The refusals the schema cannot express. Every template includes this, so
no object renders from values the chart would run wrongly.
*/}}
{{- define "gantry.validate" -}}
{{- $v := .Values }}
{{- if gt (int $v.replicaCount) 1 }}
{{- fail (printf "replicaCount %d: one server per store — two gantry serve on one store would both schedule, and scale-out (gantry worker on PostgreSQL) is not built yet; use 1" (int $v.replicaCount)) }}
{{- end }}
{{- if $v.workers.enabled }}
{{- fail "workers.enabled: gantry worker is not available yet; the server runs every task itself" }}
{{- end }}
{{- if and (eq $v.store.type "sqlite") (not $v.persistence.enabled) }}
{{- fail "persistence.enabled=false with the SQLite store would lose every record when the pod goes; enable persistence or use store.type=postgres" }}
{{- end }}
{{- if eq $v.store.type "postgres" }}
{{- $ref := dig "url" "secretKeyRef" dict $v.store.postgres }}
{{- if not (and $ref.name $ref.key) }}
{{- fail "store.type=postgres needs store.postgres.url.secretKeyRef.name and .key: the URL comes from an existing Secret" }}
{{- end }}
{{- end }}
{{- if not (or $v.project.existingConfigMap.name $v.project.files) }}
{{- fail "project: gantry serve needs a project; set project.files or project.existingConfigMap.name" }}
{{- end }}
{{- range $name, $_ := $v.secretEnv }}
{{- if not (regexMatch "^[A-Za-z_][A-Za-z0-9_]*$" $name) }}
{{- fail (printf "secretEnv: %q is no environment variable name" $name) }}
{{- end }}
{{- end }}
{{- $keys := dict }}
{{- range $path, $_ := (include "gantry.projectFiles" . | fromJson) }}
{{- include "gantry.checkPath" (list "project.files" $path) }}
{{- $key := include "gantry.fileKey" $path }}
{{- if hasKey $keys $key }}
{{- fail (printf "project.files: %q and %q would share the ConfigMap key %q" (get $keys $key) $path $key) }}
{{- end }}
{{- $_ := set $keys $key $path }}
{{- end }}
{{- range $v.project.existingConfigMap.items }}
{{- include "gantry.checkPath" (list "project.existingConfigMap.items" .path) }}
{{- end }}
{{- end }}

{{/* Fails unless (list WHERE PATH) names a clean relative path in the project, outside .gantry/. */}}
{{- define "gantry.checkPath" -}}
{{- $where := index . 0 }}
{{- $path := index . 1 }}
{{- $segment := "\\.?[A-Za-z0-9_-][A-Za-z0-9._-]*" }}
{{- if or (not (regexMatch (printf "^%s(/%s)*$" $segment $segment) $path)) (regexMatch "^\\.gantry(/|$)" $path) (gt (len $path) 200) }}
{{- fail (printf "%s: %q is no clean relative path in the project outside .gantry/" $where $path) }}
{{- end }}
{{- end }}
