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
{{- if and (gt (int $v.replicaCount) 1) (eq $v.store.type "sqlite") }}
{{- fail (printf "replicaCount %d with the SQLite store: one server per SQLite store (the file is locked); replicas share a PostgreSQL store, so set store.type=postgres or use 1" (int $v.replicaCount)) }}
{{- end }}
{{- if and (gt (int $v.replicaCount) 1) $v.persistence.enabled }}
{{- fail (printf "replicaCount %d with persistence.enabled: one volume cannot be every replica's state; with PostgreSQL, task logs are shipped to the store, so set persistence.enabled=false" (int $v.replicaCount)) }}
{{- end }}
{{- if and $v.workers.enabled (ne $v.store.type "postgres") }}
{{- fail "workers.enabled needs store.type=postgres: gantry worker claims tasks from the PostgreSQL store the servers share" }}
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

{{/* The init container that copies the project into place (server and workers). */}}
{{- define "gantry.projectInit" -}}
initContainers:
  # The ConfigMap's mount is read-only and made of symlinks; gantry
  # needs a plain, writable project folder.
  - name: project
    image: {{ include "gantry.image" . | quote }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    command: ["sh", "-c"]
    args:
      - cp -RL /config/. /project/ && rm -rf /project/..?*
    securityContext:
      {{- include "gantry.containerSecurityContext" . | nindent 6 }}
    resources:
      {{- toYaml .Values.initResources | nindent 6 }}
    volumeMounts:
      - {name: config, mountPath: /config, readOnly: true}
      - {name: project, mountPath: /project}
{{- end }}

{{/* The store's and the secrets' environment (server and workers); empty when none. */}}
{{- define "gantry.env" -}}
{{- $pg := .Values.store.postgres }}
{{- if or (eq .Values.store.type "postgres") .Values.secretEnv }}
env:
  {{- if eq .Values.store.type "postgres" }}
  - name: GANTRY_STORE
    valueFrom:
      secretKeyRef: {{ toJson (pick $pg.url.secretKeyRef "name" "key") }}
  {{- with (dig "password" "secretKeyRef" dict $pg) }}
  - name: PGPASSWORD
    valueFrom:
      secretKeyRef: {{ toJson (pick . "name" "key") }}
  {{- end }}
  {{- end }}
  {{- range $name, $src := .Values.secretEnv }}
  - name: {{ $name }}
    valueFrom:
      secretKeyRef: {{ toJson (pick $src.secretKeyRef "name" "key") }}
  {{- end }}
{{- end }}
{{- end }}

{{/* The project's ConfigMap volume (server and workers). */}}
{{- define "gantry.configVolume" -}}
- name: config
  configMap:
    name: {{ include "gantry.configMapName" . }}
    # Scripts in the project must stay executable. Without items every
    # key of an existing ConfigMap is a file at the project's top.
    defaultMode: 0555
    {{- $files := include "gantry.projectFiles" . | fromJson }}
    {{- if $files }}
    items:
      {{- range $path, $_ := $files }}
      - key: {{ include "gantry.fileKey" $path | quote }}
        path: {{ $path | quote }}
      {{- end }}
    {{- else if .Values.project.existingConfigMap.items }}
    items:
      {{- range .Values.project.existingConfigMap.items }}
      - key: {{ .key | quote }}
        path: {{ .path | quote }}
      {{- end }}
    {{- end }}
{{- end }}

{{/* The labels that pick the workers' pods; never change them on upgrade. */}}
{{- define "gantry.workerSelectorLabels" -}}
app.kubernetes.io/name: {{ include "gantry.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end }}
