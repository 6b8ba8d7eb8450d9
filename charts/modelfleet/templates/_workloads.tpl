{{/*
Deployment and Service of one modelfleet HTTP service: the trainer, collector, drift monitor and
every model server.
(dict "ctx" $ "component" "collector" "service" "collector" "values" .Values.collector
      "database" true "env" (list ...) "serviceAccountName" "..." "automountToken" false
      "claim" "" "clientLabels" (list "postgresql" "mlflow"))
Optional keys:
  "name"            resource name (default: <fullname>-<component>)
  "selectorLabels"  extra labels of the pod selector, also on every resource (a model server's
                    modelfleet.io/model-server)
  "labels"          extra labels of every resource and pod (selectorLabels included)
  "annotations"     Deployment annotations (commonAnnotations are merged in)
  "serviceAnnotations"  Service annotations
  "replicas"        replica count (default: .values.replicaCount)
  "autoscaled"      true leaves replicas to a HorizontalPodAutoscaler
  "extraVolumes", "extraMounts"  lists of Volume and VolumeMount
  "grpcPort"        a gRPC port beside HTTP (model servers), exposed as port `grpc`; 0/unset: none
*/}}
{{- define "modelfleet.httpService" -}}
{{- $ctx := .ctx }}
{{- $labels := dict "ctx" $ctx "component" .component "extra" (merge (dict) (.labels | default dict) (.selectorLabels | default dict)) }}
{{- $selector := dict "ctx" $ctx "component" .component "extra" .selectorLabels }}
{{- $name := .name | default (include "modelfleet.componentName" (dict "ctx" $ctx "component" .component)) }}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "modelfleet.componentLabels" $labels | nindent 4 }}
  {{- with .serviceAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: ClusterIP
  ports:
    - name: http
      port: 8080
      targetPort: http
      protocol: TCP
    {{- with .grpcPort }}
    - name: grpc
      port: {{ . }}
      targetPort: grpc
      protocol: TCP
      appProtocol: grpc
    {{- end }}
  selector:
    {{- include "modelfleet.componentSelectorLabels" $selector | nindent 4 }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $name }}
  namespace: {{ $ctx.Release.Namespace }}
  labels:
    {{- include "modelfleet.componentLabels" $labels | nindent 4 }}
  {{- $annotations := merge (dict) (.annotations | default dict) ($ctx.Values.commonAnnotations | default dict) }}
  {{- with $annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- if not .autoscaled }}
  replicas: {{ hasKey . "replicas" | ternary .replicas .values.replicaCount }}
  {{- end }}
  {{- if .claim }}
  strategy:
    type: Recreate  # a ReadWriteOnce volume cannot be mounted by two pods at once
  {{- end }}
  selector:
    matchLabels:
      {{- include "modelfleet.componentSelectorLabels" $selector | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "modelfleet.componentLabels" $labels | nindent 8 }}
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
          {{- include "modelfleet.httpPortAndProbes" (dict "grpcPort" .grpcPort) | nindent 10 }}
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
