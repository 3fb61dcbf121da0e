#!/usr/bin/env python3
"""Thirty-sixth round, task gs: blind35's GENERIC_SECRET misses and false positives by
construction, counted on every training split (blind35 new to training this round).

usage: gs_r36_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups:
  pk-stripe     a Stripe publishable key `pk_live_…` / `pk_test_…` (any context);
  haproxy       HAProxy's `http-request set-header X-Api-Key VALUE` (also `add-header`);
  plist-secret  a plist `<key>NAME</key><string>VALUE</string>` whose NAME ends in a secret
                word (TOKEN, KEY, SECRET, PASSWORD, …);
  plist-any     any plist `<key>…</key><string>VALUE</string>`;
  tailscale     `tailscale up … --authkey[= ]VALUE` / `--auth-key`;
  b2            Backblaze `b2 account authorize KEYID APPKEY` / `b2 authorize-account …`: APPKEY;
  consul-tok    Consul's `tokens { initial_management|agent|replication|… = "…" }` values
                (`default` left out: Terraform's `variable { default = … }` shares it);
  consul-enc    Consul's `encrypt = "…"`;
  esphome       ESPHome's `api:` `encryption:` `key: "…"`;
  approle       a Vault AppRole `secret_id UUID` / `secret_id=UUID` / `secret_id: UUID`;
  kv-decoded    a Consul KV export's `"Value_decoded":"…"`;
  az-sp         `az login --service-principal … -p VALUE` (`--password`);
  pw-vendor     a vendor-prefixed token (lin_api_, ntn_, glpat-, shpat_, hf_, npm_, …) right
                after `PASSWORD=` / `password ` / `"password": "`;
  pw-b64-40     a 40+-byte base64 value right after `SMTP_PASSWORD=` or `.netrc` `password `;
  psk-file      `PSK file: VALUE`;
  vault-tag     Ansible's `!vault |` as a value;
  env-standin   Symfony's `env(NAME)` / Python's `%(name)s` (any context);
  sym-env       Symfony's `env(NAME)` alone (any context);
  py-fmt        Python's `%(name)s` (`%(name)d`, …) alone (any context);
  ssid          `ssid = "…"` (C/Arduino, any case);
  ssid-any      any value after a name ending in `ssid` and `:`/`=` (the `key=value` shape);
  authkey-any   any value of `--authkey`/`--auth-key` (`=` or a blank), any command;
  lin-ntn       a Linear `lin_api_…` or Notion `ntn_…` token, any context;
  az-quoted     `az login --service-principal … -p 'VALUE'` (quoted);
  liquibase     `liquibase.hub.apiKey=VALUE`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import regex_groups_main  # noqa: E402

V = rb"([^\s\"'<>,;]+)"
R = {
    "pk-stripe": re.compile(rb"(?<![A-Za-z0-9_-])(pk_(?:live|test)_[A-Za-z0-9]{8,})"),
    "haproxy": re.compile(rb"http-(?:request|response) (?:set|add)-header X-Api-Key \"?" + V),
    "plist-secret": re.compile(rb"(?i)<key>[^<]*(?:token|key|secret|password|passwd|pwd)</key>\s*<string>([^<]+)</string>"),
    "plist-any": re.compile(rb"<key>[^<]*</key>\s*<string>([^<]+)</string>"),
    "tailscale": re.compile(rb"tailscale up[^\n]*?--auth-?key[= ]['\"]?" + V),
    "b2": re.compile(rb"b2 (?:account authorize|authorize-account|authorize_account) +[0-9a-fA-F]{12,25} +['\"]?" + V),
    "consul-tok": re.compile(rb"(?m)^[ \t]*(?:initial_management|agent|agent_recovery|replication|master|agent_master)[ \t]*=[ \t]*\"([^\"]+)\""),
    "consul-enc": re.compile(rb"(?m)^[ \t]*encrypt[ \t]*=[ \t]*\"([^\"]+)\""),
    "esphome": re.compile(rb"encryption:[ \t]*\r?\n[ \t]+key:[ \t]*\"?([^\"\s]+)"),
    "approle": re.compile(rb"(?i)secret_id[\"']?[ \t]*[:= ][ \t]*[\"']?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"),
    "kv-decoded": re.compile(rb"\"Value_decoded\"[ \t]*:[ \t]*\"([^\"]+)\""),
    "az-sp": re.compile(rb"az login --service-principal[^\n]*? (?:-p|--password)[ =]['\"]?" + V),
    "pw-vendor": re.compile(rb"(?i)(?:password[\"']?[ \t]*[=:][ \t]*[\"']?|password )((?:lin_api_|ntn_|glpat-|shpat_|hf_|npm_|pypi-|dop_v1_|xoxb-|ghp_|sk_live_|SG\.|whsec_|hvs\.)[A-Za-z0-9_./+=-]{8,})"),
    "pw-b64-40": re.compile(rb"(?:SMTP_PASSWORD=|(?m:^)[ \t]*password )([A-Za-z0-9+/]{40,}={0,2})(?![A-Za-z0-9+/=])"),
    "psk-file": re.compile(rb"PSK file: " + V),
    "vault-tag": re.compile(rb"(!vault \|)"),
    "env-standin": re.compile(rb"(env\([A-Z_]+\)|%\([a-z_]+\)s)"),
    "sym-env": re.compile(rb"(?<![A-Za-z0-9_%])(env\([A-Za-z_][A-Za-z0-9_]*\))"),
    "py-fmt": re.compile(rb"(%\([A-Za-z_][A-Za-z0-9_]*\)[sd])"),
    "ssid": re.compile(rb"(?i)ssid\s*=\s*\"([^\"]+)\""),
    "ssid-any": re.compile(rb"(?i)ssid[\"']?\]?[ \t]*(?::=|=>|[:=>])[ \t]*[\"']?([^ \t\r\n\"'&,;<>\\]{3,})"),
    "authkey-any": re.compile(rb"(?i)--auth-?key[= ][\"']?([^\s\"']+)"),
    "lin-ntn": re.compile(rb"(?<![A-Za-z0-9_])((?:lin_api_|ntn_)[A-Za-z0-9]{20,})"),
    "az-quoted": re.compile(rb"az login --service-principal[^\n]*? -p '([^'\n]+)'"),
    "liquibase": re.compile(rb"liquibase\.hub\.apiKey[ \t]*[=:][ \t]*" + V),
}
def main():
    regex_groups_main(R)


if __name__ == "__main__":
    main()
