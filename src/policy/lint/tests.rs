use std::path::Path;

use serde_json::json;

use super::*;

const HEAD: &str = "package toolwall\nimport rego.v1\n\n";

/// Two tools like the example's: a refund (closed schema with a nested object) and a lookup.
fn surface() -> ArgsSurface {
    ArgsSurface {
        tools: vec![
            (
                "pay.refund".into(),
                Some(json!({
                    "type": "object",
                    "properties": {
                        "charge": {"type": "string"},
                        "amount": {"type": "integer"},
                        "meta": {"type": "object", "properties": {"note": {"type": "string"}},
                                 "additionalProperties": false}
                    },
                    "additionalProperties": false
                })),
            ),
            (
                "pay.get_charge".into(),
                Some(json!({
                    "type": "object",
                    "properties": {"id": {"type": "string"}},
                    "additionalProperties": false
                })),
            ),
        ],
        open_adapters: vec![],
    }
}

fn lint_with(src: &str, surface: &ArgsSurface, data: Option<&J>) -> Vec<Finding> {
    let text = format!("{HEAD}{src}");
    // every snippet must compile for the runtime too: these are mistakes `check` accepts
    super::super::PolicySet::compile(
        Path::new("p"),
        &[("p/t.rego".to_string(), text.clone())],
        None,
        super::super::DEFAULT_MAX_INSTRUCTIONS,
    )
    .unwrap_or_else(|d| panic!("snippet does not compile: {}", d[0]));
    lint(&[("p/t.rego".to_string(), text)], data, surface).expect("parses")
}

/// Lint `src` (after the package header) against the two tools of [`surface`].
fn run(src: &str) -> Vec<Finding> {
    lint_with(src, &surface(), None)
}

fn only(findings: &[Finding], lint: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.lint == lint)
        .map(ToString::to_string)
        .collect()
}

const DEFAULT: &str = "default decision := {\"allow\": false, \"reasons\": [\"default_deny\"]}\n";

#[test]
fn an_args_field_no_schema_has_is_reported_where_it_is_written() {
    // line 5, the field after `input.args.` (a tab counts as one column)
    let f = run(&format!(
        "{DEFAULT}decision := {{\"allow\": true, \"reasons\": []}} if {{\n\tinput.args.amont > 5\n}}\n"
    ));
    let got = only(&f, ARGS_FIELD_UNKNOWN);
    assert_eq!(got.len(), 1, "{f:#?}");
    assert!(
        got[0].starts_with("p/t.rego:6:13: error: `input.args.amont` can never be defined: no tool's schema allows `amont` (tools considered: pay.refund, pay.get_charge)"),
        "{}",
        got[0]
    );
    assert!(got[0].ends_with("[args-field-unknown]"), "{}", got[0]);
    assert_eq!(f.len(), 1, "{f:#?}");
}

#[test]
fn a_field_some_tool_has_is_fine_unless_the_rule_is_for_another_tool() {
    let ok = run(&format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"big\"]}} if input.args.amount > 5\n"
    ));
    assert!(ok.is_empty(), "{ok:#?}");
    // pinned to the lookup, which has no `amount`
    let f = run(&format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"big\"]}} if {{\n\tinput.tool.name == \"pay.get_charge\"\n\tinput.args.amount > 5\n}}\n"
    ));
    let got = only(&f, ARGS_FIELD_UNKNOWN);
    assert_eq!(got.len(), 1, "{f:#?}");
    assert!(got[0].starts_with("p/t.rego:7:13: error: `input.args.amount` can never be defined: the schema of pay.get_charge (the tool this rule is for) does not allow `amount`"), "{}", got[0]);
    // `in` a set pins too; `"x" == input.tool.name` as well
    let f = run(&format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"big\"]}} if {{\n\tinput.tool.name in {{\"pay.get_charge\", \"pay.refund\"}}\n\tinput.args.amount > 5\n}}\n\
         decision := {{\"allow\": false, \"reasons\": [\"id\"]}} if {{\n\t\"pay.refund\" == input.tool.name\n\tinput.args.id == \"x\"\n}}\n"
    ));
    let got = only(&f, ARGS_FIELD_UNKNOWN);
    assert_eq!(got.len(), 1, "{f:#?}");
    assert!(
        got[0].contains("`input.args.id`")
            && got[0].contains("pay.refund (the tool this rule is for)"),
        "{}",
        got[0]
    );
}

