//! `limits:` and `kill:` compiled: rate rules (GCRA quotas), spend rules, config kill
//! switches and the budget day's zone. The limits stage enforces the [`LimitsSpec`].

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, Offset, Utc};
use governor::clock::Clock as GovernorClock;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use super::error::{AtPath, ConfigError};
use super::raw::{OnExceed, RateKey, RawConfig, RawKill, RawLimits, SpendScope};
use super::spans::Located;
use crate::diag::Diag;
use crate::state::{micros, Clock};

/// One compiled rate rule.
#[derive(Debug, Clone)]
pub struct RateRule {
    pub keys: Vec<RateKey>,
    pub tool_glob: Option<String>,
    pub quota: Quota,
    /// Identifies the bucket set across reloads: same rule text, same buckets.
    pub fingerprint: String,
    /// The buckets, once looked up by the limits stage (no lock on the hot path after the
    /// first call).
    pub bucket: BucketCell,
}

/// `(Limiters id, buckets)` resolved for one rule of one snapshot.
#[derive(Clone, Default)]
pub struct BucketCell(std::sync::OnceLock<(u64, Arc<KeyedLimiter>)>);

impl BucketCell {
    /// The buckets resolved for the `Limiters` with id `limiters`, if any.
    pub fn get(&self, limiters: u64) -> Option<Arc<KeyedLimiter>> {
        match self.0.get() {
            Some((id, b)) if *id == limiters => Some(b.clone()),
            _ => None,
        }
    }

    /// Remember the buckets of the `Limiters` with id `limiters` (the first one set stays).
    pub fn set(&self, limiters: u64, buckets: Arc<KeyedLimiter>) {
        let _ = self.0.set((limiters, buckets));
    }
}

impl std::fmt::Debug for BucketCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "BucketCell(set)"
        } else {
            "BucketCell(unset)"
        })
    }
}

/// One compiled spend rule.
#[derive(Debug, Clone)]
pub struct SpendRule {
    pub scope: SpendScope,
    pub limit: i64,
    pub on_exceed: OnExceed,
    pub tenant: Option<String>,
    pub agent: Option<String>,
}

/// Everything the limits stage needs from config.
#[derive(Debug, Clone)]
pub struct LimitsSpec {
    pub rate: Vec<RateRule>,
    pub spend: Vec<SpendRule>,
    /// Kill switches from config (`all`, `tenant:x`, …): always on while listed.
    pub kill: Vec<String>,
    /// Where budget days start (UTC by default).
    pub day_offset: BudgetZone,
}

/// The clock budget days follow: a fixed UTC offset or an IANA time zone (with its DST).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BudgetZone {
    Fixed(FixedOffset),
    Named(chrono_tz::Tz),
}

impl LimitsSpec {
    /// Whether a spend limit may send a call to a human (`on_exceed: require_approval`).
    pub fn may_need_approval(&self) -> bool {
        self.spend
            .iter()
            .any(|r| r.on_exceed == super::raw::OnExceed::RequireApproval)
    }
}

impl Default for LimitsSpec {
    fn default() -> Self {
        LimitsSpec {
            rate: Vec::new(),
            spend: Vec::new(),
            kill: Vec::new(),
            day_offset: BudgetZone::Fixed(Utc.fix()),
        }
    }
}

/// `+HH:MM` / `-HH:MM` → a fixed offset.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

