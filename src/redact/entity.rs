//! The closed set of entity types the engine detects, with their wire names.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One kind of PII or secret. The wire name (`EMAIL`, `CREDIT_CARD`, …) is what findings,
/// metrics labels, masks and config use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Entity {
    Email,
    Phone,
    CreditCard,
    UsSsn,
    Iban,
    Ipv4,
    Ipv6,
    DateOfBirth,
    AwsAccessKey,
    GithubToken,
    SlackToken,
    StripeKey,
    OpenaiKey,
    AnthropicKey,
    GoogleApiKey,
    Jwt,
    PrivateKey,
    Password,
    GenericSecret,
}

impl Entity {
    /// Every entity, in a fixed order (the index is `Entity::index`).
    pub const ALL: [Entity; 19] = [
        Entity::Email,
        Entity::Phone,
        Entity::CreditCard,
        Entity::UsSsn,
        Entity::Iban,
        Entity::Ipv4,
        Entity::Ipv6,
        Entity::DateOfBirth,
        Entity::AwsAccessKey,
        Entity::GithubToken,
        Entity::SlackToken,
        Entity::StripeKey,
        Entity::OpenaiKey,
        Entity::AnthropicKey,
        Entity::GoogleApiKey,
        Entity::Jwt,
        Entity::PrivateKey,
        Entity::Password,
        Entity::GenericSecret,
    ];

    /// Number of entities (size of per-entity tables).
    pub const COUNT: usize = Entity::ALL.len();

    /// Position in `Entity::ALL`.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Wire name: `EMAIL`, `CREDIT_CARD`, …
    pub fn name(self) -> &'static str {
        match self {
            Entity::Email => "EMAIL",
            Entity::Phone => "PHONE",
            Entity::CreditCard => "CREDIT_CARD",
            Entity::UsSsn => "US_SSN",
            Entity::Iban => "IBAN",
            Entity::Ipv4 => "IPV4",
            Entity::Ipv6 => "IPV6",
            Entity::DateOfBirth => "DATE_OF_BIRTH",
            Entity::AwsAccessKey => "AWS_ACCESS_KEY",
            Entity::GithubToken => "GITHUB_TOKEN",
            Entity::SlackToken => "SLACK_TOKEN",
            Entity::StripeKey => "STRIPE_KEY",
            Entity::OpenaiKey => "OPENAI_KEY",
            Entity::AnthropicKey => "ANTHROPIC_KEY",
            Entity::GoogleApiKey => "GOOGLE_API_KEY",
            Entity::Jwt => "JWT",
            Entity::PrivateKey => "PRIVATE_KEY",
            Entity::Password => "PASSWORD",
            Entity::GenericSecret => "GENERIC_SECRET",
        }
    }

    /// True for secrets (credentials), false for personal data.
    pub fn is_secret(self) -> bool {
        self.index() >= Entity::AwsAccessKey.index()
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Entity {
    type Err = super::RedactError;

    /// Accepts wire names in any case plus the short aliases policies use
    /// (`card`, `ssn`, `ip`, `dob`, `secret`, …).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm = s.trim().to_ascii_uppercase().replace('-', "_");
        let alias = match norm.as_str() {
            "CARD" | "CC" | "PAN" => Some(Entity::CreditCard),
            "SSN" => Some(Entity::UsSsn),
            "DOB" | "BIRTH_DATE" => Some(Entity::DateOfBirth),
            "AWS_KEY" | "AWS" => Some(Entity::AwsAccessKey),
            "GITHUB" => Some(Entity::GithubToken),
            "SLACK" => Some(Entity::SlackToken),
            "STRIPE" => Some(Entity::StripeKey),
            "OPENAI" => Some(Entity::OpenaiKey),
            "ANTHROPIC" => Some(Entity::AnthropicKey),
            "GOOGLE" | "GOOGLE_KEY" => Some(Entity::GoogleApiKey),
            "SECRET" => Some(Entity::GenericSecret),
            _ => None,
        };
        if let Some(e) = alias {
            return Ok(e);
        }
        Entity::ALL
            .iter()
            .copied()
            .find(|e| e.name() == norm)
            .ok_or_else(|| super::RedactError::UnknownEntity(s.to_string()))
    }
}

/// Expands group names used in policies: `ip` → IPv4 + IPv6, `secrets` → every secret,
/// `pii` → every non-secret. Anything else is one entity.
pub fn expand_entity_group(name: &str) -> Result<Vec<Entity>, super::RedactError> {
    let norm = name.trim().to_ascii_lowercase();
    Ok(match norm.as_str() {
        "ip" | "ip_address" => vec![Entity::Ipv4, Entity::Ipv6],
        "secrets" => Entity::ALL
            .iter()
            .copied()
            .filter(|e| e.is_secret())
            .collect(),
        "pii" => Entity::ALL
            .iter()
            .copied()
            .filter(|e| !e.is_secret())
            .collect(),
        "all" | "*" => Entity::ALL.to_vec(),
        _ => vec![name.parse()?],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (i, e) in Entity::ALL.iter().enumerate() {
            assert_eq!(e.index(), i);
            assert_eq!(e.name().parse::<Entity>().ok(), Some(*e));
            let json = serde_json::to_string(e).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", e.name()));
        }
    }

    #[test]
    fn aliases_and_groups() {
        assert_eq!("card".parse::<Entity>().ok(), Some(Entity::CreditCard));
        assert_eq!("email".parse::<Entity>().ok(), Some(Entity::Email));
        assert_eq!("us-ssn".parse::<Entity>().ok(), Some(Entity::UsSsn));
        assert!("nope".parse::<Entity>().is_err());
        assert_eq!(expand_entity_group("ip").unwrap_or_default().len(), 2);
        assert!(expand_entity_group("secrets")
            .unwrap_or_default()
            .contains(&Entity::Jwt));
    }
}
