{{/*
Shared helpers. Component templates call them with a context dict:
  (dict "root" $ "component" "webhook" "values" .Values.webhook)
"values" holds the component's block (the top level for the controller).
*/}}

{{/* Prefix of every object name: fullnameOverride or the release name. */}}
{{- define "certkeeper.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "certkeeper.namespace" -}}
{{- default .Release.Namespace .Values.namespace -}}
{{- end -}}

{{- define "certkeeper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* <fullname>-<component>, e.g. certkeeper-webhook. */}}
{{- define "certkeeper.componentName" -}}
{{- printf "%s-%s" (include "certkeeper.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "certkeeper.selectorLabels" -}}
app.kubernetes.io/name: certkeeper
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "certkeeper.labels" -}}
{{ include "certkeeper.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: certkeeper
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "certkeeper.chart" .root }}
{{- with .root.Values.global.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "certkeeper.serviceAccountName" -}}
{{- if .values.serviceAccount.create -}}
{{- default (include "certkeeper.componentName" .) .values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* registry/repository[:tag][@digest]; repository defaults to <imageNamespace>/certkeeper-<component>. */}}
{{- define "certkeeper.image" -}}
{{- $img := .values.image -}}
{{- $registry := default .root.Values.imageRegistry $img.registry -}}
{{- $repo := default (printf "%s/certkeeper-%s" .root.Values.imageNamespace .component) $img.repository -}}
{{- $ref := ternary $repo (printf "%s/%s" $registry $repo) (empty $registry) -}}
{{- $tag := default .root.Chart.AppVersion $img.tag -}}
{{- if $img.digest -}}
{{- printf "%s:%s@%s" $ref $tag $img.digest -}}
{{- else -}}
{{- printf "%s:%s" $ref $tag -}}
{{- end -}}
{{- end -}}

{{/* The cluster-internal NATS URL the services use. */}}
{{- define "certkeeper.natsUrl" -}}
{{- if .Values.nats.enabled -}}
{{- printf "nats://%s-nats.%s.svc:4222" (include "certkeeper.fullname" .) (include "certkeeper.namespace" .) -}}
{{- else -}}
{{- required "nats.url is required when nats.enabled is false (the acme-solver cannot work without NATS)" .Values.nats.url -}}
{{- end -}}
{{- end -}}

{{/* Secret holding a service's NATS username/password: its existingSecret or the chart's. */}}
{{- define "certkeeper.natsSecretName" -}}
{{- $user := get .root.Values.nats.auth.users .user -}}
{{- default (printf "%s-nats-%s" (include "certkeeper.fullname" .root) .component) $user.existingSecret -}}
{{- end -}}

{{/*
Environment shared by every service: pod identity, NATS URL and credentials, log level.
Settings the chart derives go in as <PREFIX>_<SETTING> variables; a service ignores variables it
does not know, and `config` / `extraArgs` (flags) override them.
*/}}
{{- define "certkeeper.commonEnv" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: {{ .prefix }}_NATS_URL
  value: {{ include "certkeeper.natsUrl" .root | quote }}
{{- if .root.Values.nats.auth.enabled }}
- name: {{ .prefix }}_NATS_USER
  valueFrom:
    secretKeyRef:
      name: {{ include "certkeeper.natsSecretName" . }}
      key: username
- name: {{ .prefix }}_NATS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "certkeeper.natsSecretName" . }}
      key: password
{{- end }}
- name: {{ .prefix }}_LOG_LEVEL
  value: {{ .root.Values.global.logLevel | quote }}
{{- end -}}

{{/*
`config` as flags: {concurrentWorkers: 10} → --concurrent-workers=10. The kebab-case rule is the
services' own (libs/config): a dash before each capital letter.
*/}}
{{- define "certkeeper.configArgs" -}}
{{- range $key, $value := .values.config }}
{{- $flag := regexReplaceAll "([A-Z])" $key "-${1}" | lower }}
{{- $text := toString $value }}
{{- if and (kindIs "float64" $value) (eq (float64 (int64 $value)) $value) }}
{{- $text = toString (int64 $value) }}
{{- end }}
- {{ printf "--%s=%s" $flag $text | quote }}
{{- end }}
{{- if .values.featureGates }}
- {{ printf "--feature-gates=%s" .values.featureGates | quote }}
{{- end }}
{{- range .values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{- define "certkeeper.probe" -}}
{{- $p := .probe -}}
httpGet:
  path: {{ .path }}
  port: {{ .port }}
  scheme: HTTP
initialDelaySeconds: {{ $p.initialDelaySeconds }}
periodSeconds: {{ $p.periodSeconds }}
timeoutSeconds: {{ $p.timeoutSeconds }}
successThreshold: {{ $p.successThreshold }}
failureThreshold: {{ $p.failureThreshold }}
{{- end -}}

{{/*
Pod-level settings every service Deployment shares. The root filesystem is read-only, so /tmp is
an emptyDir.
*/}}
{{- define "certkeeper.podCommon" -}}
serviceAccountName: {{ include "certkeeper.serviceAccountName" . }}
automountServiceAccountToken: {{ .values.automountServiceAccountToken }}
enableServiceLinks: false
{{- with .root.Values.global.priorityClassName }}
priorityClassName: {{ . | quote }}
{{- end }}
{{- with .root.Values.global.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.securityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      medium: Memory
      sizeLimit: 64Mi
  {{- with .values.volumes }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{/* Container-level settings every service shares (after name/image/args/env/ports/probes). */}}
{{- define "certkeeper.containerCommon" -}}
{{- with .values.containerSecurityContext }}
securityContext:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.resources }}
resources:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- with .values.volumeMounts }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- end -}}

{{- define "certkeeper.deploymentMeta" -}}
metadata:
  name: {{ include "certkeeper.componentName" . }}
  namespace: {{ include "certkeeper.namespace" .root }}
  labels:
    {{- include "certkeeper.labels" . | nindent 4 }}
  {{- with .values.deploymentAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{- define "certkeeper.podMeta" -}}
metadata:
  labels:
    {{- include "certkeeper.labels" . | nindent 4 }}
    {{- with .values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    {{- if .root.Values.nats.auth.enabled }}
    checksum/nats-auth: {{ include "certkeeper.natsAuthChecksum" .root }}
    {{- end }}
    {{- with .values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
{{- end -}}

{{/* Changes when a service's NATS permissions change, so pods pick up new credentials. */}}
{{- define "certkeeper.natsAuthChecksum" -}}
{{- toJson .Values.nats.auth | sha256sum | trunc 16 -}}
{{- end -}}

{{- define "certkeeper.serviceAccount" -}}
{{- if .values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "certkeeper.serviceAccountName" . }}
  namespace: {{ include "certkeeper.namespace" .root }}
  labels:
    {{- include "certkeeper.labels" . | nindent 4 }}
    {{- with .values.serviceAccount.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .values.serviceAccount.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ .values.serviceAccount.automountServiceAccountToken }}
{{- end }}
{{- end -}}

{{- define "certkeeper.pdb" -}}
{{- $pdb := .values.podDisruptionBudget -}}
{{- if $pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "certkeeper.componentName" . }}
  namespace: {{ include "certkeeper.namespace" .root }}
  labels:
    {{- include "certkeeper.labels" . | nindent 4 }}
spec:
  selector:
    matchLabels:
      {{- include "certkeeper.selectorLabels" . | nindent 6 }}
  {{- if hasKey $pdb "maxUnavailable" }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- else }}
  minAvailable: {{ default 1 $pdb.minAvailable }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Metrics Service on 9402 (controller, webhook, cainjector). */}}
{{- define "certkeeper.metricsService" -}}
{{- if .root.Values.prometheus.enabled }}
apiVersion: v1
kind: Service
metadata:
  name: {{ include "certkeeper.componentName" . }}-metrics
  namespace: {{ include "certkeeper.namespace" .root }}
  labels:
    {{- include "certkeeper.labels" . | nindent 4 }}
    {{- with .values.serviceLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .values.serviceAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  type: ClusterIP
  selector:
    {{- include "certkeeper.selectorLabels" . | nindent 4 }}
  ports:
    - name: http-metrics
      port: 9402
      targetPort: http-metrics
      protocol: TCP
{{- end }}
{{- end -}}

{{/* The API server reaches the webhook through its Service, or at webhook.url.host when set. */}}
{{- define "certkeeper.webhookClientConfig" -}}
{{- $root := .root -}}
{{- if $root.Values.webhook.url.host -}}
url: {{ printf "https://%s%s" $root.Values.webhook.url.host .path | quote }}
{{- else -}}
service:
  name: {{ include "certkeeper.componentName" (dict "root" $root "component" "webhook") }}
  namespace: {{ include "certkeeper.namespace" $root }}
  path: {{ .path }}
  port: 443
{{- end -}}
{{- end -}}
