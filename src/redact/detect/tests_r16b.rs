//! The sixteenth round's rules for passwords and secrets in free text (issue #20, part B):
//! each with the look-alikes it must leave alone.

use super::tests_support::{found, found_all, hits};
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

#[test]
fn xml_password_elements() {
    for (text, want) in [
        (
            "<UserAccounts><AdministratorPassword><Value>LIG645_cSpzF</Value><PlainText>true</PlainText></AdministratorPassword>",
            vec!["LIG645_cSpzF"],
        ),
        (
            "<AutoLogon><Username>svc_deploy</Username><Password><Value>BER150.hWayv</Value></Password></AutoLogon>\n  <RegisteredOrganization>Talleres</RegisteredOrganization>",
            vec!["BER150.hWayv"],
        ),
        ("<password>Tr0ub4dor&amp;3x</password>", vec!["Tr0ub4dor&amp;3x"]),
    ] {
        assert_eq!(found(text, Entity::Password), want, "{text}");
    }
    // Look-alikes: a closing tag, unattend's configuration passes, an element of another
    // name ending in `pass`, a placeholder, an empty element.
    for text in [
        "<unattend xmlns=\"urn:schemas-microsoft-com:unattend\">\n <settings pass=\"oobeSystem\"><component name=\"Microsoft-Windows-Shell-Setup\">",
        "<settings pass=\"specialize\">\n",
        "</Value></Password></AutoLogon>\n  <RegisteredOrganization>Talleres</RegisteredOrganization>",
        "<bypass>Proxy7Host-22</bypass>",
        "<Compass>Nord-West42</Compass>",
        "<Password><Value>${ADMIN_PW}</Value></Password>",
        "<Password></Password>\n<Name>x</Name>",
        "<AdministratorPassword><Value></Value><PlainText>false</PlainText>",
    ] {
        assert!(found(text, Entity::Password).is_empty(), "{text}: {:?}", hits(text));
    }
}

#[test]
fn tokens_where_a_password_goes() {
    for (text, want) in [
        (
            "$ cat ~/.git-credentials\nhttps://oauth2:glpat-JJCoFSA4EFNGwNIe7MUF@gitlab.corp.example\n",
            "glpat-JJCoFSA4EFNGwNIe7MUF",
        ),
        (
            "git clone https://gitlab-ci-token:8e70ef8651b0102ca1f4659cc662d83f@gitlab.example.com/g/p.git\n",
            "8e70ef8651b0102ca1f4659cc662d83f",
        ),
        (
            "    basicAuth: true\n    basicAuthUser: 854420\n    secureJsonData:\n      basicAuthPassword: glc_ONd9WDDhhSpVirOUf-BZYkfMfmO4J7OObNICMcJa1Edvh4MIzXmpKs4gIcZG\n",
            "glc_ONd9WDDhhSpVirOUf-BZYkfMfmO4J7OObNICMcJa1Edvh4MIzXmpKs4gIcZG",
        ),
    ] {
        assert_eq!(found(text, Entity::GenericSecret), vec![want], "{text}");
        assert!(found(text, Entity::Password).is_empty(), "{text}");
    }
    // A person's password in a URL or a field stays a password, `glc` words too.
    for (text, want) in [
        (
            "DATABASE_URL=postgres://app:7cl_97r_2L8uNitB@db.internal:5432/app\n",
            "7cl_97r_2L8uNitB",
        ),
        ("password: glc_Summer2024!\n", "glc_Summer2024!"),
        (
            "https://oauth:Tr0ub4dor-x9@legacy.example.com/\n",
            "Tr0ub4dor-x9",
        ),
    ] {
        assert_eq!(found(text, Entity::Password), vec![want], "{text}");
    }
}
