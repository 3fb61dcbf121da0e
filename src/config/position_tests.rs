//! Every config and adapter error names the file:line:col of the offending value.

use std::path::Path;

use super::load_snapshot;

const POLICY: &str = "package toolwall\nimport rego.v1\ndefault decision := {\"allow\": false}\n";
const CONFIG: &str = "identity:\n  static: { agent: a }\n";
const ADAPTER: &str = "name: pay\nupstream: http://127.0.0.1:9\n";

struct Case {
    name: &'static str,
    config: &'static str,
    adapter: &'static str,
    /// The file the error must name (`toolwall.yaml` or `pay.yaml`), line, column.
    file: &'static str,
    line: usize,
    col: usize,
    message: &'static str,
}

const CASES: &[Case] = &[
    Case {
        name: "state.timeout, with another timeout key earlier",
        config: "identity:\n  static: { agent: a }\nlistener:\n  header_read_timeout: 10s\nstate:\n  backend: redis\n  url: redis://127.0.0.1:6379\n  timeout: soon\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 8,
        col: 12,
        message: "state.timeout must be a duration",
    },
    Case {
        name: "the second rate limit",
        config: "identity:\n  static: { agent: a }\nlimits:\n  rate:\n    - per_second: 5\n    - per_minute: 0\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 6,
        col: 7,
        message: "limits.rate[1]: the rate must be a positive number",
    },
    Case {
        name: "a tool `refund` after a tool `create_refund`",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: create_refund\n    match: { method: POST, path: /v1/refunds }\n  - name: refund\n    match: { method: POST, path: v1/refunds/x }\n",
        file: "pay.yaml",
        line: 7,
        col: 34,
        message: "path `v1/refunds/x` must start with '/'",
    },
    Case {
        name: "an unknown field in an adapter's tool",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: x\n    matchh: { method: GET, path: / }\n",
        file: "pay.yaml",
        line: 5,
        col: 5,
        message: "unknown field `matchh`",
    },
    Case {
        name: "a tool's mode that is neither shadow nor enforce",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: x\n    match: { method: GET, path: / }\n    mode: shadw\n",
        file: "pay.yaml",
        line: 6,
        col: 11,
        message: "unknown variant `shadw`, expected `enforce` or `shadow`",
    },
    Case {
        name: "an adapter's mode",
        config: CONFIG,
        adapter: "name: pay\nmode: audit\nupstream: http://127.0.0.1:9\n",
        file: "pay.yaml",
        line: 2,
        col: 7,
        message: "unknown variant `audit`, expected `enforce` or `shadow`",
    },
    Case {
        name: "a tool's dry_run that is not a boolean",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - { name: x, match: { method: GET, path: / }, dry_run: maybe }\n",
        file: "pay.yaml",
        line: 4,
        col: 58,
        message: "dry_run: invalid type",
    },
    Case {
        name: "a schema file that does not exist",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: create_refund\n    match: { method: POST, path: /v1/refunds }\n    schema: schemas/missing.json\n",
        file: "pay.yaml",
        line: 6,
        col: 13,
        message: "schema file schemas/missing.json cannot be read",
    },
    Case {
        name: "a tool's cost, in flow style",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - {name: a, match: {method: GET, path: /a}, cost_usd: 1}\n  - {name: b, match: {method: GET, path: /b}, cost_usd: -1}\n",
        file: "pay.yaml",
        line: 5,
        col: 57,
        message: "cost_usd must be a number ≥ 0",
    },
    Case {
        name: "an adapter timeout (the config's state.timeout is elsewhere)",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ncredentials: { header: x-key, env: HOME }\ntimeout: 3 parsecs\n",
        file: "pay.yaml",
        line: 4,
        col: 10,
        message: "timeout:",
    },
    Case {
        name: "a listen address",
        config: "admin: 127.0.0.1:9901\nlisten: 127.0.0.1:99999\nidentity:\n  static: { agent: a }\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 2,
        col: 9,
        message: "listen: `127.0.0.1:99999` is not a host:port address",
    },
    Case {
        name: "the day offset of limits",
        config: "identity:\n  static: { agent: a }\nlimits:\n  rate: []\n  day_utc_offset: noon\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 5,
        col: 19,
        message: "limits.day_utc_offset",
    },
    Case {
        name: "a schema file that is not JSON (at the position in that file)",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: create_refund\n    match: { method: POST, path: /v1/refunds }\n    schema: bad.json\n",
        file: "bad.json",
        line: 3,
        col: 8,
        message: "schema is not valid JSON: duplicate key \"type\"",
    },
    Case {
        name: "a JWKS file that does not exist (at jwks_file)",
        config: "identity:\n  jwt:\n    issuer: i\n    audience: a\n    jwks_file: nope.json\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 5,
        col: 16,
        message: "identity.jwt.jwks_file",
    },
    Case {
        name: "an upstream that is not http(s)",
        config: CONFIG,
        adapter: "name: pay\ntimeout: 3s\nupstream: ftp://127.0.0.1:9\n",
        file: "pay.yaml",
        line: 3,
        col: 11,
        message: "must start with http:// or https://",
    },
    Case {
        name: "an adapter directory that does not exist",
        config: "identity:\n  static: { agent: a }\nadapters: nowhere\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 3,
        col: 11,
        message: "adapters: cannot read the adapter directory",
    },
    Case {
        name: "a value of the wrong type (reported by the deserialiser)",
        config: "identity:\n  static: { agent: a }\nlimits:\n  rate:\n    - per_second: 1\n    - per_second: fast\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 6,
        col: 19,
        message: "invalid type",
    },
    Case {
        name: "approvals.ttl",
        config: "identity:\n  static: { agent: a }\napprovals:\n  ttl: 1 eon\n  approvers:\n    - { name: alice, token_env: TW_POS_UNSET_A }\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 4,
        col: 8,
        message: "approvals.ttl: ",
    },
    Case {
        name: "a tier's quorum, in flow style after another tier",
        config: "identity:\n  static: { agent: a }\napprovals:\n  approvers:\n    - { name: alice, token_env: TW_POS_UNSET_A }\n  tiers: { default: { quorum: 1 }, high: { quorum: 2 } }\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 6,
        col: 52,
        message: "approvals.tiers.high.quorum: 2 approvers needed but only 1 configured",
    },
    Case {
        name: "a webhook that is not http(s)",
        config: "identity:\n  static: { agent: a }\napprovals:\n  approvers: [{ name: alice, token_env: TW_POS_UNSET_A }]\n  notify: { webhook: ftp://h/x, secret_env: TW_POS_UNSET_S }\n",
        adapter: ADAPTER,
        file: "toolwall.yaml",
        line: 5,
        col: 22,
        message: "approvals.notify.webhook: `ftp://h/x` must start with http:// or https://",
    },
];

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(p, text).expect("write");
}

