{{/*
Deployment and Service of one modelfleet HTTP service.
(dict "ctx" $ "component" "collector" "service" "collector" "values" .Values.collector
      "database" true "env" (list ...) "serviceAccountName" "..." "automountToken" false
      "claim" "" "clientLabels" (list "postgresql" "mlflow"))
*/}}
{{- define "modelfleet.httpService" -}}
{{- $ctx := .ctx }}
{{- $component := dict "ctx" $ctx "component" .component }}
{{- $name := include "modelfleet.componentName" $component }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "modelfleet.componentLabels" $component | nindent 4 }}
spec:
  type: ClusterIP
  ports:
    - name: http
      port: 8080
      targetPort: http
      protocol: TCP
  selector:
    {{- include "modelfleet.componentSelectorLabels" $component | nindent 4 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "modelfleet.componentLabels" $component | nindent 4 }}
  {{- $annotations := merge (dict) (.annotations | default dict) ($ctx.Values.commonAnnotations | default dict) }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  replicas: {{ .values.replicaCount }}
  {{- if .claim }}
  strategy:
    type: Recreate  # a ReadWriteOnce volume cannot be mounted by two pods at once
  {{- end }}
  selector:
    matchLabels:
      {{- include "modelfleet.componentSelectorLabels" $component | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "modelfleet.componentLabels" $component | nindent 8 }}
        {{- range .clientLabels }}
        modelfleet.io/{{ . }}-client: "true"
        {{- end }}
      annotations:
        {{- include "modelfleet.configChecksum" $ctx | nindent 8 }}
    spec:
      serviceAccountName: {{ .serviceAccountName }}
      automountServiceAccountToken: {{ .automountToken }}
      {{- include "modelfleet.podDefaults" $ctx | nindent 6 }}
      {{- if and .database $ctx.Values.migrations.enabled }}
      initContainers:
        {{- include "modelfleet.waitForSchema" . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "modelfleet.image" (dict "ctx" $ctx "values" .values "service" .service) | quote }}
          imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
          {{- include "modelfleet.containerSecurityContext" $ctx | nindent 10 }}
          envFrom:
            {{- include "modelfleet.envFrom" $ctx | nindent 12 }}
          env:
            {{- include "modelfleet.apiTokenEnv" $ctx | nindent 12 }}
            {{- if .database }}
            {{- include "modelfleet.databaseEnv" $ctx | nindent 12 }}
            {{- end }}
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with .values.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "modelfleet.httpPortAndProbes" $ctx | nindent 10 }}
          resources:
            {{- toYaml .values.resources | nindent 12 }}
          volumeMounts:
            {{- include "modelfleet.volumeMounts" $ctx | nindent 12 }}
            {{- with .extraMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "modelfleet.volumes" (dict "ctx" $ctx "claim" .claim) | nindent 8 }}
        {{- with .extraVolumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}

{{/*
Pod template of a batch container (CronJob/Job) running a modelfleet module with arguments.
(dict "ctx" $ "component" "evaluation" "service" "collector" "values" .Values.collector
      "args" (list ...) "resources" {...} "database" true "env" (list)
      "serviceAccountName" "..." "automountToken" false "clientLabels" (list)
      "extraVolumes" (list) "extraMounts" (list) "restartPolicy" "OnFailure")
*/}}
{{- define "modelfleet.batchPod" -}}
{{- $ctx := .ctx -}}
metadata:
  labels:
    {{- include "modelfleet.componentLabels" (dict "ctx" $ctx "component" .component) | nindent 4 }}
    {{- range .clientLabels }}
    modelfleet.io/{{ . }}-client: "true"
    {{- end }}
  annotations:
    {{- include "modelfleet.configChecksum" $ctx | nindent 4 }}
spec:
  restartPolicy: {{ .restartPolicy | default "OnFailure" }}
  {{- with .affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  serviceAccountName: {{ .serviceAccountName }}
  automountServiceAccountToken: {{ .automountToken }}
  {{- include "modelfleet.podDefaults" $ctx | nindent 2 }}
  {{- if and .database $ctx.Values.migrations.enabled }}
  initContainers:
    {{- include "modelfleet.waitForSchema" . | nindent 4 }}
  {{- end }}
  containers:
    - name: {{ .component }}
      image: {{ include "modelfleet.image" (dict "ctx" $ctx "values" .values "service" .service) | quote }}
      imagePullPolicy: {{ $ctx.Values.image.pullPolicy }}
      {{- with .command }}
      command:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      args:
        {{- toYaml .args | nindent 8 }}
      {{- include "modelfleet.containerSecurityContext" $ctx | nindent 6 }}
      envFrom:
        {{- include "modelfleet.envFrom" $ctx | nindent 8 }}
      env:
        {{- include "modelfleet.apiTokenEnv" $ctx | nindent 8 }}
        {{- if .database }}
        {{- include "modelfleet.databaseEnv" $ctx | nindent 8 }}
        {{- end }}
        {{- with .env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      resources:
        {{- toYaml .resources | nindent 8 }}
      volumeMounts:
        {{- include "modelfleet.volumeMounts" $ctx | nindent 8 }}
        {{- with .extraMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    {{- include "modelfleet.volumes" (dict "ctx" $ctx "claim" .claim) | nindent 4 }}
    {{- with .extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end }}
