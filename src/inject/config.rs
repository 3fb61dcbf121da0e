//! `injector.yaml`: what the injector puts into a pod.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{json, Value};

use super::iptables::Cidr;

/// The injector's configuration (the Helm chart renders it into a ConfigMap). Unknown keys
/// are errors: a misspelt key must not silently fall back to a default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InjectorConfig {
    pub sidecar: Sidecar,
    pub config: ConfigRefs,
    pub identity: Identity,
    /// Extra environment for the agent containers (tool base URLs).
    pub agent_env: BTreeMap<String, String>,
    pub enforce: Enforce,
    pub inject: Inject,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sidecar {
    pub image: String,
    pub image_pull_policy: String,
    pub uid: u32,
    pub ports: Ports,
    pub resources: Resources,
    /// `true`: an init container with `restartPolicy: Always` (Kubernetes ≥ 1.29);
    /// `false`: the first regular container, holding the others until it is ready.
    pub native: bool,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ports {
    pub listen: u16,
    pub transparent: u16,
    pub admin: u16,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Resources {
    pub requests: BTreeMap<String, Quantity>,
    pub limits: BTreeMap<String, Quantity>,
}

/// A resource quantity as YAML gives it: `"1"`, `1`, `0.5`, `64Mi`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Quantity {
    Text(String),
    Int(i64),
    Float(f64),
}

impl Quantity {
    fn as_string(&self) -> String {
        match self {
            Quantity::Text(s) => s.clone(),
            Quantity::Int(i) => i.to_string(),
            Quantity::Float(f) => f.to_string(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigRefs {
    pub config_map: String,
    pub policies_config_map: String,
    pub adapters_config_map: String,
    pub schemas_config_map: String,
    pub keys_secret: String,
    /// `emptyDir`, or the name of a PersistentVolumeClaim (`{service_account}` is replaced by
    /// the pod's service account name).
    pub audit_volume: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Identity {
    pub trust_domain: String,
    pub tenant: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Enforce {
    /// Enforce in pods that do not say (`toolwall.io/enforce`).
    pub default: bool,
    pub exclude_outbound_ports: Vec<u16>,
    pub exclude_outbound_cidrs: Vec<String>,
    /// The init container's image; empty: `sidecar.image`.
    pub init_image: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Inject {
    /// Inject pods without a `toolwall.io/inject` annotation (the webhook is only called for
    /// namespaces labelled `toolwall-injection=enabled`, so this says "the label is enough").
    pub default: bool,
}

impl Default for Sidecar {
    fn default() -> Self {
        Sidecar {
            image: format!("toolwall:{}", env!("CARGO_PKG_VERSION")),
            image_pull_policy: "IfNotPresent".into(),
            uid: 65532,
            ports: Ports::default(),
            resources: Resources {
                requests: [("cpu", "50m"), ("memory", "64Mi")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Quantity::Text(v.to_string())))
                    .collect(),
                limits: [("cpu", "1"), ("memory", "256Mi")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), Quantity::Text(v.to_string())))
                    .collect(),
            },
            native: true,
        }
    }
}

impl Default for Ports {
    fn default() -> Self {
        Ports {
            listen: 15080,
            transparent: 15081,
            admin: 15901,
        }
    }
}

impl Default for ConfigRefs {
    fn default() -> Self {
        ConfigRefs {
            config_map: "toolwall-config".into(),
            policies_config_map: "toolwall-policies".into(),
            adapters_config_map: "toolwall-adapters".into(),
            schemas_config_map: "toolwall-schemas".into(),
            keys_secret: "toolwall-keys".into(),
            audit_volume: "emptyDir".into(),
        }
    }
}

impl Default for Identity {
    fn default() -> Self {
        Identity {
            trust_domain: "cluster.local".into(),
            tenant: String::new(),
        }
    }
}

impl Default for Inject {
    fn default() -> Self {
        Inject { default: true }
    }
}

/// The variables the injector gives every agent container (the contract's names), before
/// `agent_env`.
pub const AGENT_ENV_NAMES: [&str; 10] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
];

impl InjectorConfig {
    /// Read and check `injector.yaml`.
    pub fn load(path: &Path) -> Result<InjectorConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parse and check `injector.yaml` text (empty text: every default).
    pub fn parse(text: &str) -> Result<InjectorConfig, String> {
        let cfg: InjectorConfig = if text.trim().is_empty() {
            InjectorConfig::default()
        } else {
            yaml_serde::from_str(text).map_err(|e| e.to_string())?
        };
        cfg.check()?;
        Ok(cfg)
    }

    /// Every value that ends up in a pod spec is checked here, once.
    pub fn check(&self) -> Result<(), String> {
        let s = &self.sidecar;
        if s.image.trim().is_empty() || s.image.chars().any(char::is_whitespace) {
            return Err(format!(
                "sidecar.image {:?} is not an image reference",
                s.image
            ));
        }
        if !self.enforce.init_image.is_empty()
            && self.enforce.init_image.chars().any(char::is_whitespace)
        {
            return Err(format!(
                "enforce.init_image {:?} is not an image reference",
                self.enforce.init_image
            ));
        }
        if !matches!(
            s.image_pull_policy.as_str(),
            "Always" | "IfNotPresent" | "Never"
        ) {
            return Err(format!(
                "sidecar.image_pull_policy must be Always, IfNotPresent or Never, not {:?}",
                s.image_pull_policy
            ));
        }
        if s.uid == 0 {
            return Err("sidecar.uid must not be 0: the enforcing mode exempts this UID".into());
        }
        let p = s.ports;
        if [p.listen, p.transparent, p.admin].contains(&0)
            || p.listen == p.transparent
            || p.listen == p.admin
            || p.transparent == p.admin
        {
            return Err(
                "sidecar.ports: listen, transparent and admin must be distinct, non-zero ports"
                    .into(),
            );
        }
        for (k, q) in s.resources.requests.iter().chain(&s.resources.limits) {
            let v = q.as_string();
            if k.is_empty() || v.is_empty() || v.chars().any(char::is_whitespace) {
                return Err(format!("sidecar.resources: {k}: {v:?} is not a quantity"));
            }
        }
        let c = &self.config;
        for (key, name) in [
            ("config.config_map", &c.config_map),
            ("config.policies_config_map", &c.policies_config_map),
            ("config.adapters_config_map", &c.adapters_config_map),
            ("config.schemas_config_map", &c.schemas_config_map),
            ("config.keys_secret", &c.keys_secret),
        ] {
            if !is_dns_subdomain(name) {
                return Err(format!("{key}: {name:?} is not a Kubernetes object name"));
            }
        }
        if c.audit_volume != "emptyDir"
            && !is_dns_subdomain(&c.audit_volume.replace("{service_account}", "sa"))
        {
            return Err(format!(
                "config.audit_volume: {:?} is neither emptyDir nor a claim name",
                c.audit_volume
            ));
        }
        if self.identity.trust_domain.is_empty()
            || !self
                .identity
                .trust_domain
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'))
        {
            return Err(format!(
                "identity.trust_domain {:?} is not a trust domain",
                self.identity.trust_domain
            ));
        }
        for k in self.agent_env.keys() {
            if !is_env_name(k) {
                return Err(format!(
                    "agent_env: {k:?} is not an environment variable name"
                ));
            }
            if AGENT_ENV_NAMES.contains(&k.as_str()) {
                return Err(format!(
                    "agent_env: {k} is set by the injector itself (the proxy and CA variables)"
                ));
            }
        }
        if self.enforce.exclude_outbound_ports.contains(&0) {
            return Err("enforce.exclude_outbound_ports: 0 is not a port".into());
        }
        for c in &self.enforce.exclude_outbound_cidrs {
            Cidr::parse(c).map_err(|e| format!("enforce.exclude_outbound_cidrs: {e}"))?;
        }
        Ok(())
    }

    /// `resources:` of the injected containers.
    pub fn resources_json(&self) -> Value {
        let map = |m: &BTreeMap<String, Quantity>| -> Value {
            Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.as_string())))
                    .collect(),
            )
        };
        let mut out = serde_json::Map::new();
        if !self.sidecar.resources.requests.is_empty() {
            out.insert("requests".into(), map(&self.sidecar.resources.requests));
        }
        if !self.sidecar.resources.limits.is_empty() {
            out.insert("limits".into(), map(&self.sidecar.resources.limits));
        }
        json!(out)
    }
}