#[test]
fn brackets_nesting_aliases_and_object_get_are_followed() {
    let src = format!(
        "{DEFAULT}deny contains \"a\" if input.args[\"amont\"] > 1\n\
         deny contains \"b\" if input.args.meta.nope\n\
         deny contains \"c\" if input.args.charge.x\n\
         deny contains \"d\" if {{\n\targs := input.args\n\targs.chrage == \"x\"\n}}\n\
         deny contains \"e\" if object.get(input.args, \"amnt\", 0) > 1\n\
         deny contains \"ok\" if input.args.meta.note == \"x\"\n\
         deny contains \"ok\" if {{ some k, _ in input.args; k == \"x\" }}\n\
         deny contains \"ok\" if object.get(input.args, \"amount\", 0) > 1\n\
         decision := {{\"allow\": false, \"reasons\": [r | some r in deny]}} if count(deny) > 0\n"
    );
    let f = run(&src);
    let got = only(&f, ARGS_FIELD_UNKNOWN);
    let at: Vec<&str> = got
        .iter()
        .map(|g| g.split(": error").next().unwrap_or(""))
        .collect();
    assert_eq!(
        at,
        [
            "p/t.rego:5:33",
            "p/t.rego:6:38",
            "p/t.rego:7:40",
            "p/t.rego:10:7",
            "p/t.rego:12:45"
        ],
        "{got:#?}"
    );
    assert!(got[1].contains("allows `meta.nope`"), "{}", got[1]);
    assert!(got[2].contains("allows `charge.x`"), "{}", got[2]);
    assert!(got[3].contains("`input.args.chrage`"), "{}", got[3]);
    assert!(got[4].contains("`input.args.amnt`"), "{}", got[4]);
    assert_eq!(f.len(), 5, "{f:#?}");
}

#[test]
fn schemas_are_followed_through_refs_and_combinators() {
    let tool = |schema: J| ArgsSurface {
        tools: vec![("t.x".into(), Some(schema))],
        open_adapters: vec![],
    };
    let src = format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if input.args.field\n"
    );
    let flagged =
        |schema: J| !only(&lint_with(&src, &tool(schema), None), ARGS_FIELD_UNKNOWN).is_empty();
    // open: no `properties`, or `additionalProperties` not false
    assert!(!flagged(json!({"type": "object"})));
    assert!(!flagged(
        json!({"properties": {"a": {}}, "additionalProperties": {"type": "string"}})
    ));
    assert!(flagged(
        json!({"properties": {"a": {}}, "additionalProperties": false})
    ));
    // $ref into $defs, and a root `$ref`
    assert!(!flagged(
        json!({"$ref": "#/$defs/m", "$defs": {"m": {"properties": {"field": {}}, "additionalProperties": false}}})
    ));
    assert!(flagged(
        json!({"$ref": "#/$defs/m", "$defs": {"m": {"properties": {"other": {}}, "additionalProperties": false}}})
    ));
    // anyOf / oneOf: any branch; allOf: every branch
    assert!(!flagged(json!({"anyOf": [
        {"properties": {"a": {}}, "additionalProperties": false},
        {"properties": {"field": {}}, "additionalProperties": false}]})));
    assert!(flagged(json!({"oneOf": [
        {"properties": {"a": {}}, "additionalProperties": false},
        {"properties": {"b": {}}, "additionalProperties": false}]})));
    assert!(flagged(json!({"allOf": [
        {"properties": {"a": {}, "field": {}}, "additionalProperties": false},
        {"properties": {"a": {}}, "additionalProperties": false}]})));
    // patternProperties, a `false` property, unevaluatedProperties with allOf
    assert!(!flagged(
        json!({"patternProperties": {"^fi": {}}, "additionalProperties": false})
    ));
    assert!(flagged(json!({"properties": {"field": false}})));
    assert!(!flagged(
        json!({"allOf": [{"properties": {"field": {}}}], "unevaluatedProperties": false})
    ));
    assert!(flagged(
        json!({"allOf": [{"properties": {"a": {}}}], "unevaluatedProperties": false})
    ));
    // a reference outside the document may allow anything
    assert!(!flagged(json!({"$ref": "https://example.com/s.json"})));
    // a gRPC tool's schema: the derived message (with its own `$id`) and an explicit one
    assert!(!flagged(json!({"allOf": [
        {"$id": "urn:toolwall:grpc:p.M", "$ref": "#/$defs/p.M", "$defs": {"p.M": {"type": "object", "properties": {"field": {}}, "additionalProperties": false}}},
        {"$id": "urn:toolwall:schema:t", "properties": {"field": {"type": "string"}}}]})));
}