#[test]
fn every_error_names_the_position_of_its_value() {
    for case in CASES {
        let dir = tempfile::tempdir().expect("tmp");
        write(dir.path(), "toolwall.yaml", case.config);
        write(dir.path(), "adapters/pay.yaml", case.adapter);
        write(dir.path(), "policies/p.rego", POLICY);
        write(
            dir.path(),
            "adapters/bad.json",
            "{\n  \"type\": \"object\",\n  \"type\": \"array\"\n}\n",
        );
        let Err(diags) = load_snapshot(&dir.path().join("toolwall.yaml"), false) else {
            panic!("{}: the config loaded", case.name);
        };
        let found = diags.0.iter().find(|d| d.message.contains(case.message));
        let Some(d) = found else {
            panic!("{}: no error `{}` in:\n{diags}", case.name, case.message);
        };
        assert!(
            d.file.ends_with(case.file),
            "{}: wrong file: {d}",
            case.name
        );
        assert_eq!((d.line, d.col), (case.line, case.col), "{}: {d}", case.name);
    }
}

/// gRPC adapters (`kind: grpc`): each error at its value. `adapters/protos/pay.pb` holds
/// `payments.v1.Payments` and `ledger.v1.Ledger`; `adapters/junk.pb` is not a descriptor set.
const GRPC_CASES: &[Case] = &[
    Case {
        name: "an unknown service, listing those of the set",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: refund\n    match: { service: payments.v1.Payment, method: CreateRefund }\n",
        file: "pay.yaml",
        line: 7,
        col: 23,
        message: "service `payments.v1.Payment` is not in the descriptor set (it has: ledger.v1.Ledger, payments.v1.Payments)",
    },
    Case {
        name: "an unknown method, listing the service's",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: refund\n    match:\n      service: payments.v1.Payments\n      method: createRefund\n",
        file: "pay.yaml",
        line: 9,
        col: 15,
        message: "service payments.v1.Payments has no method `createRefund` (it has: CreateRefund, GetRefund, WatchRefunds)",
    },
    Case {
        name: "a descriptor set that cannot be read",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/nope.pb\n",
        file: "pay.yaml",
        line: 4,
        col: 17,
        message: "descriptor_set protos/nope.pb cannot be read",
    },
    Case {
        name: "a file that is not a descriptor set",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: junk.pb\n",
        file: "pay.yaml",
        line: 4,
        col: 17,
        message: "descriptor_set junk.pb: not a usable FileDescriptorSet",
    },
    Case {
        name: "neither descriptor_set nor reflection",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\n",
        file: "pay.yaml",
        line: 2,
        col: 7,
        message: "a grpc adapter needs `descriptor_set: FILE` or `reflection: true`",
    },
    Case {
        name: "both descriptor_set and reflection",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\nreflection: true\n",
        file: "pay.yaml",
        line: 5,
        col: 13,
        message: "give either `descriptor_set` or `reflection: true`, not both",
    },
    Case {
        name: "descriptor_set on an http adapter",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\n",
        file: "pay.yaml",
        line: 3,
        col: 17,
        message: "`descriptor_set` is for adapters of kind grpc (this one is http)",
    },
    Case {
        name: "reflection on an mcp adapter",
        config: CONFIG,
        adapter: "name: pay\nkind: mcp\nupstream: http://127.0.0.1:9\nreflection: true\n",
        file: "pay.yaml",
        line: 4,
        col: 13,
        message: "`reflection` is for adapters of kind grpc (this one is mcp)",
    },
    Case {
        name: "unknown_fields that is neither refuse nor allow",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\nunknown_fields: ignore\n",
        file: "pay.yaml",
        line: 5,
        col: 17,
        message: "unknown variant `ignore`, expected `refuse` or `allow`",
    },
    Case {
        name: "a grpc upstream with a path",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9/api\ndescriptor_set: protos/pay.pb\n",
        file: "pay.yaml",
        line: 3,
        col: 11,
        message: "without a path",
    },
    Case {
        name: "the same method twice in one adapter",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - { name: a, match: { service: payments.v1.Payments, method: GetRefund } }\n  - { name: b, match: { service: payments.v1.Payments, method: GetRefund } }\n",
        file: "pay.yaml",
        line: 7,
        col: 64,
        message: "method /payments.v1.Payments/GetRefund is listed twice in this adapter",
    },
    Case {
        name: "a path in a grpc tool's match",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    match: { service: payments.v1.Payments, method: GetRefund, path: /x }\n",
        file: "pay.yaml",
        line: 7,
        col: 70,
        message: "match.path: a grpc tool is matched by `{service, method}` only",
    },
    Case {
        name: "a grpc tool without match",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    cost_usd: 1\n",
        file: "pay.yaml",
        line: 6,
        col: 5,
        message: "tool pay.a: `match: {service, method}` is required on a grpc adapter",
    },
    Case {
        name: "a grpc tool without method",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    match: { service: payments.v1.Payments }\n",
        file: "pay.yaml",
        line: 7,
        col: 12,
        message: "missing field `method`",
    },
    Case {
        name: "args on a grpc tool",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    match: { service: payments.v1.Payments, method: GetRefund }\n    args: form\n",
        file: "pay.yaml",
        line: 8,
        col: 11,
        message: "tool pay.a: `args` does not apply to a grpc tool",
    },
    Case {
        name: "response_schema on a grpc tool",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    match: { service: payments.v1.Payments, method: GetRefund }\n    response_schema: { type: object }\n",
        file: "pay.yaml",
        line: 8,
        col: 22,
        message: "`response_schema` does not apply to a grpc tool",
    },
    Case {
        name: "idempotency on a grpc tool",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    match: { service: payments.v1.Payments, method: GetRefund }\n    idempotency: auto\n",
        file: "pay.yaml",
        line: 8,
        col: 18,
        message: "`idempotency` does not apply to a grpc tool",
    },
    Case {
        name: "cost_from_response on a grpc tool",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    match: { service: payments.v1.Payments, method: GetRefund }\n    cost_usd: 1\n    cost_from_response: /cost\n",
        file: "pay.yaml",
        line: 9,
        col: 25,
        message: "`cost_from_response` does not apply to a grpc tool",
    },
    Case {
        name: "service in an http tool's match",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: a\n    match: { method: POST, path: /a, service: x.Y }\n",
        file: "pay.yaml",
        line: 5,
        col: 47,
        message: "match.service is for grpc adapters",
    },
    Case {
        name: "an http tool's match without path",
        config: CONFIG,
        adapter: "name: pay\nupstream: http://127.0.0.1:9\ntools:\n  - name: a\n    match: { method: POST }\n",
        file: "pay.yaml",
        line: 5,
        col: 12,
        message: "missing field `path`",
    },
    Case {
        name: "an explicit schema that is not a schema, on a grpc tool",
        config: CONFIG,
        adapter: "name: pay\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - name: a\n    match: { service: payments.v1.Payments, method: GetRefund }\n    schema: { type: 12 }\n",
        file: "pay.yaml",
        line: 8,
        col: 13,
        message: "tool pay.a: invalid JSON Schema",
    },
];

