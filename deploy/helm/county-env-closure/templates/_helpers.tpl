{{/* The labels every object of the release carries; the NetworkPolicies select the chart's own pods by them. */}}
{{- define "county.labels" -}}
app.kubernetes.io/part-of: county-env-closure
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{/* The pods of one component (a service's name, or "proxy"). */}}
{{- define "county.selector" -}}
app.kubernetes.io/part-of: county-env-closure
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .name }}
{{- end }}

{{/* The one public origin (https://<ingress.host>): the workbench, the dashboard and the APIs. */}}
{{- define "county.origin" -}}
https://{{ required "ingress.host 未设置：工作台的公网域名 / ingress.host is not set: the workbench's public host name" .Values.ingress.host }}
{{- end }}

{{/* Where browsers sign in (the tokens' issuer is <this>/realms/county). */}}
{{- define "county.keycloakUrl" -}}
https://{{ required "keycloak.host 未设置：登录服务的公网域名 / keycloak.host is not set: the identity provider's public host name" .Values.keycloak.host }}
{{- end }}

{{/* The Secret holding CONTACT_KEYS and METRICS_TOKEN: one made outside the chart, or the chart's own. */}}
{{- define "county.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-keys" .Release.Name) }}
{{- end }}

{{- define "county.image" -}}
{{ required "image.repository 未设置 / image.repository is not set (the Dockerfile's image)" .image.repository }}:{{ required "image.tag 未设置 / image.tag is not set" .image.tag }}
{{- end }}

{{/* The pod and container security settings every pod of the chart gets. */}}
{{- define "county.podSecurity" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "county.containerSecurity" -}}
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* The Kafka listener the services and KEDA use: SASL/SCRAM, over TLS (9093) unless kafka.tls is false (9092). */}}
{{- define "county.kafkaPort" -}}
{{ if .Values.kafka.tls }}9093{{ else }}9092{{ end }}
{{- end }}

{{- define "county.kafkaBootstrap" -}}
{{ .Values.kafka.name }}-kafka-bootstrap:{{ include "county.kafkaPort" . }}
{{- end }}