impl LimitsSpec {
    /// Compile the `limits` and `kill` sections; each error is at what it is about (a rate or
    /// spend rule, `burst`, `day_utc_offset`, `time_zone`).
    pub fn compile(raw: &RawLimits, kill: &RawKill) -> Result<LimitsSpec, Vec<AtPath>> {
        let mut errors = Vec::new();
        let mut rate = Vec::new();
        for (i, r) in raw.rate.iter().enumerate() {
            let rule = format!("limits.rate[{i}]");
            let per: Vec<(f64, Duration)> = [
                (r.per_second, Duration::from_secs(1)),
                (r.per_minute, Duration::from_secs(60)),
                (r.per_hour, Duration::from_secs(3600)),
            ]
            .into_iter()
            .filter_map(|(n, d)| n.map(|n| (n, d)))
            .collect();
            let [(n, unit)] = per[..] else {
                errors.push(ConfigError::RateOneOf(i).at(rule));
                continue;
            };
            if !(n.is_finite() && n > 0.0) {
                errors.push(ConfigError::RateNotPositive(i).at(rule));
                continue;
            }
            let burst = r.burst.unwrap_or_else(|| (n.ceil() as u32).max(1));
            let (Some(burst), Some(quota)) =
                (NonZeroU32::new(burst), Quota::with_period(unit.div_f64(n)))
            else {
                let at = if r.burst == Some(0) {
                    format!("{rule}.burst")
                } else {
                    rule
                };
                errors.push(ConfigError::RateBurst(i).at(at));
                continue;
            };
            let keys = r
                .key
                .clone()
                .unwrap_or_else(|| vec![RateKey::Tenant, RateKey::Agent, RateKey::Tool]);
            let quota = quota.allow_burst(burst);
            let fingerprint = format!(
                "{keys:?}|{:?}|{:?}|{}",
                r.tool,
                quota.replenish_interval(),
                burst
            );
            rate.push(RateRule {
                keys,
                tool_glob: r.tool.clone(),
                quota,
                fingerprint,
                bucket: BucketCell::default(),
            });
        }
        let mut spend = Vec::new();
        for (i, s) in raw.spend.iter().enumerate() {
            if !(s.max_usd.is_finite() && s.max_usd >= 0.0) {
                errors.push(
                    ConfigError::SpendMaxUsd {
                        rule: i,
                        value: s.max_usd,
                    }
                    .at(format!("limits.spend[{i}]")),
                );
                continue;
            }
            spend.push(SpendRule {
                scope: s.scope,
                limit: micros(s.max_usd),
                on_exceed: s.on_exceed,
                tenant: s.tenant.clone(),
                agent: s.agent.clone(),
            });
        }
        let mut k = Vec::new();
        if kill.all {
            k.push("all".to_string());
        }
        for (prefix, list) in [
            ("tenant", &kill.tenants),
            ("agent", &kill.agents),
            ("tool", &kill.tools),
            ("workflow", &kill.workflows),
        ] {
            k.extend(list.iter().map(|v| format!("{prefix}:{v}")));
        }
        let day_offset = match (&raw.day_utc_offset, &raw.time_zone) {
            (Some(_), Some(_)) => {
                errors.push(ConfigError::ZoneAndOffset.at("limits.time_zone"));
                BudgetZone::Fixed(Utc.fix())
            }
            (None, None) => BudgetZone::Fixed(Utc.fix()),
            (Some(s), None) => BudgetZone::Fixed(parse_offset(s).unwrap_or_else(|| {
                errors.push(ConfigError::DayOffset(s.clone()).at("limits.day_utc_offset"));
                Utc.fix()
            })),
            (None, Some(name)) => match name.parse::<chrono_tz::Tz>() {
                Ok(tz) => BudgetZone::Named(tz),
                Err(_) => {
                    errors.push(ConfigError::TimeZone(name.clone()).at("limits.time_zone"));
                    BudgetZone::Fixed(Utc.fix())
                }
            },
        };
        if errors.is_empty() {
            Ok(LimitsSpec {
                rate,
                spend,
                kill: k,
                day_offset,
            })
        } else {
            Err(errors)
        }
    }
}

/// `governor` time from our `Clock`, so tests move rate limits with a fake clock.
#[derive(Debug, Clone)]
pub struct LimiterClock(pub Arc<dyn Clock>);

impl GovernorClock for LimiterClock {
    type Instant = Duration;
    fn now(&self) -> Duration {
        self.0.monotonic()
    }
}

/// The buckets of one rate rule, keyed by the rule's key (tenant, agent, tool, …).
pub type KeyedLimiter = RateLimiter<
    String,
    DashMapStateStore<String>,
    LimiterClock,
    governor::middleware::NoOpMiddleware<Duration>,
>;

/// `limits:` and `kill:` compiled, errors at their values.
pub fn compile_section(
    src: &Located,
    raw: &RawConfig,
    diags: &mut Vec<Diag>,
) -> Option<LimitsSpec> {
    match LimitsSpec::compile(&raw.limits, &raw.kill) {
        Ok(l) => Some(l),
        Err(errs) => {
            diags.extend(errs.into_iter().map(|e| src.diag(e)));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::{RawRateLimit, RawSpendLimit};

    #[test]
    fn errors_are_typed_and_name_the_path_of_their_value() {
        let rate = |per_second, burst| RawRateLimit {
            key: None,
            tool: None,
            per_second,
            per_minute: None,
            per_hour: None,
            burst,
        };
        let raw = RawLimits {
            rate: vec![
                rate(Some(1.0), None),
                rate(None, None),
                rate(Some(5.0), Some(0)),
            ],
            spend: vec![RawSpendLimit {
                scope: SpendScope::Run,
                max_usd: -1.0,
                on_exceed: OnExceed::Deny,
                tenant: None,
                agent: None,
            }],
            day_utc_offset: Some("noon".into()),
            time_zone: None,
        };
        let errs = LimitsSpec::compile(&raw, &RawKill::default()).expect_err("invalid");
        let paths: Vec<&str> = errs.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "limits.rate[1]",
                "limits.rate[2].burst",
                "limits.spend[0]",
                "limits.day_utc_offset"
            ]
        );
        assert!(matches!(errs[0].error, ConfigError::RateOneOf(1)));
        assert!(matches!(errs[1].error, ConfigError::RateBurst(2)));
        assert!(
            matches!(errs[2].error, ConfigError::SpendMaxUsd { rule: 0, value } if value == -1.0)
        );
        assert!(matches!(errs[3].error, ConfigError::DayOffset(ref s) if s == "noon"));
        assert_eq!(
            errs[2].to_string(),
            "limits.spend[0]: max_usd must be a number ≥ 0, not -1"
        );
    }
}
