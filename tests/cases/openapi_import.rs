//! `toolwall adapters import-openapi`: the real binary imports the Swagger Petstore 3 document
//! and a Stripe-shaped excerpt; `toolwall check` accepts the output; `toolwall run` with it in
//! front of a real upstream routes calls, refuses wrong-typed and unknown arguments before they
//! reach the upstream, and refuses what the spec does not describe. `--include` filters, an
//! invalid document exits 2 naming the file, existing files are kept without `--force`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};

use crate::common::*;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/openapi/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// `adapters import-openapi` with `args`.
fn import(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["adapters", "import-openapi"];
    all.extend_from_slice(args);
    toolwall(&all)
}

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The generated adapter's tool called `name`.
fn tool<'a>(adapter: &'a Value, name: &str) -> &'a Value {
    adapter["tools"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == name))
        .unwrap_or_else(|| panic!("no tool {name} in {adapter:#}"))
}

fn read_adapter(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    yaml_serde::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", p.display()))
}

/// The files under `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("under dir");
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// A config beside `adapters/`: fixed loopback ports, a static identity, the given policies.
fn write_config(root: &Path, policies: &str) -> (PathBuf, SocketAddr) {
    let agent: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let admin: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
    let cfg = root.join("toolwall.yaml");
    std::fs::write(
        &cfg,
        format!(
            "listen: {agent}\nadmin: {admin}\n{STATIC_IDENTITY}policies: {policies}\nadapters: adapters\n"
        ),
    )
    .expect("write config");
    (cfg, agent)
}

/// `toolwall run -c cfg`, killed when dropped; its stderr goes to `run.log` beside the config.
struct Running(Child);

