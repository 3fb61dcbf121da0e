//! Which of the RVM's two execution modes a compiled policy runs in.
//!
//! regorus 0.14.1 has two: run-to-completion, where a rule call is a native call
//! (`jump_to` → `execute_call_rule_common` → `jump_to` …), and suspendable, where rule frames
//! live on a heap stack. The two give the same results (regorus runs its VM test suite in both
//! and compares them), but suspendable costs more per VM instruction: on the example policy a
//! decision is 56.5k instructions suspendable and 38.8k run-to-completion (callgrind,
//! docs/performance.md, "Policy round"). Run-to-completion's one danger is depth: a policy
//! whose rules call themselves (`x := data.toolwall.x`, which regorus compiles without
//! complaint) would recurse until the thread's stack overflows and the process aborts.
//!
//! So the mode is chosen per compiled program from its rule-call graph: run-to-completion
//! only when every rule call the program can make is visible in its code (`CallRule` and
//! `FunctionCall` instructions inside rule bodies the walk below accounts for, no
//! `VirtualDataDocumentLookup`, which picks a rule at run time, no `HostAwait`), the graph has
//! no cycle, and its longest chain of nested rule calls is at most [`MAX_RULE_DEPTH`].
//! Anything else — including anything this walk does not recognise — keeps the suspendable
//! mode, where a runaway policy runs into the instruction budget instead.

use regorus::rvm::vm::ExecutionMode;
use regorus::rvm::{Instruction, Program};

/// The deepest chain of nested rule calls that runs natively. Measured (regorus 0.14.1): in a
/// release build a chain of 60 nested rules runs in 256 KiB of stack and not in 128 KiB, 100
/// overflows 256 KiB — about 3–4 KiB per level, so 32 levels take ~130 KiB; an unoptimised
/// build takes ~45–60 KiB per level (8 run in 512 KiB, 12 do not), hence 8 there. Both stay
/// within a quarter of the 2 MiB stack of Tokio's worker threads, where toolwall decides (the
/// test `deep_chains_stay_suspendable_and_the_deepest_native_one_fits_a_small_stack`).
pub(super) const MAX_RULE_DEPTH: usize = if cfg!(debug_assertions) { 8 } else { 32 };

/// The mode `program` runs in, and why, for the load log.
pub(super) fn choose(program: &Program) -> (ExecutionMode, String) {
    match native_depth(program) {
        Ok(depth) => (
            ExecutionMode::RunToCompletion,
            format!("run-to-completion (rule calls nest at most {depth} deep)"),
        ),
        Err(why) => (ExecutionMode::Suspendable, format!("suspendable ({why})")),
    }
}

