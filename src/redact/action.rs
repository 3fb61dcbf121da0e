//! What happens to a finding: the `Action` per entity (`ActionPlan`) and how each action
//! renders its replacement text (`[EMAIL]`, `[EMAIL:…hmac…]`, `[CREDIT_CARD ****4242]`).

use super::entity::{expand_entity_group, Entity};
use super::RedactError;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::str::FromStr;

/// What to do with one finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Report only; the value stays as it is.
    Keep,
    /// Replace with `[ENTITY]`.
    Mask,
    /// Replace with `[ENTITY:<16 hex>]`, an HMAC-SHA256 of the normalised value, so the same
    /// value always gives the same token (joins still work) and cannot be reversed without the key.
    Hash,
    /// Replace with `[ENTITY ****1234]`, keeping the last 4 characters of the normalised value
    /// (digits for cards/phones/SSNs, `@domain` for emails); values shorter than 8 are masked.
    Partial,
    /// Remove the JSON object member holding the value (array elements become `null`); in
    /// text, remove the matched span.
    Drop,
    /// Mask, and refuse the call (`Redacted::deny`).
    Deny,
}

impl Action {
    /// Lower-case wire name.
    pub fn name(self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Mask => "mask",
            Action::Hash => "hash",
            Action::Partial => "partial",
            Action::Drop => "drop",
            Action::Deny => "deny",
        }
    }
}

impl FromStr for Action {
    type Err = RedactError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "keep" | "report" => Ok(Action::Keep),
            "mask" | "redact" => Ok(Action::Mask),
            "hash" => Ok(Action::Hash),
            "partial" | "last4" => Ok(Action::Partial),
            "drop" => Ok(Action::Drop),
            "deny" => Ok(Action::Deny),
            _ => Err(RedactError::UnknownAction(s.to_string())),
        }
    }
}

/// Per entity, the action to take; entities without one are reported (`keep`) but untouched.
/// A plan's `Mask` means "redact the configured way": if `RedactConfig::actions` sets another
/// action for that entity, that one is used. Explicit hash/partial/drop/deny in a plan win.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionPlan {
    actions: [Option<Action>; Entity::COUNT],
}

impl Default for ActionPlan {
    fn default() -> Self {
        ActionPlan::none()
    }
}

impl ActionPlan {
    /// Report everything, change nothing.
    pub fn none() -> Self {
        ActionPlan {
            actions: [None; Entity::COUNT],
        }
    }

    /// Redact every entity (with the configured per-entity actions, mask by default).
    pub fn mask_all() -> Self {
        ActionPlan {
            actions: [Some(Action::Mask); Entity::COUNT],
        }
    }

    /// From a policy's `redact` list: entity names or aliases (`email`, `card`, `ssn`, `ip`,
    /// `secrets`, `pii`, `all`), each optionally with `:action` (`email:hash`).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Self, RedactError> {
        let mut plan = ActionPlan::none();
        for raw in names {
            let raw = raw.as_ref();
            let (name, action) = match raw.split_once(':') {
                Some((n, a)) => (n, a.parse()?),
                None => (raw, Action::Mask),
            };
            for e in expand_entity_group(name)? {
                plan.actions[e.index()] = Some(action);
            }
        }
        Ok(plan)
    }

    /// Sets one entity's action.
    pub fn with(mut self, entity: Entity, action: Action) -> Self {
        self.actions[entity.index()] = Some(action);
        self
    }

    /// Add `other`'s actions: an entity this plan leaves alone (or only reports) takes
    /// `other`'s action; `deny` always wins. A stream's later decisions add to what it redacts.
    pub fn merge(&mut self, other: &ActionPlan) {
        for (mine, theirs) in self.actions.iter_mut().zip(other.actions.iter()) {
            match (*mine, *theirs) {
                (_, None) => {}
                (None | Some(Action::Keep), t) | (_, t @ Some(Action::Deny)) => *mine = t,
                (Some(_), Some(_)) => {}
            }
        }
    }

    /// The action for an entity, if the plan has one.
    pub fn get(&self, entity: Entity) -> Option<Action> {
        self.actions[entity.index()]
    }
}

/// Keyed HMAC for the `hash` action.
#[derive(Clone)]
pub(crate) struct Hasher {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hasher(..)")
    }
}

