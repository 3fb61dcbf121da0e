//! The injector's AdmissionReview handling over arbitrary bytes never panics, and whatever
//! it answers is an AdmissionReview that echoes the uid; a patch is base64 of a JSON array
//! of RFC 6902 operations. The bytes are tried twice: as the whole request body, and (when
//! they are JSON) as the pod inside a well-formed envelope, so the mutation itself is reached.
#![no_main]
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use toolwall::inject::review::{review, Answer};
use toolwall::inject::InjectorConfig;

fn check(cfg: &InjectorConfig, body: &[u8], uid: Option<&str>) {
    let (answer, _) = review(cfg, body);
    let Answer::Review(v) = answer else {
        return;
    };
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    if let Some(uid) = uid {
        assert_eq!(v["response"]["uid"], uid);
    }
    if let Some(p) = v["response"]["patch"].as_str() {
        assert_eq!(v["response"]["patchType"], "JSONPatch");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(p)
            .expect("base64 patch");
        let ops: Value = serde_json::from_slice(&bytes).expect("JSON patch");
        for op in ops.as_array().expect("an array of operations") {
            assert!(op["op"].is_string() && op["path"].as_str().is_some_and(|p| p.starts_with('/')));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let cfg = InjectorConfig::default();
    check(&cfg, data, None);
    let Ok(object) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let envelope = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": "agents",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": object,
            "oldObject": null,
            "dryRun": false
        }
    });
    let body = serde_json::to_vec(&envelope).expect("envelope");
    check(&cfg, &body, Some("705ab4f5-6393-11e8-b7cc-42010a800002"));
});