impl Running {
    async fn start(cfg: &Path, agent: SocketAddr) -> Running {
        let log = std::fs::File::create(cfg.with_file_name("run.log")).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_toolwall"))
            .env_remove("RUST_LOG")
            .args(["run", "-c", s(cfg)])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn toolwall run");
        let running = Running(child);
        for _ in 0..400 {
            if tokio::net::TcpStream::connect(agent).await.is_ok() {
                return running;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(cfg.with_file_name("run.log")).unwrap_or_default();
        panic!("toolwall run does not listen on {agent}:\n{log}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn form_post(target: &str, body: &str) -> http::Request<Full<Bytes>> {
    req("POST", target)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("request")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn petstore_import_passes_check_and_routes_real_calls() {
    let up = http_upstream().await;
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("adapters");
    let upstream = format!("http://{}/api/v3", up.addr);
    let (code, stdout, stderr) = import(&[
        &fixture("petstore3.yaml"),
        "--name",
        "petstore",
        "--out",
        s(&out),
        "--upstream",
        &upstream,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(": 17 tool(s)") && stdout.contains("2 operation(s) skipped"),
        "{stdout}"
    );
    // what toolwall cannot express is named on stderr, with why
    for needle in [
        "POST /pet/{petId}/uploadImage (uploadFile) skipped: its request body is \
         application/octet-stream",
        "POST /user/createWithList (createUsersWithListInput) skipped: its request body is of \
         type \"array\", not an object",
        "GET /pet/findByTags (findPetsByTags): optional query parameter `tags` (an array or \
         object) left out",
        "DELETE /pet/{petId} (deletePet): header parameter(s) `api_key` not checked",
        "PUT /user/{username} (updateUser): optional body field `username` left out",
    ] {
        assert!(stderr.contains(needle), "{needle}\n---\n{stderr}");
    }

    // the adapter: methods, path templates, argument sources, read-only GETs
    let adapter = read_adapter(&out.join("petstore.yaml"));
    assert_eq!(adapter["upstream"], json!(upstream));
    let by_id = tool(&adapter, "petstore.get_pet_by_id");
    assert_eq!(
        by_id["match"],
        json!({"method": "GET", "path": "/pet/{petId}"})
    );
    assert_eq!(by_id["args"], "query");
    assert_eq!(by_id["read_only"], true);
    assert_eq!(by_id["schema"], "schemas/petstore.get_pet_by_id.json");
    let add = tool(&adapter, "petstore.add_pet");
    assert_eq!(add["match"], json!({"method": "POST", "path": "/pet"}));
    assert_eq!(add["args"], "json");
    assert!(add.get("read_only").is_none(), "{add:#}");
    assert_eq!(tool(&adapter, "petstore.delete_pet")["args"], "query");
    // one schema per tool, nothing else
    let mut expected: Vec<String> = adapter["tools"]
        .as_array()
        .expect("tools")
        .iter()
        .map(|t| format!("schemas/{}.json", t["name"].as_str().expect("name")))
        .collect();
    expected.push("petstore.yaml".into());
    expected.sort();
    assert_eq!(listing(&out), expected);

    // the schemas: path parameter typed, `$ref`s inlined, required kept, closed
    assert_eq!(
        read_json(&out.join("schemas/petstore.get_pet_by_id.json")),
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "petstore.get_pet_by_id",
            "description": "GET /pet/{petId}: Find pet by ID.",
            "type": "object",
            "properties": {
                "petId": {"type": "integer", "format": "int64", "description": "ID of pet to return"}
            },
            "required": ["petId"],
            "additionalProperties": false
        })
    );
    let add_pet = read_json(&out.join("schemas/petstore.add_pet.json"));
    assert_eq!(add_pet["required"], json!(["name", "photoUrls"]));
    assert_eq!(add_pet["additionalProperties"], json!(false));
    assert_eq!(
        add_pet["properties"]["category"],
        json!({"type": "object", "properties": {
            "id": {"type": "integer", "format": "int64"}, "name": {"type": "string"}}})
    );
    assert_eq!(
        add_pet["properties"]["tags"]["items"]["properties"]["name"],
        json!({"type": "string"})
    );
    assert!(!add_pet.to_string().contains("$ref"), "{add_pet:#}");
    let update_user = read_json(&out.join("schemas/petstore.update_user.json"));
    assert_eq!(update_user["required"], json!(["username"]));
    assert_eq!(
        update_user["properties"]["username"]["description"], "name that need to be deleted",
        "the path parameter, not the body field"
    );

    // `toolwall check`: the generated adapter with the repository's policies
    let policies = concat!(env!("CARGO_MANIFEST_DIR"), "/policies");
    let (cfg, agent) = write_config(dir.path(), policies);
    let (code, check_out, check_err) = toolwall(&["check", "-c", s(&cfg)]);
    assert_eq!(code, 0, "{check_out}{check_err}");
    assert!(
        check_out.contains("ok — 1 adapter(s), 17 tool(s)"),
        "{check_out}"
    );

    // `toolwall run` with that config, in front of the upstream
    let _run = Running::start(&cfg, agent).await;
    let r = send(agent, get("/petstore/pet/7")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert!(r.headers.contains_key("toolwall-decision-id"));
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path_and_query.as_str()),
        ("GET", "/api/v3/pet/7")
    );
    let r = send(agent, get("/petstore/pet/findByStatus?status=sold")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        up.requests()[1].path_and_query,
        "/api/v3/pet/findByStatus?status=sold"
    );

    // refused before the upstream: a wrong type, a value outside the enum, an unknown argument
    for (target, path) in [
        ("/petstore/pet/seven", "/petId"),
        ("/petstore/pet/findByStatus?status=lost", "/status"),
        ("/petstore/pet/findByStatus?status=sold&colour=red", ""),
    ] {
        let r = send(agent, get(target)).await;
        assert_eq!(r.status, 400, "{target}: {:?}", r.body);
        assert_eq!(r.reasons(), vec!["schema_invalid"], "{target}");
        assert_eq!(
            r.json()["error"]["violations"][0]["instance_path"],
            path,
            "{target}"
        );
    }
    let r = send(
        agent,
        json_post("/petstore/pet", r#"{"name":"rex","photoUrls":[],"id":"x"}"#),
    )
    .await;
    assert_eq!(r.status, 400, "{:?}", r.body);
    assert_eq!(r.reasons(), vec!["schema_invalid"]);
    // valid arguments reach policy: the example policy allows read-only and financial tools,
    // and addPet has no `risk:` yet — denied, not forwarded
    let r = send(
        agent,
        json_post(
            "/petstore/pet",
            r#"{"name":"rex","photoUrls":["https://x/rex.png"]}"#,
        ),
    )
    .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    assert_eq!(r.json()["error"]["type"], "denied", "{:?}", r.body);
    let reasons = r.reasons();
    assert!(
        !reasons.is_empty() && !reasons.iter().any(|x| x == "unknown_tool"),
        "{reasons:?}"
    );

    // what the spec does not describe, or toolwall could not import, is an unknown tool
    for (method, target) in [
        ("GET", "/petstore/pets"),
        ("PATCH", "/petstore/pet"),
        ("POST", "/petstore/pet/7/uploadImage"),
        ("POST", "/petstore/user/createWithList"),
    ] {
        let r = send(
            agent,
            req(method, target)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from_static(b"{}")))
                .expect("request"),
        )
        .await;
        assert_eq!(r.status, 403, "{method} {target}: {:?}", r.body);
        assert_eq!(r.reasons(), vec!["unknown_tool"], "{method} {target}");
    }
    assert_eq!(
        up.requests().len(),
        2,
        "only the two valid calls were forwarded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_form_operation_routes_and_refuses_unknown_fields() {
    let up = http_upstream().await;
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("adapters");
    let upstream = format!("http://{}", up.addr);
    let (code, stdout, stderr) = import(&[
        &fixture("stripe_excerpt.yaml"),
        "--name",
        "stripe",
        "--out",
        s(&out),
        "--upstream",
        &upstream,
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(": 3 tool(s)"), "{stdout}");
    assert!(
        stderr.contains("POST /v1/refunds (PostRefunds): optional form field `metadata`"),
        "{stderr}"
    );
    let adapter = read_adapter(&out.join("stripe.yaml"));
    let create = tool(&adapter, "stripe.post_refunds");
    assert_eq!(create["args"], "form");
    assert_eq!(
        create["match"],
        json!({"method": "POST", "path": "/v1/refunds"})
    );
    // Stripe's GETs carry an empty optional form body: no body, query arguments
    let retrieve = tool(&adapter, "stripe.get_charges_charge");
    assert_eq!(retrieve["args"], "query");
    assert_eq!(retrieve["read_only"], true);
    let schema = read_json(&out.join("schemas/stripe.post_refunds.json"));
    let mut fields: Vec<&String> = schema["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "amount",
            "charge",
            "payment_intent",
            "reason",
            "refund_application_fee",
            "reverse_transfer"
        ]
    );

    // an allow-all policy: the imported tools carry no `risk:` for the example policy to allow
    std::fs::create_dir_all(dir.path().join("policies")).expect("mkdir");
    std::fs::write(dir.path().join("policies/toolwall.rego"), ALLOW_ALL).expect("write");
    let (cfg, agent) = write_config(dir.path(), "policies");
    let (code, check_out, check_err) = toolwall(&["check", "-c", s(&cfg)]);
    assert_eq!(code, 0, "{check_out}{check_err}");
    let _run = Running::start(&cfg, agent).await;

    let body = "charge=ch_1&amount=500&reason=requested_by_customer";
    let r = send(agent, form_post("/stripe/v1/refunds", body)).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let seen = up.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].path_and_query, "/v1/refunds");
    assert_eq!(seen[0].body, Bytes::from(body));
    assert_eq!(
        seen[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );

    // an unknown form field, a wrong-typed one, a value outside the enum: schema_invalid
    for (body, path) in [
        ("charge=ch_1&amount=500&destination=acct_9", ""),
        ("charge=ch_1&amount=five", "/amount"),
        ("charge=ch_1&reason=because", "/reason"),
    ] {
        let r = send(agent, form_post("/stripe/v1/refunds", body)).await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.body);
        assert_eq!(r.reasons(), vec!["schema_invalid"], "{body}");
        assert_eq!(r.json()["error"]["violations"][0]["instance_path"], path);
    }
    // `metadata` was left out: its bracketed form never reaches Stripe, its plain form is unknown
    let r = send(
        agent,
        form_post("/stripe/v1/refunds", "charge=ch_1&metadata[order]=6735"),
    )
    .await;
    assert_eq!(r.reasons(), vec!["ambiguous_request"], "{:?}", r.body);
    let r = send(
        agent,
        form_post("/stripe/v1/refunds", "charge=ch_1&metadata=6735"),
    )
    .await;
    assert_eq!(r.reasons(), vec!["schema_invalid"], "{:?}", r.body);
    assert_eq!(up.requests().len(), 1, "no refused call was forwarded");

    // query arguments typed by the schema; a dropped query parameter is refused
    let r = send(agent, get("/stripe/v1/refunds?limit=3&charge=ch_1")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(
        up.requests()[1].path_and_query,
        "/v1/refunds?limit=3&charge=ch_1"
    );
    let r = send(agent, get("/stripe/v1/refunds?limit=lots")).await;
    assert_eq!(r.reasons(), vec!["schema_invalid"], "{:?}", r.body);
    let r = send(agent, get("/stripe/v1/charges/ch_1?expand=customer")).await;
    assert_eq!(r.reasons(), vec!["schema_invalid"], "{:?}", r.body);
    let r = send(agent, get("/stripe/v1/charges/ch_1")).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(up.requests()[2].path_and_query, "/v1/charges/ch_1");
    assert_eq!(up.requests().len(), 3);
}

#[test]
fn include_filters_operations_and_json_documents_import_alike() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("yaml");
    let (code, stdout, stderr) = import(&[
        &fixture("petstore3.yaml"),
        "--name",
        "petstore",
        "--out",
        s(&out),
        "--include",
        "^getPetById$|^/store/",
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains(": 5 tool(s)") && stdout.contains("0 operation(s) skipped"),
        "{stdout}"
    );
    assert_eq!(
        listing(&out),
        vec![
            "petstore.yaml",
            "schemas/petstore.delete_order.json",
            "schemas/petstore.get_inventory.json",
            "schemas/petstore.get_order_by_id.json",
            "schemas/petstore.get_pet_by_id.json",
            "schemas/petstore.place_order.json",
        ]
    );
    // the operations left out are not warned about
    assert!(!stderr.contains("uploadFile"), "{stderr}");
    // servers[0].url without --upstream
    let adapter = read_adapter(&out.join("petstore.yaml"));
    assert_eq!(adapter["upstream"], "https://petstore3.swagger.io/api/v3");

    // the same document as JSON gives the same files
    let yaml = std::fs::read_to_string(fixture("petstore3.yaml")).expect("read");
    let doc: Value = yaml_serde::from_str(&yaml).expect("yaml");
    let json_spec = dir.path().join("petstore3.json");
    std::fs::write(&json_spec, serde_json::to_string(&doc).expect("json")).expect("write");
    let out_json = dir.path().join("json");
    let (code, _, stderr) = import(&[
        s(&json_spec),
        "--name",
        "petstore",
        "--out",
        s(&out_json),
        "--include",
        "^getPetById$|^/store/",
    ]);
    assert_eq!(code, 0, "{stderr}");
    for f in listing(&out) {
        let (a, b) = (
            std::fs::read_to_string(out.join(&f)).expect("read"),
            std::fs::read_to_string(out_json.join(&f)).expect("read"),
        );
        let a = a.replace("from petstore3.yaml", "from petstore3.json");
        assert_eq!(a, b, "{f}");
    }

    // an include that matches nothing writes nothing
    let none = dir.path().join("none");
    let (code, _, stderr) = import(&[
        &fixture("petstore3.yaml"),
        "--name",
        "petstore",
        "--out",
        s(&none),
        "--include",
        "^nothing$",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("petstore3.yaml: no operation's operationId or path matches --include"),
        "{stderr}"
    );
    assert!(!none.exists());
}

#[test]
fn an_invalid_document_exits_2_naming_the_file_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let cases: [(&str, &str, &str); 6] = [
        (
            "broken.yaml",
            "openapi: 3.0.0\npaths:\n  /a: [1, 2\n",
            "broken.yaml:4:1: ",
        ),
        (
            "swagger.json",
            r#"{"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}"#,
            "swagger.json: a Swagger 2.0 document",
        ),
        (
            "plain.yaml",
            "hello: world\n",
            "plain.yaml: not an OpenAPI 3.0 or 3.1 document",
        ),
        (
            "dangling.yaml",
            "openapi: 3.1.0\nservers: [{url: 'http://127.0.0.1:9'}]\npaths:\n  /a:\n    post:\n      \
             operationId: makeA\n      requestBody:\n        content:\n          application/json:\n            \
             schema: {$ref: '#/components/schemas/A'}\n",
            "dangling.yaml: POST /a (makeA): `$ref: #/components/schemas/A` does not resolve",
        ),
        (
            "relative.yaml",
            "openapi: 3.0.2\nservers: [{url: /v3}]\npaths:\n  /a: {get: {operationId: a}}\n",
            "relative.yaml: servers[0].url `/v3` is not an absolute http(s) URL",
        ),
        (
            "dup.json",
            r#"{"openapi": "3.0.0", "paths": {}, "paths": {}}"#,
            "dup.json:1:41: invalid JSON: duplicate key \"paths\"",
        ),
    ];
    for (file, text, want) in cases {
        let spec = dir.path().join(file);
        std::fs::write(&spec, text).expect("write");
        let out = dir.path().join(format!("out-{file}"));
        let (code, stdout, stderr) = import(&[s(&spec), "--name", "x", "--out", s(&out)]);
        assert_eq!(code, 2, "{file}: {stdout}{stderr}");
        let want = format!("{}/{want}", dir.path().display());
        assert!(
            stderr.starts_with(&want),
            "{file}: want {want}\n---\n{stderr}"
        );
        assert!(stdout.is_empty(), "{file}: {stdout}");
        assert!(!out.exists(), "{file}: nothing written");
    }
    let out = dir.path().join("out");
    let missing = dir.path().join("missing.yaml");
    let (code, _, stderr) = import(&[s(&missing), "--name", "x", "--out", s(&out)]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with(&format!("{}: cannot read", missing.display())),
        "{stderr}"
    );
    // usage errors
    let petstore = fixture("petstore3.yaml");
    let (code, _, stderr) = import(&[&petstore, "--name", "pet.store", "--out", s(&out)]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("--name `pet.store`"), "{stderr}");
    let (code, _, stderr) = import(&[&petstore, "--name", "p", "--out", s(&out), "--include", "("]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("--include: "), "{stderr}");
    assert!(!out.exists());
}

#[test]
fn existing_output_is_kept_without_force() {
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("adapters");
    let args = |force: bool| {
        let mut a = vec![
            fixture("petstore3.yaml"),
            "--name".into(),
            "petstore".into(),
            "--out".into(),
            s(&out).to_string(),
            "--include".into(),
            "getPetById|getInventory".into(),
        ];
        if force {
            a.push("--force".into());
        }
        a
    };
    let run = |a: Vec<String>| import(&a.iter().map(String::as_str).collect::<Vec<_>>());
    let (code, _, stderr) = run(args(false));
    assert_eq!(code, 0, "{stderr}");
    let adapter = out.join("petstore.yaml");
    let schema = out.join("schemas/petstore.get_pet_by_id.json");
    std::fs::write(&adapter, "# mine\n").expect("write");
    std::fs::write(&schema, "{}\n").expect("write");
    std::fs::remove_file(out.join("schemas/petstore.get_inventory.json")).expect("rm");

    let (code, stdout, stderr) = run(args(false));
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains(&adapter.display().to_string())
            && stderr.contains(&schema.display().to_string())
            && stderr.contains("nothing written (--force replaces them)"),
        "{stderr}"
    );
    // nothing was touched, not even the file that did not exist
    assert_eq!(std::fs::read_to_string(&adapter).expect("read"), "# mine\n");
    assert_eq!(std::fs::read_to_string(&schema).expect("read"), "{}\n");
    assert_eq!(
        listing(&out),
        vec!["petstore.yaml", "schemas/petstore.get_pet_by_id.json"]
    );

    let (code, _, stderr) = run(args(true));
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&adapter).expect("read");
    assert!(text.contains("name: \"petstore.get_pet_by_id\""), "{text}");
    assert_eq!(read_json(&schema)["title"], "petstore.get_pet_by_id");
    // and no staging directory is left behind
    assert_eq!(
        listing(&out),
        vec![
            "petstore.yaml",
            "schemas/petstore.get_inventory.json",
            "schemas/petstore.get_pet_by_id.json"
        ]
    );
    assert!(std::fs::read_dir(&out)
        .expect("dir")
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with('.')));
}