/// The longest chain of nested rule calls from any entry point, when run-to-completion is safe
/// for `program`; else why not.
fn native_depth(program: &Program) -> Result<usize, String> {
    if program.has_host_await {
        return Err("the program awaits the host".into());
    }
    let code = &program.instructions;
    let rules = program.rule_infos.len();
    // every instruction some walk below accounts for
    let mut seen = vec![false; code.len()];
    // callees of each rule, and of the entry points' stubs (index `rules`)
    let mut calls: Vec<Vec<usize>> = vec![Vec::new(); rules + 1];
    let mut walk = |from: usize, owner: usize, rule_body: bool| -> Result<(), String> {
        let mut pc = from;
        loop {
            let Some(ins) = code.get(pc) else {
                return Err(format!("code at {from} runs off the program"));
            };
            seen[pc] = true;
            match *ins {
                Instruction::CallRule { rule_index, .. } => {
                    calls[owner].push(usize::from(rule_index));
                }
                Instruction::FunctionCall { params_index } => {
                    let params = program
                        .instruction_data
                        .get_function_call_params(params_index)
                        .ok_or_else(|| format!("function call at {pc} has no parameters"))?;
                    calls[owner].push(usize::from(params.func_rule_index));
                }
                Instruction::VirtualDataDocumentLookup { .. } => {
                    return Err("a data reference picks its rule at run time".into());
                }
                Instruction::HostAwait { .. } => {
                    return Err("the program awaits the host".into());
                }
                Instruction::RuleReturn {} | Instruction::DestructuringSuccess {} if rule_body => {
                    return Ok(())
                }
                Instruction::Return { .. } | Instruction::Halt {} if !rule_body => return Ok(()),
                Instruction::RuleReturn {}
                | Instruction::DestructuringSuccess {}
                | Instruction::Return { .. }
                | Instruction::Halt {} => {
                    return Err(format!("unexpected end of code at {pc}"));
                }
                _ => {}
            }
            pc += 1;
        }
    };
    for (_, &pc) in &program.entry_points {
        walk(pc, rules, false)?;
    }
    for (r, info) in program.rule_infos.iter().enumerate() {
        for body in info.definitions.iter().flatten() {
            let pc = *body as usize;
            match code.get(pc) {
                Some(Instruction::RuleInit { rule_index, .. }) if usize::from(*rule_index) == r => {
                }
                _ => {
                    return Err(format!(
                        "rule {} has a body that does not start it",
                        info.name
                    ))
                }
            }
            walk(pc, r, true)?;
        }
        for block in info.destructuring_blocks.iter().flatten() {
            walk(*block as usize, r, true)?;
        }
    }
    // a call the walks did not reach could come from anywhere
    for (pc, ins) in code.iter().enumerate() {
        let call = matches!(
            ins,
            Instruction::CallRule { .. }
                | Instruction::FunctionCall { .. }
                | Instruction::VirtualDataDocumentLookup { .. }
                | Instruction::HostAwait { .. }
        );
        if call && !seen[pc] {
            return Err(format!("a rule call at {pc} lies outside every rule body"));
        }
    }
    if calls.iter().flatten().any(|&callee| callee >= rules) {
        return Err("a call names no rule".into());
    }
    // longest path from the entry stubs, by depth-first search; a rule on the current path
    // reached again is a cycle
    let mut depth: Vec<Option<usize>> = vec![None; rules + 1];
    let mut on_path = vec![false; rules + 1];
    longest(rules, &calls, &mut depth, &mut on_path, 0)?;
    let deepest = depth[rules].unwrap_or(0);
    if deepest > MAX_RULE_DEPTH {
        return Err(format!(
            "rule calls nest {deepest} deep, more than {MAX_RULE_DEPTH}"
        ));
    }
    Ok(deepest)
}