#[test]
fn tools_whose_schema_is_unknown_allow_any_field() {
    let src = format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if input.args.anything\n"
    );
    let mut s = surface();
    s.tools.push(("pay.free".into(), None));
    assert!(lint_with(&src, &s, None).is_empty());
    // an MCP server's tools are listed at run time: unpinned references are not judged
    let mut s = surface();
    s.open_adapters.push("crm".into());
    assert!(lint_with(&src, &s, None).is_empty());
    // pinned to an MCP tool: not judged either; pinned to a declared tool: judged
    let pinned = |tool: &str| {
        format!("{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if {{\n\tinput.tool.name == \"{tool}\"\n\tinput.args.anything\n}}\n")
    };
    assert!(lint_with(&pinned("crm.refund"), &s, None).is_empty());
    assert_eq!(
        only(
            &lint_with(&pinned("pay.refund"), &s, None),
            ARGS_FIELD_UNKNOWN
        )
        .len(),
        1
    );
}

#[test]
fn references_to_rules_nobody_defines() {
    let f = run(&format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if count(data.toolwall.deny_reasonz) > 0\n"
    ));
    let got = only(&f, RULE_NEVER_DEFINED);
    assert_eq!(got.len(), 1, "{f:#?}");
    assert!(got[0].starts_with("p/t.rego:5:71: error: `data.toolwall.deny_reasonz` is never defined: no policy file defines a rule `deny_reasonz` in package toolwall"), "{}", got[0]);
    // a value in data.json under data.toolwall defines it
    let data = json!({"toolwall": {"deny_reasonz": ["x"]}});
    let src = format!("{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if count(data.toolwall.deny_reasonz) > 0\n");
    assert!(lint_with(&src, &surface(), Some(&data)).is_empty());
    // data outside the packages (data.json's own documents) is not judged
    let src = format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if data.config.strict\n"
    );
    assert!(run(&src).is_empty());
}