#[test]
fn every_grpc_error_names_the_position_of_its_value() {
    for case in GRPC_CASES {
        let dir = tempfile::tempdir().expect("tmp");
        write(dir.path(), "toolwall.yaml", case.config);
        write(dir.path(), "adapters/pay.yaml", case.adapter);
        write(dir.path(), "policies/p.rego", POLICY);
        std::fs::create_dir_all(dir.path().join("adapters/protos")).expect("mkdir");
        std::fs::write(
            dir.path().join("adapters/protos/pay.pb"),
            super::grpc::test_descriptor_set(),
        )
        .expect("write");
        write(dir.path(), "adapters/junk.pb", "not a descriptor set\n");
        let Err(diags) = load_snapshot(&dir.path().join("toolwall.yaml"), false) else {
            panic!("{}: the config loaded", case.name);
        };
        let found = diags.0.iter().find(|d| d.message.contains(case.message));
        let Some(d) = found else {
            panic!("{}: no error `{}` in:\n{diags}", case.name, case.message);
        };
        assert!(
            d.file.ends_with(case.file),
            "{}: wrong file: {d}",
            case.name
        );
        assert_eq!((d.line, d.col), (case.line, case.col), "{}: {d}", case.name);
        assert_eq!(diags.0.len(), 1, "{}: {diags}", case.name);
    }
}

