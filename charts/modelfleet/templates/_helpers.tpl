{{/*
Expand the name of the chart.
*/}}
{{- define "modelfleet.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Create a default fully qualified app name (63 characters at most: some Kubernetes name fields are
limited to this by the DNS naming spec). If the release name contains the chart name it is used
as the full name.
*/}}
{{- define "modelfleet.fullname" -}}
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

{{/*
Create chart name and version as used by the chart label.
*/}}
{{- define "modelfleet.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels
*/}}
{{- define "modelfleet.labels" -}}
helm.sh/chart: {{ include "modelfleet.chart" . }}
{{ include "modelfleet.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: modelfleet
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels
*/}}
{{- define "modelfleet.selectorLabels" -}}
app.kubernetes.io/name: {{ include "modelfleet.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of one component: (dict "ctx" $ "component" "collector"), plus an optional map "extra"
(a model server's own labels).
*/}}
{{- define "modelfleet.componentLabels" -}}
{{ include "modelfleet.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Selector labels of one component: (dict "ctx" $ "component" "collector"), plus an optional map
"extra" (the label telling one model server from the others).
*/}}
{{- define "modelfleet.componentSelectorLabels" -}}
{{ include "modelfleet.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Metadata annotations shared by every resource.
*/}}
{{- define "modelfleet.annotations" -}}
{{- with .Values.commonAnnotations -}}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Name of a component's resources: (dict "ctx" $ "component" "collector")
*/}}
{{- define "modelfleet.componentName" -}}
{{- printf "%s-%s" (include "modelfleet.fullname" .ctx) .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Image of a modelfleet service: (dict "ctx" $ "values" .Values.trainer "service" "trainer")
*/}}
{{- define "modelfleet.image" -}}
{{- $root := .ctx.Values.image -}}
{{- $own := .values.image | default dict -}}
{{- $repository := $own.repository | default (printf "%s/%s" (trimSuffix "/" $root.registry) .service) -}}
{{- $tag := $own.tag | default $root.tag | default .ctx.Chart.AppVersion -}}
{{- printf "%s:%s" $repository (toString $tag) -}}
{{- end }}

{{/*
ServiceAccount of the pods that do not call the Kubernetes API.
*/}}
{{- define "modelfleet.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "modelfleet.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
ServiceAccount of the collector and its evaluation job (may list Services).
*/}}
{{- define "modelfleet.collectorServiceAccountName" -}}
{{- include "modelfleet.componentName" (dict "ctx" . "component" "collector") }}
{{- end }}

{{/*
Secret and key of the API token.
*/}}
{{- define "modelfleet.apiTokenSecretName" -}}
{{- default (printf "%s-api-token" (include "modelfleet.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{/*
PostgreSQL names.
*/}}
{{- define "modelfleet.postgresql.fullname" -}}
{{- include "modelfleet.componentName" (dict "ctx" . "component" "postgresql") }}
{{- end }}

{{- define "modelfleet.postgresql.secretName" -}}
{{- default (include "modelfleet.postgresql.fullname" .) .Values.postgresql.auth.existingSecret }}
{{- end }}

{{- define "modelfleet.postgresql.host" -}}
{{- printf "%s.%s.svc" (include "modelfleet.postgresql.fullname" .) .Release.Namespace }}
{{- end }}

{{/*
MLflow names and URL.
*/}}
{{- define "modelfleet.mlflow.fullname" -}}
{{- include "modelfleet.componentName" (dict "ctx" . "component" "mlflow") }}
{{- end }}

{{- define "modelfleet.mlflow.url" -}}
{{- printf "http://%s.%s.svc:5000" (include "modelfleet.mlflow.fullname" .) .Release.Namespace }}
{{- end }}

{{/*
Environment of a service that uses the modelfleet database (MODELFLEET_DATABASE_URL).
The password comes from a Secret and is expanded by Kubernetes into the URL ($(VAR) syntax).
*/}}
{{- define "modelfleet.databaseEnv" -}}
{{- if .Values.postgresql.enabled -}}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "modelfleet.postgresql.secretName" . }}
      key: {{ .Values.postgresql.auth.existingSecretPasswordKey }}
- name: MODELFLEET_DATABASE_URL
  value: {{ printf "postgresql+psycopg2://%s:$(POSTGRES_PASSWORD)@%s:5432/%s" .Values.postgresql.auth.username (include "modelfleet.postgresql.host" .) .Values.postgresql.auth.database | quote }}
{{- else -}}
- name: MODELFLEET_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "externalDatabase.existingSecret is required when postgresql.enabled=false" .Values.externalDatabase.existingSecret }}
      key: {{ .Values.externalDatabase.databaseUrlKey }}
{{- end }}
{{- end }}

{{/*
API token of every service.
*/}}
{{- define "modelfleet.apiTokenEnv" -}}
- name: MODELFLEET_API_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "modelfleet.apiTokenSecretName" . }}
      key: {{ .Values.auth.existingSecretKey }}
{{- end }}

{{/*
Settings from the ConfigMap, with its checksum as a pod annotation (pods restart when it changes).
*/}}
{{- define "modelfleet.envFrom" -}}
- configMapRef:
    name: {{ include "modelfleet.fullname" . }}-config
{{- end }}

{{- define "modelfleet.configChecksum" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secrets: {{ include (print .Template.BasePath "/secrets.yaml") . | sha256sum }}
{{- end }}

{{/*
Pod-level defaults: pull secrets and the restricted security context.
*/}}
{{- define "modelfleet.podDefaults" -}}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.image.pullSecrets }}
imagePullSecrets:
  {{- range . }}
  - name: {{ . }}
  {{- end }}
{{- end }}
{{- end }}

