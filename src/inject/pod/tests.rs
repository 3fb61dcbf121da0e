use serde_json::json;

use super::*;
use crate::inject::patch::apply;

fn cfg() -> InjectorConfig {
    InjectorConfig::default()
}

fn pod(ann: Value, spec: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Pod",
            "metadata": { "generateName": "agent-", "annotations": ann }, "spec": spec })
}

fn agent() -> Value {
    json!({ "containers": [{ "name": "agent", "image": "agent:1" }] })
}

/// Decide, apply, and return the patched pod (panics when not injected).
fn injected(cfg: &InjectorConfig, p: &Value) -> Value {
    let Decision::Inject { ops, .. } = decide(cfg, p, "") else {
        panic!("not injected: {:?}", decide(cfg, p, ""));
    };
    let mut out = p.clone();
    apply(&mut out, &ops).expect("apply");
    out
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|l| l.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default()
}

fn env<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .and_then(|e| e["value"].as_str())
}

#[test]
fn native_sidecar_goes_first_and_agents_get_env_and_ca() {
    let p = pod(json!({}), agent());
    let out = injected(&cfg(), &p);
    assert_eq!(out["metadata"]["annotations"][ANN_STATUS], "injected");
    let sc = &out["spec"]["initContainers"][0];
    assert_eq!(sc["name"], SIDECAR_NAME);
    assert_eq!(sc["restartPolicy"], "Always");
    assert_eq!(sc["startupProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(sc["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(sc["securityContext"]["runAsUser"], 65532);
    assert_eq!(
        sc["securityContext"]["capabilities"]["drop"],
        json!(["ALL"])
    );
    assert_eq!(sc["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        env(sc, "TOOLWALL_AGENT_ID"),
        Some("spiffe://cluster.local/ns/$(TOOLWALL_POD_NAMESPACE)/sa/$(TOOLWALL_POD_SERVICE_ACCOUNT)")
    );
    assert_eq!(env(sc, "TOOLWALL_MODE"), None);
    // The admin token the chart's toolwall.yaml reads (admin_token_env), from the keys Secret.
    let token = sc["env"]
        .as_array()
        .and_then(|l| l.iter().find(|e| e["name"] == "TOOLWALL_ADMIN_TOKEN"))
        .expect("TOOLWALL_ADMIN_TOKEN");
    assert_eq!(
        token["valueFrom"]["secretKeyRef"],
        json!({ "name": "toolwall-keys", "key": "admin.token" })
    );
    let a = &out["spec"]["containers"][0];
    assert_eq!(env(a, "HTTPS_PROXY"), Some("http://127.0.0.1:15080"));
    assert_eq!(env(a, "no_proxy"), Some("localhost,127.0.0.1,::1"));
    assert_eq!(
        env(a, "SSL_CERT_FILE"),
        Some("/var/run/toolwall/ca/bundle.crt")
    );
    assert_eq!(
        env(a, "NODE_EXTRA_CA_CERTS"),
        Some("/var/run/toolwall/ca/ca.crt")
    );
    assert_eq!(
        a["volumeMounts"],
        json!([{ "name": "toolwall-ca", "mountPath": CA_DIR, "readOnly": true }])
    );
    assert_eq!(
        names(&out["spec"]["volumes"]),
        vec![
            "toolwall-config",
            "toolwall-policies",
            "toolwall-adapters",
            "toolwall-schemas",
            "toolwall-keys",
            "toolwall-state",
            "toolwall-audit",
            "toolwall-ca"
        ]
    );
    // Injected once: the same decision on the result is a skip.
    assert!(matches!(decide(&cfg(), &out, ""), Decision::Skip { .. }));
}

#[test]
fn missing_maps_are_created_and_pointer_keys_escaped() {
    let p = json!({ "spec": agent() });
    let Decision::Inject { ops, .. } = decide(&cfg(), &p, "") else {
        panic!("not injected");
    };
    assert_eq!(ops[0].path, "/metadata");
    let p = json!({ "metadata": { "name": "x" }, "spec": agent() });
    let Decision::Inject { ops, .. } = decide(&cfg(), &p, "") else {
        panic!("not injected");
    };
    assert_eq!(ops[0].path, "/metadata/annotations");
    assert!(ops.iter().any(|o| o.path == "/spec/initContainers"));
    assert!(ops.iter().any(|o| o.path == "/spec/volumes"));
    let p = pod(json!({ "a": "b" }), agent());
    let Decision::Inject { ops, .. } = decide(&cfg(), &p, "") else {
        panic!("not injected");
    };
    assert_eq!(ops[0].path, "/metadata/annotations/toolwall.io~1status");
}

#[test]
fn existing_init_containers_and_sidecars_keep_their_order() {
    let spec = json!({
        "initContainers": [
            { "name": "migrate", "image": "m" },
            { "name": "log-shipper", "image": "l", "restartPolicy": "Always" },
        ],
        "containers": [{ "name": "agent", "image": "a" }, { "name": "helper", "image": "h" }],
        "volumes": [{ "name": "data", "emptyDir": {} }],
    });
    let out = injected(&cfg(), &pod(json!({ ANN_ENFORCE: "true" }), spec));
    assert_eq!(
        names(&out["spec"]["initContainers"]),
        vec![INIT_NAME, SIDECAR_NAME, "migrate", "log-shipper"]
    );
    assert_eq!(names(&out["spec"]["containers"]), vec!["agent", "helper"]);
    assert_eq!(out["spec"]["volumes"][0]["name"], "data");
    // Native: the init containers after the sidecar are agents too.
    assert_eq!(
        env(&out["spec"]["initContainers"][2], "HTTP_PROXY"),
        Some("http://127.0.0.1:15080")
    );
    assert_eq!(
        env(&out["spec"]["containers"][1], "HTTP_PROXY"),
        Some("http://127.0.0.1:15080")
    );
    let init = &out["spec"]["initContainers"][0];
    assert_eq!(init["securityContext"]["runAsUser"], 0);
    assert_eq!(
        init["securityContext"]["capabilities"]["add"],
        json!(["NET_ADMIN", "NET_RAW"])
    );
    assert_eq!(
        init["args"],
        json!([
            "inject",
            "iptables",
            "--uid",
            "65532",
            "--redirect-port",
            "15081"
        ])
    );
}

#[test]
fn classic_sidecar_is_first_container_with_a_start_hold() {
    let mut c = cfg();
    c.sidecar.native = false;
    let spec = json!({
        "initContainers": [{ "name": "migrate", "image": "m" }],
        "containers": [{ "name": "agent", "image": "a" }],
    });
    let out = injected(&c, &pod(json!({}), spec));
    assert_eq!(
        names(&out["spec"]["containers"]),
        vec![SIDECAR_NAME, "agent"]
    );
    assert_eq!(names(&out["spec"]["initContainers"]), vec!["migrate"]);
    let sc = &out["spec"]["containers"][0];
    assert!(sc.get("restartPolicy").is_none());
    let cmd = sc["lifecycle"]["postStart"]["exec"]["command"]
        .as_array()
        .expect("command");
    assert_eq!(cmd[1..4], [json!("inject"), json!("wait"), json!("--url")]);
    // Init containers run before a classic sidecar: no proxy for them.
    assert!(out["spec"]["initContainers"][0].get("env").is_none());
    assert_eq!(
        env(&out["spec"]["containers"][1], "HTTP_PROXY"),
        Some("http://127.0.0.1:15080")
    );
}

#[test]
fn a_containers_own_variables_are_kept() {
    let spec = json!({ "containers": [{ "name": "agent", "image": "a",
        "env": [{ "name": "HTTPS_PROXY", "value": "http://corp:3128" }, { "name": "X", "value": "1" }],
        "volumeMounts": [{ "name": "data", "mountPath": "/data" }] }],
        "volumes": [{ "name": "data", "emptyDir": {} }] });
    let mut c = cfg();
    c.agent_env.insert(
        "PAYMENTS_BASE_URL".into(),
        "http://127.0.0.1:15080/payments".into(),
    );
    let out = injected(&c, &pod(json!({}), spec));
    let a = &out["spec"]["containers"][0];
    let set: Vec<&str> = names(&a["env"]);
    assert_eq!(set.iter().filter(|n| **n == "HTTPS_PROXY").count(), 1);
    assert_eq!(env(a, "HTTPS_PROXY"), Some("http://corp:3128"));
    assert_eq!(env(a, "HTTP_PROXY"), Some("http://127.0.0.1:15080"));
    assert_eq!(
        env(a, "PAYMENTS_BASE_URL"),
        Some("http://127.0.0.1:15080/payments")
    );
    assert_eq!(names(&a["volumeMounts"]), vec!["data", "toolwall-ca"]);
}

#[test]
fn annotations_choose_identity_mode_and_config() {
    let ann = json!({ ANN_AGENT: "spiffe://x/$(SECRET)", ANN_TENANT: "acme",
                      ANN_MODE: "shadow", ANN_CONFIG: "team-a-config" });
    let out = injected(&cfg(), &pod(ann, agent()));
    let sc = &out["spec"]["initContainers"][0];
    assert_eq!(env(sc, "TOOLWALL_AGENT_ID"), Some("spiffe://x/$$(SECRET)"));
    assert_eq!(env(sc, "TOOLWALL_TENANT"), Some("acme"));
    assert_eq!(env(sc, "TOOLWALL_MODE"), Some("shadow"));
    assert_eq!(
        out["spec"]["volumes"][0]["configMap"]["name"],
        "team-a-config"
    );
}

#[test]
fn opt_out_status_and_host_network_skip() {
    for ann in [
        json!({ ANN_INJECT: "false" }),
        json!({ ANN_STATUS: "injected" }),
    ] {
        assert!(matches!(
            decide(&cfg(), &pod(ann, agent()), ""),
            Decision::Skip { .. }
        ));
    }
    let mut c = cfg();
    c.inject.default = false;
    assert!(matches!(
        decide(&c, &pod(json!({}), agent()), ""),
        Decision::Skip { .. }
    ));
    assert!(matches!(
        decide(&c, &pod(json!({ ANN_INJECT: "true" }), agent()), ""),
        Decision::Inject { .. }
    ));
    let spec = json!({ "hostNetwork": true, "containers": [{ "name": "a", "image": "a" }] });
    match decide(&cfg(), &pod(json!({}), spec), "") {
        Decision::Skip {
            warning: Some(w), ..
        } => assert!(w.contains("hostNetwork"), "{w}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_annotations_and_conflicts_are_refused() {
    let refused = |ann: Value, spec: Value| {
        matches!(decide(&cfg(), &pod(ann, spec), ""), Decision::Refuse(_))
    };
    assert!(refused(json!({ ANN_INJECT: "yes" }), agent()));
    assert!(refused(json!({ ANN_ENFORCE: "1" }), agent()));
    assert!(refused(json!({ ANN_MODE: "off" }), agent()));
    assert!(refused(json!({ ANN_CONFIG: "../x" }), agent()));
    assert!(refused(json!({ ANN_AGENT: "a\nb" }), agent()));
    assert!(refused(json!({ ANN_AGENT: 7 }), agent()));
    assert!(refused(json!({}), json!({ "containers": [] })));
    assert!(refused(json!({}), json!({ "containers": "x" })));
    assert!(refused(
        json!({}),
        json!({ "containers": [{ "image": "x" }] })
    ));
    assert!(refused(
        json!({}),
        json!({ "containers": [{ "name": "a", "env": "x" }] })
    ));
    assert!(refused(
        json!({}),
        json!({ "containers": [{ "name": "a" }], "volumes": [{ "name": "toolwall-ca", "emptyDir": {} }] })
    ));
    assert!(refused(
        json!({}),
        json!({ "containers": [{ "name": "a", "volumeMounts": [{ "name": "v", "mountPath": "/var/run/toolwall/ca/" }] }] })
    ));
    assert!(matches!(
        decide(&cfg(), &json!("pod"), ""),
        Decision::Refuse(_)
    ));
    assert!(matches!(
        decide(&cfg(), &json!({ "metadata": 1, "spec": agent() }), ""),
        Decision::Refuse(_)
    ));
}

#[test]
fn template_paths_are_prefixed() {
    let deploy = json!({ "kind": "Deployment", "spec": { "template": pod(json!({}), agent()) } });
    let Decision::Inject { ops, .. } =
        decide(&cfg(), &deploy["spec"]["template"], "/spec/template")
    else {
        panic!("not injected");
    };
    assert!(ops.iter().all(|o| o.path.starts_with("/spec/template/")));
    let mut out = deploy.clone();
    apply(&mut out, &ops).expect("apply");
    assert_eq!(
        out["spec"]["template"]["spec"]["initContainers"][0]["name"],
        SIDECAR_NAME
    );
}

#[test]
fn every_shape_of_the_lists_gets_a_patch_that_applies_once() {
    // Absent, null, empty and non-empty forms of everything the injector appends to: the
    // operations must apply (RFC 6902: the parent exists) and the result must not be
    // injected again.
    let forms = |item: Value| {
        vec![
            None,
            Some(Value::Null),
            Some(json!([])),
            Some(json!([item])),
        ]
    };
    let mut n = 0;
    for native in [true, false] {
        for enforce in ["true", "false"] {
            for envs in forms(json!({ "name": "A", "value": "1" })) {
                for mounts in forms(json!({ "name": "v", "mountPath": "/v" })) {
                    for vols in forms(json!({ "name": "v", "emptyDir": {} })) {
                        for inits in forms(json!({ "name": "i", "image": "i" })) {
                            for ann in [
                                None,
                                Some(Value::Null),
                                Some(json!({ ANN_ENFORCE: enforce })),
                            ] {
                                let mut c = json!({ "name": "agent", "image": "a" });
                                if let Some(e) = &envs {
                                    c["env"] = e.clone();
                                }
                                if let Some(m) = &mounts {
                                    c["volumeMounts"] = m.clone();
                                }
                                let mut spec = json!({ "containers": [c] });
                                if let Some(v) = &vols {
                                    spec["volumes"] = v.clone();
                                }
                                if let Some(i) = &inits {
                                    spec["initContainers"] = i.clone();
                                }
                                let mut p = json!({ "metadata": { "name": "p" }, "spec": spec });
                                if let Some(a) = &ann {
                                    p["metadata"]["annotations"] = a.clone();
                                }
                                let mut cfg = cfg();
                                cfg.sidecar.native = native;
                                let out = injected(&cfg, &p);
                                assert!(
                                    matches!(decide(&cfg, &out, ""), Decision::Skip { .. }),
                                    "injected twice: {p}"
                                );
                                let list = if native {
                                    "initContainers"
                                } else {
                                    "containers"
                                };
                                assert!(names(&out["spec"][list]).contains(&SIDECAR_NAME), "{out}");
                                let agent = out["spec"]["containers"]
                                    .as_array()
                                    .and_then(|l| l.iter().find(|c| c["name"] == "agent"))
                                    .expect("agent");
                                assert_eq!(
                                    env(agent, "HTTP_PROXY"),
                                    Some("http://127.0.0.1:15080")
                                );
                                assert!(names(&agent["volumeMounts"]).contains(&"toolwall-ca"));
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(n, 2 * 2 * 4 * 4 * 4 * 4 * 3);
}
