//! The sixteenth round's rules for passwords and secrets in free text (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::{found, found_all};
use super::*;

#[test]
fn short_sk_tokens_are_no_openai_keys() {
    // LiteLLM's proxy key (`sk-` and 22 bytes): a GENERIC_SECRET by its key's name.
    let text = "general_settings:\n  master_key: sk-sB83gFmUmDc6eQidUusR8f\n  database_url: postgresql://db/litellm\n";
    assert!(found_all(text, Entity::OpenaiKey).is_empty(), "{text}");
    assert_eq!(
        found(text, Entity::GenericSecret),
        vec!["sk-sB83gFmUmDc6eQidUusR8f"]
    );
    // OpenAI's own keys stay theirs: 48 bytes after `sk-`, or a project's key.
    for text in [
        "OPENAI_API_KEY=sk-Q7fV2mX9kL4pR8tZ1wB6yN3cJ5hD0gS2aE7uI9oP4lK8jH6v\n",
        "export OPENAI_API_KEY=sk-proj-abc123DEF456ghi789JKL012\n",
        "master_key: sk-Q7fV2mX9kL4pR8tZ1wB6yN3cJ5hD0gS2aE7uI9oP4lK8jH6v\n",
    ] {
        assert_eq!(found(text, Entity::OpenaiKey).len(), 1, "{text}");
        assert!(found(text, Entity::GenericSecret).is_empty(), "{text}");
    }
    // A short `sk-` word with no key's name before it is nothing.
    for text in [
        "see sk-learn docs for sk-Xw9LmQ2rT5vB8nK1pZ4cF7 samples\n",
        "the sku sk-2024-winter-collection-red is out\n",
    ] {
        assert!(found_all(text, Entity::OpenaiKey).is_empty(), "{text}");
    }
}