{{- define "modelfleet.containerSecurityContext" -}}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end }}

{{/*
HTTP port and probes of a modelfleet service (every service listens on 8080).
*/}}
{{- define "modelfleet.httpPortAndProbes" -}}
ports:
  - name: http
    containerPort: 8080
    protocol: TCP
  {{- with .grpcPort }}
  - name: grpc
    containerPort: {{ . }}
    protocol: TCP
  {{- end }}
startupProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 5
  failureThreshold: 60
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
{{- end }}

{{/*
Writable places of a read-only root filesystem: /tmp and the state directory (model cache,
spool, reports). The state volume may be replaced by a claim: (dict "ctx" $ "claim" "name").
*/}}
{{- define "modelfleet.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: state
  mountPath: /var/lib/modelfleet
{{- end }}

{{- define "modelfleet.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .ctx.Values.tmpVolume.sizeLimit }}
- name: state
  {{- if .claim }}
  persistentVolumeClaim:
    claimName: {{ .claim }}
  {{- else }}
  emptyDir:
    sizeLimit: {{ .ctx.Values.tmpVolume.sizeLimit }}
  {{- end }}
{{- end }}

{{/*
A label value made from free text (model names): 63 characters of [A-Za-z0-9_.-].
*/}}
{{- define "modelfleet.labelValue" -}}
{{- regexReplaceAll "[^A-Za-z0-9_.-]" (toString .) "-" | trunc 63 | trimAll "-_." }}
{{- end }}

{{/*
The model-server entries with the `modelServer` defaults merged in and their names and labels
computed, as JSON {"items": [...]}. `selectorLabels` tells one server's pods from the others'
(modelfleet.io/model-server); `labels` adds modelfleet.io/model-name and model-version (or
model-alias), which the collector's discovery reads. Fails on an entry without a model, with
both or neither of version and alias, or on two entries with the same name.
*/}}
{{- define "modelfleet.modelServers" -}}
{{- $items := list }}
{{- $seen := dict }}
{{- range $i, $entry := .Values.modelServers }}
{{- $defaults := deepCopy $.Values.modelServer }}
{{- $merged := mergeOverwrite $defaults (deepCopy $entry) }}
{{- if not $merged.model }}
{{- fail (printf "modelServers[%d]: `model` (the registered model name) is required" $i) }}
{{- end }}
{{- $hasVersion := and (hasKey $entry "version") (ne (toString $entry.version) "") }}
{{- $hasAlias := and (hasKey $entry "alias") (ne (toString $entry.alias) "") }}
{{- if eq $hasVersion $hasAlias }}
{{- fail (printf "modelServers[%d] (%s): set exactly one of `version` and `alias`" $i $merged.model) }}
{{- end }}
{{- $ref := ternary (printf "v%s" (toString $entry.version)) (toString $entry.alias) $hasVersion }}
{{- $name := regexReplaceAll "[^a-z0-9-]+" (lower (toString ($merged.name | default (printf "%s-%s" $merged.model $ref)))) "-" | trunc 40 | trimAll "-" }}
{{- if hasKey $seen $name }}
{{- fail (printf "modelServers[%d]: name %q is used twice; give one of the entries a distinct `name`" $i $name) }}
{{- end }}
{{- $_ := set $seen $name true }}
{{- $_ := set $merged "name" $name }}
{{- $_ := set $merged "resourceName" (printf "%s-ms-%s" (include "modelfleet.fullname" $) $name | trunc 63 | trimSuffix "-") }}
{{- $_ := set $merged "reference" (ternary (toString $entry.version) (toString $entry.alias) $hasVersion) }}
{{- $_ := set $merged "hasVersion" $hasVersion }}
{{- $selector := dict "modelfleet.io/model-server" $name }}
{{- $labels := merge (dict "modelfleet.io/model-name" (include "modelfleet.labelValue" $merged.model)) $selector }}
{{- $_ := set $labels (ternary "modelfleet.io/model-version" "modelfleet.io/model-alias" $hasVersion) (include "modelfleet.labelValue" $merged.reference) }}
{{- $_ := set $merged "selectorLabels" $selector }}
{{- $_ := set $merged "labels" $labels }}
{{- $items = append $items $merged }}
{{- end }}
{{- dict "items" $items | toJson }}
{{- end }}

{{/*
Init container of every pod that uses the modelfleet database: wait until the database answers
and its schema is at this image's Alembic head (or at a revision newer than this image knows), so
no pod meets an old or missing schema while the migrations Job runs.
*/}}
{{- define "modelfleet.waitForSchema" -}}
{{- $ctx := .ctx -}}
- name: wait-for-schema
  image: {{ include "modelfleet.image" (dict "ctx" $ctx "values" .values "service" .service) | quote }}
  imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
  # One log line per attempt; exits 1 naming the last reason after 15 minutes
  # (MODELFLEET_SCHEMA_WAIT_TIMEOUT). services/common/src/modelfleet/common/db/wait.py
  command: ["python", "-m", "modelfleet.common.db.wait"]
  {{- include "modelfleet.containerSecurityContext" $ctx | nindent 2 }}
  env:
    {{- include "modelfleet.databaseEnv" $ctx | nindent 4 }}
  resources:
    {{- toYaml $ctx.Values.migrations.resources | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
{{- end }}