impl Hasher {
    pub(crate) fn new(key: &[u8]) -> Result<Self, RedactError> {
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| RedactError::MissingHmacKey)?;
        Ok(Hasher { mac })
    }

    fn token(&self, entity: Entity, normalized: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(entity.name().as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        let out = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(16);
        for b in out.iter().take(8) {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 15)]));
        }
        hex
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The canonical form hashed and shown by `partial`: digits for numbers, upper-case
/// alphanumerics for IBANs, lower case for emails, the text itself otherwise.
pub(crate) fn normalize(entity: Entity, value: &str) -> String {
    match entity {
        Entity::CreditCard | Entity::UsSsn | Entity::Phone => {
            value.chars().filter(char::is_ascii_digit).collect()
        }
        Entity::Iban => value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase())
            .collect(),
        Entity::Email => value.to_lowercase(),
        _ => value.to_string(),
    }
}

/// The replacement text for a value under an action (`Drop` renders as empty text).
pub(crate) fn render(
    entity: Entity,
    value: &str,
    action: Action,
    hasher: Option<&Hasher>,
) -> String {
    let mut out = String::new();
    render_into(&mut out, entity, value, action, hasher);
    out
}

/// `render`, appending to `out` (no allocation for the common `mask`).
pub(crate) fn render_into(
    out: &mut String,
    entity: Entity,
    value: &str,
    action: Action,
    hasher: Option<&Hasher>,
) {
    let mask = |out: &mut String| {
        out.push('[');
        out.push_str(entity.name());
        out.push(']');
    };
    match action {
        Action::Keep => out.push_str(value),
        Action::Drop => {}
        Action::Mask | Action::Deny => mask(out),
        Action::Hash => match hasher {
            Some(h) => {
                out.push('[');
                out.push_str(entity.name());
                out.push(':');
                out.push_str(&h.token(entity, &normalize(entity, value)));
                out.push(']');
            }
            None => mask(out),
        },
        Action::Partial => {
            let norm = normalize(entity, value);
            let shown = if entity == Entity::Email {
                norm.rfind('@').map(|at| &norm[at..])
            } else {
                let n = norm.chars().count();
                (n >= 8).then(|| {
                    let skip = norm.char_indices().nth(n - 4).map_or(0, |(i, _)| i);
                    &norm[skip..]
                })
            };
            match shown {
                Some(tail) => {
                    out.push('[');
                    out.push_str(entity.name());
                    out.push_str(" ****");
                    out.push_str(tail);
                    out.push(']');
                }
                None => mask(out),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        let p = ActionPlan::from_names(&["email", "card:partial", "ip"]).unwrap_or_default();
        assert_eq!(p.get(Entity::Email), Some(Action::Mask));
        assert_eq!(p.get(Entity::CreditCard), Some(Action::Partial));
        assert_eq!(p.get(Entity::Ipv6), Some(Action::Mask));
        assert_eq!(p.get(Entity::Phone), None);
        assert!(ActionPlan::from_names(&["bogus"]).is_err());
        assert!(ActionPlan::from_names(&["email:explode"]).is_err());
        assert_eq!(ActionPlan::mask_all().get(Entity::Jwt), Some(Action::Mask));
    }

    #[test]
    fn renders() {
        let h = Hasher::new(b"k").ok();
        let h = h.as_ref();
        assert_eq!(render(Entity::Email, "a@b.com", Action::Mask, h), "[EMAIL]");
        assert_eq!(
            render(
                Entity::CreditCard,
                "4242 4242 4242 4242",
                Action::Partial,
                h
            ),
            "[CREDIT_CARD ****4242]"
        );
        assert_eq!(
            render(Entity::Email, "Jo@Example.com", Action::Partial, h),
            "[EMAIL ****@example.com]"
        );
        assert_eq!(
            render(Entity::UsSsn, "536-22-1234", Action::Partial, h),
            "[US_SSN ****1234]"
        );
        let a = render(Entity::Email, "Jo@Example.com", Action::Hash, h);
        let b = render(Entity::Email, "jo@example.com", Action::Hash, h);
        assert_eq!(a, b, "hash is over the normalised value");
        assert_eq!(a.len(), "[EMAIL:]".len() + 16);
        let c = render(Entity::Email, "jo@example.org", Action::Hash, h);
        assert_ne!(a, c);
        assert_eq!(render(Entity::Phone, "123", Action::Drop, h), "");
    }
}