/// A Kubernetes object name (RFC 1123 subdomain: lowercase alphanumerics, `-`, `.`, ≤ 253).
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// An environment variable name Kubernetes and every shell accept.
pub fn is_env_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_example_parses() {
        let cfg = InjectorConfig::parse(
            r#"
sidecar:
  image: toolwall:0.1.0
  image_pull_policy: IfNotPresent
  uid: 65532
  ports: { listen: 15080, transparent: 15081, admin: 15901 }
  resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { cpu: "1", memory: 256Mi } }
  native: true
config:
  config_map: toolwall-config
  policies_config_map: toolwall-policies
  adapters_config_map: toolwall-adapters
  schemas_config_map: toolwall-schemas
  keys_secret: toolwall-keys
  audit_volume: emptyDir
identity: { trust_domain: cluster.local, tenant: "" }
agent_env: { PAYMENTS_BASE_URL: "http://127.0.0.1:15080/payments" }
enforce:
  default: false
  exclude_outbound_ports: []
  exclude_outbound_cidrs: []
  init_image: ""
"#,
        )
        .expect("contract example");
        assert_eq!(cfg.sidecar.resources.limits["cpu"].as_string(), "1");
        assert!(cfg.inject.default);
        assert_eq!(cfg.agent_env.len(), 1);
    }

    #[test]
    fn bad_values_are_refused() {
        for bad in [
            "sidecar: { imagee: x }",
            "sidecar: { uid: 0 }",
            "sidecar: { image: '' }",
            "sidecar: { image_pull_policy: Sometimes }",
            "sidecar: { ports: { listen: 15080, transparent: 15080, admin: 15901 } }",
            "config: { config_map: Bad_Name }",
            "config: { config_map: 'a/../b' }",
            "agent_env: { HTTP_PROXY: x }",
            "agent_env: { 'bad name': x }",
            "enforce: { exclude_outbound_cidrs: [ 10.0.0.0/99 ] }",
            "enforce: { exclude_outbound_ports: [ 0 ] }",
            "identity: { trust_domain: 'a/b' }",
        ] {
            assert!(InjectorConfig::parse(bad).is_err(), "accepted {bad}");
        }
    }
}