/// The number of rule calls on the longest chain below `node` (memoised in `depth`).
fn longest(
    node: usize,
    calls: &[Vec<usize>],
    depth: &mut [Option<usize>],
    on_path: &mut [bool],
    level: usize,
) -> Result<usize, String> {
    if let Some(d) = depth[node] {
        return Ok(d);
    }
    if on_path[node] {
        return Err("a rule can call itself".into());
    }
    // the search itself recurses: stop long before this thread's stack could matter
    if level > MAX_RULE_DEPTH {
        return Err(format!("rule calls nest more than {MAX_RULE_DEPTH} deep"));
    }
    on_path[node] = true;
    let mut d = 0;
    for &callee in &calls[node] {
        d = d.max(1 + longest(callee, calls, depth, on_path, level + 1)?);
    }
    on_path[node] = false;
    depth[node] = Some(d);
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicySet, DEFAULT_MAX_INSTRUCTIONS};
    use serde_json::{json, Value as J};
    use std::path::{Path, PathBuf};

    fn set(src: &str) -> PolicySet {
        PolicySet::compile(
            Path::new("policies"),
            &[("policies/t.rego".to_string(), src.to_string())],
            None,
            DEFAULT_MAX_INSTRUCTIONS,
        )
        .expect("compiles")
    }

    /// A chain of `depth` rules, each calling the next: `decision` → r0 → … → r{depth-1}.
    fn chain(depth: usize) -> String {
        let mut src = String::from(
            "package toolwall\nimport rego.v1\ndecision := {\"allow\": r0 > input.x}\n",
        );
        for i in 0..depth - 1 {
            src.push_str(&format!("r{i} := y if {{ y := r{} + 1 }}\n", i + 1));
        }
        src.push_str(&format!("r{} := 1\n", depth - 1));
        src
    }

    fn repo(dir: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
    }

    #[test]
    fn the_example_policy_runs_to_completion() {
        let p = PolicySet::load(&repo("policies"), DEFAULT_MAX_INSTRUCTIONS).expect("loads");
        assert!(p.runs_to_completion());
        assert_eq!(
            native_depth(&p.program),
            Ok(3),
            "decision → deny_reasons → threshold"
        );
    }

    #[test]
    fn a_rule_that_can_call_itself_stays_suspendable() {
        for src in [
            // itself, through a data reference the compiler resolves to a rule call
            "package toolwall\nimport rego.v1\nt := data.toolwall.t if { data.toolwall.t } else := 10\ndecision := {\"allow\": input.x < t}\n",
            // two rules calling each other
            "package toolwall\nimport rego.v1\na := b if input.x\nb := a if input.y\ndecision := {\"allow\": a == 1}\n",
        ] {
            let Ok(p) = PolicySet::compile(
                Path::new("policies"),
                &[("policies/t.rego".to_string(), src.to_string())],
                None,
                DEFAULT_MAX_INSTRUCTIONS,
            ) else {
                continue; // refused at compile time: as safe
            };
            assert!(!p.runs_to_completion(), "{src}");
            assert!(
                native_depth(&p.program)
                    .expect_err("cyclic")
                    .contains("call itself"),
                "{src}"
            );
            // and the decision is an error, not an abort of the process
            assert!(p.decide(&json!({"x": 1, "y": true})).is_err(), "{src}");
        }
    }

    #[test]
    fn a_reference_that_picks_its_rule_at_run_time_stays_suspendable() {
        let p = PolicySet::compile(
            Path::new("policies"),
            &[
                (
                    "policies/limits.rego".to_string(),
                    "package limits\nimport rego.v1\nsmall := 1\nlarge := 100\n".to_string(),
                ),
                (
                    "policies/t.rego".to_string(),
                    "package toolwall\nimport rego.v1\ndecision := {\"allow\": input.x <= data.limits[input.k]}\n"
                        .to_string(),
                ),
            ],
            None,
            DEFAULT_MAX_INSTRUCTIONS,
        )
        .expect("compiles");
        assert!(p.program.needs_runtime_recursion_check);
        assert!(!p.runs_to_completion());
        assert!(
            p.decide(&json!({"k": "large", "x": 5}))
                .expect("decides")
                .allow
        );
        assert!(
            !p.decide(&json!({"k": "small", "x": 5}))
                .expect("decides")
                .allow
        );
    }

    #[test]
    fn deep_chains_stay_suspendable_and_the_deepest_native_one_fits_a_small_stack() {
        // `decision` plus MAX_RULE_DEPTH - 1 rules below it: MAX_RULE_DEPTH nested calls
        let deepest = set(&chain(MAX_RULE_DEPTH - 1));
        assert!(deepest.runs_to_completion());
        assert_eq!(native_depth(&deepest.program), Ok(MAX_RULE_DEPTH));
        let deeper = set(&chain(MAX_RULE_DEPTH));
        assert!(!deeper.runs_to_completion());
        assert!(deeper.decide(&json!({"x": 0})).expect("decides").allow);
        // a quarter of a Tokio worker's stack
        let on_small_stack = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || deepest.decide(&json!({"x": 0})).map(|d| d.allow))
            .expect("thread")
            .join()
            .expect("no overflow");
        assert!(on_small_stack.expect("decides"));
    }

    /// What `decide` gives for `input`, as comparable text (an error's message included).
    fn outcome(p: &PolicySet, input: &J) -> String {
        match p.decide(input) {
            Ok(d) => format!("{d:?}"),
            Err(e) => format!("error: {e}"),
        }
    }

    /// Inputs touching what the repository's policies read (the example, the library, the
    /// examples' and the Helm chart's), spread by a fixed pseudo-random walk.
    fn inputs(n: usize) -> Vec<J> {
        let tools = [
            "payments.create_refund",
            "stripe.create_refund",
            "stripe.retrieve_charge",
            "github.create_deployment",
            "github.delete_repo",
            "github.list_issues",
            "zendesk.export_tickets",
            "inventory.get_item",
            "crm.refund",
            "crm.send_email",
            "crm.lookup_customer",
            "crm.resources/read",
            "crm.admin_reset",
        ];
        let risks = [
            json!({}),
            json!({"financial": true, "amount_arg": "amount"}),
            json!({"reversible": false}),
            json!({"data_class": "pii"}),
            json!({"financial": "yes"}),
        ];
        let tenants = [json!("acme_co"), json!("globex"), json!(null)];
        let args = [
            json!({"amount": 4200, "tenant": "acme_co"}),
            json!({"amount": 250000, "tenant": "globex"}),
            json!({"amount": 12000}),
            json!({"q": "tenant:globex", "to": "a@b.c", "uri": "crm://customers/secret/1"}),
            json!({"to": "ops@acme.test", "uri": "crm://customers/1", "amount": 900}),
            json!({"production_environment": true, "customer": "cus_OkGx83LmQp2Rz1"}),
            json!({"amount": "12", "tenant_id": 360009876543u64}),
            json!({}),
        ];
        let pii = [json!([]), json!(["email"]), json!(["us_ssn", "email"])];
        let times = [
            ("2026-12-04T10:00:00Z", "Fri", 10),
            ("2026-12-05T23:00:00Z", "Sat", 23),
            ("2026-12-07T03:00:00Z", "Mon", 3),
        ];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut pick = |len: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % len as u64) as usize
        };
        (0..n)
            .map(|_| {
                let (rfc, weekday, hour) = times[pick(times.len())];
                let spent = [0.5, 30.0][pick(2)];
                let mut doc = json!({
                    "v": 1,
                    "principal": {"agent": "a", "tenant": tenants[pick(tenants.len())], "claims": {}},
                    "tool": {"name": tools[pick(tools.len())], "adapter": "x", "kind": "http",
                             "read_only": pick(2) == 0, "risk": risks[pick(risks.len())]},
                    "args": args[pick(args.len())],
                    "pii": {"found": pii[pick(pii.len())]},
                    "now": {"rfc3339": rfc, "unix": 1, "weekday": weekday, "hour_utc": hour},
                    "usage": {"run_spent_usd": spent},
                    "request": {"method": "POST", "host": "h", "path": "/",
                                "headers": {"stripe-account": "acct_1PzR8kGlBx7RkT3m"}},
                    "mode": "enforce",
                });
                if pick(3) == 0 {
                    doc["approval"] = json!({"approved": true});
                }
                doc
            })
            .collect()
    }

    #[test]
    fn both_modes_decide_the_repository_policies_alike() {
        let docs = inputs(400);
        for dir in [
            "policies",
            "policies/library",
            "examples/compose/policies",
            "examples/mcp/policies",
            "helm/toolwall/files/policies",
        ] {
            let chosen = PolicySet::load(&repo(dir), DEFAULT_MAX_INSTRUCTIONS).expect("loads");
            let mut other = PolicySet::load(&repo(dir), DEFAULT_MAX_INSTRUCTIONS).expect("loads");
            other.mode = ExecutionMode::Suspendable;
            // every policy in the repository runs natively (the library nests 7 deep)
            assert!(chosen.runs_to_completion(), "{dir}");
            let mut kinds = std::collections::BTreeSet::new();
            for doc in &docs {
                let a = outcome(&chosen, doc);
                assert_eq!(a, outcome(&other, doc), "{dir}: {doc}");
                kinds.insert(a);
            }
            // the inputs reach more than one outcome of every policy
            assert!(kinds.len() > 1, "{dir}: {kinds:?}");
        }
    }
}