#[test]
fn a_service_claimed_by_two_adapters_is_refused_at_the_second() {
    let dir = tempfile::tempdir().expect("tmp");
    write(dir.path(), "toolwall.yaml", CONFIG);
    write(dir.path(), "policies/p.rego", POLICY);
    std::fs::create_dir_all(dir.path().join("adapters/protos")).expect("mkdir");
    std::fs::write(
        dir.path().join("adapters/protos/pay.pb"),
        super::grpc::test_descriptor_set(),
    )
    .expect("write");
    write(
        dir.path(),
        "adapters/a.yaml",
        "name: first\nkind: grpc\nupstream: http://127.0.0.1:9\ndescriptor_set: protos/pay.pb\ntools:\n  - { name: get, match: { service: payments.v1.Payments, method: GetRefund } }\n",
    );
    write(
        dir.path(),
        "adapters/b.yaml",
        "name: second\nkind: grpc\nupstream: http://127.0.0.1:10\ndescriptor_set: protos/pay.pb\ntools:\n  - { name: post, match: { service: ledger.v1.Ledger, method: Post } }\n  - name: refund\n    match:\n      service: payments.v1.Payments\n      method: CreateRefund\n",
    );
    let Err(diags) = load_snapshot(&dir.path().join("toolwall.yaml"), false) else {
        panic!("the config loaded");
    };
    assert_eq!(diags.0.len(), 1, "{diags}");
    let d = &diags.0[0];
    assert!(d.file.ends_with("b.yaml"), "{d}");
    assert_eq!((d.line, d.col), (9, 16), "{d}");
    let first = dir.path().join("adapters/a.yaml").display().to_string();
    assert!(
        d.message.contains(&format!(
            "service payments.v1.Payments is already guarded by adapter `first` ({first})"
        )),
        "{d}"
    );
}
