{{/* The chart name (nameOverride). */}}
{{- define "toolwall.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* `<release>-<chart>`, or the release name when it already contains the chart name. */}}
{{- define "toolwall.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "toolwall.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels every resource carries (with its own name and instance labels). */}}
{{- define "toolwall.metaLabels" -}}
helm.sh/chart: {{ include "toolwall.chart" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: toolwall
{{- end -}}

{{/* Labels of the resources that belong to no component's selector. */}}
{{- define "toolwall.labels" -}}
{{ include "toolwall.metaLabels" . }}
app.kubernetes.io/name: {{ include "toolwall.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The injector's name: its pods carry app.kubernetes.io/name with this value, which the
webhook's objectSelector excludes (the injector is never sent to itself). */}}
{{- define "toolwall.injectorName" -}}toolwall-injector{{- end -}}

{{- define "toolwall.injector.selectorLabels" -}}
app.kubernetes.io/name: {{ include "toolwall.injectorName" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "toolwall.injector.labels" -}}
{{ include "toolwall.metaLabels" . }}
{{ include "toolwall.injector.selectorLabels" . }}
app.kubernetes.io/component: injector
{{- end -}}

{{/* The injector's Deployment, Service and ServiceAccount default name. */}}
{{- define "toolwall.injector.fullname" -}}
{{- printf "%s-injector" (include "toolwall.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "toolwall.serviceAccountName" -}}
{{- if .Values.injector.serviceAccount.create -}}
{{- default (include "toolwall.injector.fullname" .) .Values.injector.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.injector.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The MutatingWebhookConfiguration's name (cluster-scoped: one per release). */}}
{{- define "toolwall.webhookConfigName" -}}
{{- printf "%s-injector" (include "toolwall.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The serving certificate's Secret (cert-manager mode). */}}
{{- define "toolwall.webhookTLSSecret" -}}
{{- printf "%s-injector-tls" (include "toolwall.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "toolwall.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "toolwall.sidecarImage" -}}
{{- $repo := default .Values.image.repository .Values.sidecar.image.repository -}}
{{- $tag := default (default .Chart.AppVersion .Values.image.tag) .Values.sidecar.image.tag -}}
{{- printf "%s:%s" $repo $tag -}}
{{- end -}}

{{/* The namespaces that get the sidecar's ConfigMaps and keys Secret. */}}
{{- define "toolwall.sidecarNamespaces" -}}
{{- if .Values.sidecarConfig.namespaces -}}
{{- toJson (uniq .Values.sidecarConfig.namespaces) -}}
{{- else -}}
{{- toJson (list .Release.Namespace) -}}
{{- end -}}
{{- end -}}

{{/* The keys Secret's name the sidecars mount. */}}
{{- define "toolwall.keysSecret" -}}
{{- default .Values.keys.secretName .Values.keys.existingSecret -}}
{{- end -}}

{{- define "toolwall.redis.fullname" -}}
{{- printf "%s-redis" (include "toolwall.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "toolwall.redis.selectorLabels" -}}
app.kubernetes.io/name: toolwall-redis
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "toolwall.redis.labels" -}}
{{ include "toolwall.metaLabels" . }}
{{ include "toolwall.redis.selectorLabels" . }}
app.kubernetes.io/component: redis
{{- end -}}

{{/* The Redis URL the sidecars use ("" without Redis). A full DNS name: sidecars run in other
namespaces. */}}
{{- define "toolwall.redisURL" -}}
{{- if .Values.redis.enabled -}}
{{- printf "redis://%s.%s.svc:%d/0" (include "toolwall.redis.fullname" .) .Release.Namespace (int .Values.redis.port) -}}
{{- else -}}
{{- .Values.redis.url -}}
{{- end -}}
{{- end -}}

{{/* The locked-down container securityContext shared by the injector and Redis. */}}
{{- define "toolwall.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The sidecar's toolwall.yaml (paths and ports of the deployment contract). */}}
{{- define "toolwall.sidecarConfigYaml" -}}
{{- $v := .Values.sidecarConfig -}}
{{- $p := .Values.sidecar.ports -}}
{{- $static := dict "agent_env" "TOOLWALL_AGENT_ID" "tenant_env" "TOOLWALL_TENANT" -}}
{{- with $v.identity.agent }}{{ $_ := set $static "agent" . }}{{ end -}}
{{- with $v.identity.tenant }}{{ $_ := set $static "tenant" . }}{{ end -}}
{{- $identity := dict "static" $static -}}
{{- $audit := dict "dir" "/var/lib/toolwall/audit" "key" "../keys/audit.key" "hmac_key" "../keys/hmac.key" "sync" $v.audit.sync "args" $v.audit.args -}}
{{- $egress := dict "transparent_listen" (printf "127.0.0.1:%d" (int $p.transparent)) "ca_out" "/var/run/toolwall/ca" "passthrough" (deepCopy $v.egress.passthrough) -}}
{{- $state := dict "backend" "sqlite" "path" "/var/lib/toolwall/state/toolwall.db" -}}
{{- $url := include "toolwall.redisURL" . -}}
{{- if $url -}}
{{- $state = dict "backend" "redis" "url" $url "prefix" .Values.redis.prefix "timeout" .Values.redis.timeout -}}
{{- end -}}
{{- $cfg := dict
  "listen" (printf "127.0.0.1:%d" (int $p.listen))
  "admin" (printf "0.0.0.0:%d" (int $p.admin))
  "admin_token_env" "TOOLWALL_ADMIN_TOKEN"
  "mode" $v.mode
  "mode_env" "TOOLWALL_MODE"
  "identity" $identity
  "reload" (deepCopy $v.reload)
  "policies" "../policies"
  "adapters" "../adapters"
  "request" (deepCopy $v.request)
  "limits" (deepCopy $v.limits)
  "state" $state
  "audit" $audit
  "egress" $egress
-}}
{{- $cfg = mergeOverwrite $cfg (deepCopy $v.extra) -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* The injector's injector.yaml (the deployment contract's shape). */}}
{{- define "toolwall.injectorConfigYaml" -}}
{{- $s := .Values.sidecar -}}
{{- $n := .Values.sidecarConfig.names -}}
{{- $cfg := dict
  "sidecar" (dict
    "image" (include "toolwall.sidecarImage" .)
    "image_pull_policy" $s.image.pullPolicy
    "uid" (int $s.uid)
    "ports" (dict "listen" (int $s.ports.listen) "transparent" (int $s.ports.transparent) "admin" (int $s.ports.admin))
    "resources" (deepCopy $s.resources)
    "native" $s.native)
  "config" (dict
    "config_map" $n.config
    "policies_config_map" $n.policies
    "adapters_config_map" $n.adapters
    "schemas_config_map" $n.schemas
    "keys_secret" (include "toolwall.keysSecret" .)
    "audit_volume" $s.auditVolume)
  "identity" (dict "trust_domain" $s.identity.trustDomain "tenant" $s.identity.tenant)
  "agent_env" (deepCopy $s.agentEnv)
  "enforce" (dict
    "default" $s.enforce.default
    "exclude_outbound_ports" (deepCopy $s.enforce.excludeOutboundPorts)
    "exclude_outbound_cidrs" (deepCopy $s.enforce.excludeOutboundCidrs)
    "init_image" $s.enforce.initImage)
  "inject" (dict "default" .Values.webhook.injectByDefault)
-}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Checks across values that JSON Schema cannot express. */}}
{{- define "toolwall.validate" -}}
{{- $p := .Values.sidecar.ports -}}
{{- if or (eq (int $p.listen) (int $p.transparent)) (eq (int $p.listen) (int $p.admin)) (eq (int $p.transparent) (int $p.admin)) -}}
{{- fail "sidecar.ports: listen, transparent and admin must be three different ports" -}}
{{- end -}}
{{- if and .Values.injector.pdb.enabled (ge (int .Values.injector.pdb.minAvailable) (int .Values.injector.replicas)) -}}
{{- fail "injector.pdb.minAvailable must be below injector.replicas (else no node drain can ever evict an injector)" -}}
{{- end -}}
{{- if and .Values.redis.enabled .Values.redis.url -}}
{{- fail "redis: set redis.enabled (a Redis run by the chart) or redis.url (your own), not both" -}}
{{- end -}}
{{- if and (eq .Values.webhook.tls.mode "self-managed") (not .Values.injector.serviceAccount.create) (not .Values.injector.serviceAccount.name) -}}
{{- fail "webhook.tls.mode self-managed binds a ClusterRole to the injector's ServiceAccount: create it or name one" -}}
{{- end -}}
{{- end -}}