#[test]
fn input_keys_outside_the_input_document() {
    let f = run(&format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if {{\n\tinput.amount > 5\n\tinput.principle.tenant == \"a\"\n\tinput[\"principal\"].tenant == \"a\"\n}}\n"
    ));
    let got = only(&f, RULE_NEVER_DEFINED);
    assert_eq!(got.len(), 2, "{f:#?}");
    assert!(got[0].starts_with("p/t.rego:6:8: error: `input.amount` is never defined: the input document (version 1) has no `amount`; its keys are approval, args, grpc, mcp, mode, now, pii, principal, request, tool, usage, v (the call's arguments are `input.args`: `input.args.amount`?)"), "{}", got[0]);
    assert!(
        got[1].starts_with("p/t.rego:7:8: error: `input.principle` is never defined"),
        "{}",
        got[1]
    );
    assert!(!got[1].contains("input.args.principle"), "{}", got[1]);
}

#[test]
fn conditions_on_constants_that_never_hold() {
    let f = run(&format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if {{\n\t\"prod\" == \"staging\"\n}}\n\
         decision := {{\"allow\": false, \"reasons\": [\"y\"]}} if 1 > 2\n\
         decision := {{\"allow\": false, \"reasons\": [\"z\"]}} if 1 == 1.0\n\
         decision := {{\"allow\": false, \"reasons\": [\"w\"]}} if not 1 > 2\n\
         decision := {{\"allow\": false, \"reasons\": [\"v\"]}} if false\n"
    ));
    let got = only(&f, RULE_NEVER_DEFINED);
    assert_eq!(got.len(), 3, "{f:#?}");
    assert!(
        got[2].starts_with("p/t.rego:11:51: error: `false` is always false"),
        "{}",
        got[2]
    );
    assert!(got[0].starts_with("p/t.rego:6:2: error: `\"prod\" == \"staging\"` is always false: this rule `decision` is never defined by this body"), "{}", got[0]);
    assert!(
        got[1].starts_with("p/t.rego:8:51: error: `1 > 2` is always false"),
        "{}",
        got[1]
    );
}

#[test]
fn decisions_without_reasons() {
    let f = run(
        "default decision := {\"allow\": false}\n\
         decision := {\"allow\": true, \"tier\": \"low\"} if input.tool.read_only\n\
         decision := {\"allow\": false, \"reasons\": r} if {\n\tr := [\"x\"]\n\tinput.tool.risk.financial\n}\n",
    );
    let got = only(&f, DECISION_WITHOUT_REASONS);
    assert_eq!(got.len(), 2, "{f:#?}");
    assert!(
        got[0].starts_with("p/t.rego:4:21: warning: this `decision` has no `reasons`"),
        "{}",
        got[0]
    );
    assert!(got[1].starts_with("p/t.rego:5:13: warning:"), "{}", got[1]);
    assert_eq!(f.len(), 2, "{f:#?}");
}

#[test]
fn helper_rules_nothing_uses() {
    let f = run(&format!(
        "{DEFAULT}decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if used\n\
         used if input.tool.read_only\n\
         used_by_test := 3\n\
         test_it if used_by_test == 3\n\
         forgotten if helper_of_forgotten\n\
         helper_of_forgotten if input.tool.read_only\n\
         recursive_alone := data.toolwall.recursive_alone\n"
    ));
    let got = only(&f, UNUSED_RULE);
    let names: Vec<&str> = got.iter().filter_map(|g| g.split('`').nth(1)).collect();
    assert_eq!(
        names,
        ["forgotten", "helper_of_forgotten", "recursive_alone"],
        "{got:#?}"
    );
    assert!(
        got[0].starts_with("p/t.rego:9:1: warning: rule `forgotten` is never used"),
        "{}",
        got[0]
    );
    // a reference to the whole package may use anything
    let f = run(&format!(
        "{DEFAULT}forgotten := 1\nall_rules := data.toolwall\ntest_x if all_rules\n"
    ));
    assert!(only(&f, UNUSED_RULE).is_empty(), "{f:#?}");
}

#[test]
fn defaults_that_allow() {
    let f = run("default decision := {\"allow\": true, \"reasons\": []}\n\
         decision := {\"allow\": false, \"reasons\": [\"x\"]} if input.tool.risk.financial\n\
         default allow := true\n\
         test_allow if allow\n");
    let got = only(&f, DEFAULT_ALLOWS);
    assert_eq!(got.len(), 2, "{f:#?}");
    assert!(
        got[0].starts_with("p/t.rego:4:31: error: `default decision` allows"),
        "{}",
        got[0]
    );
    assert!(
        got[1].starts_with("p/t.rego:6:18: error: `default allow` is true"),
        "{}",
        got[1]
    );
    // an unconditional decision that allows is a default too
    let f = run("decision := {\"allow\": true, \"reasons\": []}\n");
    let got = only(&f, DEFAULT_ALLOWS);
    assert_eq!(got.len(), 1, "{f:#?}");
    assert!(got[0].contains("has no condition and allows"), "{}", got[0]);
    // a conditional allow and a default deny are what policies are made of
    assert!(run(&format!(
        "{DEFAULT}decision := {{\"allow\": true, \"reasons\": []}} if input.tool.read_only\n"
    ))
    .is_empty());
}

#[test]
fn imports_resolve_to_their_paths() {
    let src = format!(
        "import input.args\nimport data.toolwall.nothing as n\n{DEFAULT}\
         decision := {{\"allow\": false, \"reasons\": [\"x\"]}} if {{\n\targs.amont > 1\n\tn\n}}\n"
    );
    let f = run(&src);
    assert_eq!(only(&f, ARGS_FIELD_UNKNOWN).len(), 1, "{f:#?}");
    let never = only(&f, RULE_NEVER_DEFINED);
    assert_eq!(never.len(), 1, "{f:#?}");
    // at the import, where the path is written
    assert!(
        never[0].starts_with("p/t.rego:5:22: error: `data.toolwall.nothing`"),
        "{}",
        never[0]
    );
}

#[test]
fn an_assignment_from_a_value_that_may_be_undefined_with_no_positive_use_after_it() {
    // the RVM goes on after `v := <undefined>`: `not v == …` then holds
    let f = run(
        "default decision := {\"allow\": false, \"reasons\": [\"x\"]}\n\
         decision := {\"allow\": true, \"reasons\": []} if {\n\
         \tv := input.args.charge\n\
         \tnot v == \"ch_bad\"\n\
         }\n",
    );
    let got = only(&f, RVM_UNDEFINED_ASSIGNMENT);
    assert_eq!(got.len(), 1, "{f:?}");
    assert!(
        got[0].starts_with("p/t.rego:6:2: error: `v := input.args.charge`"),
        "{got:?}"
    );
    // a positive use, a guard before it, a use in the head or the comprehension's term, or a
    // literal value: nothing to say
    for body in [
        "\tv := input.args.charge\n\tv != \"ch_bad\"\n",
        "\tinput.args.charge\n\tv := input.args.charge\n\tnot v == \"ch_bad\"\n",
        "\tv := 5\n\tnot v == 4\n",
    ] {
        let src = format!(
            "default decision := {{\"allow\": false, \"reasons\": [\"x\"]}}\n\
             decision := {{\"allow\": true, \"reasons\": []}} if {{\n{body}}}\n"
        );
        assert!(
            only(&run(&src), RVM_UNDEFINED_ASSIGNMENT).is_empty(),
            "{body}"
        );
    }
    let head = run(
        "default decision := {\"allow\": false, \"reasons\": [\"x\"]}\n\
         decision := {\"allow\": false, \"reasons\": [r]} if {\n\
         \tr := input.args.charge\n\
         }\n",
    );
    assert!(only(&head, RVM_UNDEFINED_ASSIGNMENT).is_empty(), "{head:?}");
    let term = run(
        "default decision := {\"allow\": false, \"reasons\": [\"x\"]}\n\
         decision := {\"allow\": false, \"reasons\": [c | some x in input.args.meta; c := x.note]} if {\n\
         \ttrue\n\
         }\n",
    );
    assert!(only(&term, RVM_UNDEFINED_ASSIGNMENT).is_empty(), "{term:?}");
}

#[test]
fn a_tool_name_no_adapter_has() {
    let f = run(
        "default decision := {\"allow\": false, \"reasons\": [\"x\"]}\n\
         decision := {\"allow\": false, \"reasons\": [\"big\"]} if {\n\
         \tinput.tool.name == \"pay.refnud\"\n\
         }\n\
         decision := {\"allow\": true, \"reasons\": []} if {\n\
         \tinput.tool.name in {\"pay.get_charge\", \"pay.get_chrage\"}\n\
         }\n",
    );
    let got = only(&f, TOOL_UNKNOWN);
    assert_eq!(got.len(), 2, "{f:?}");
    assert!(
        got[0].starts_with("p/t.rego:6:2: error: no adapter has a tool `pay.refnud`"),
        "{got:?}"
    );
    assert!(got[1].contains("`pay.get_chrage`"), "{got:?}");
    // a known name, and a name under an MCP adapter (its tools are known at run time)
    let mut surface = surface();
    surface.open_adapters.push("crm".into());
    let ok = lint_with(
        "default decision := {\"allow\": false, \"reasons\": [\"x\"]}\n\
         decision := {\"allow\": true, \"reasons\": []} if {\n\
         \tinput.tool.name in {\"pay.refund\", \"crm.anything\"}\n\
         }\n",
        &surface,
        None,
    );
    assert!(only(&ok, TOOL_UNKNOWN).is_empty(), "{ok:?}");
}
