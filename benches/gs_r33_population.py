#!/usr/bin/env python3
"""Thirty-third round, task gs: blind32's GENERIC_SECRET misses by construction, counted on
every training split (blind32 new to training this round).

usage: gs_r33_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups:
  tskey       a Tailscale key `tskey-<kind>-<id>-<secret>` anywhere (Tailscale's key format);
  ya29        a Google OAuth 2.0 access token `ya29.` + token characters anywhere;
  slack-hook  the last path segment of `hooks.slack.com/services/T…/B…/SECRET` (Slack's
              incoming webhook URL);
  consul      the value of `encrypt = "…"` (Consul's gossip encryption key);
  encrypt-any any value after `encrypt` and `=`/`:` (the same, any value);
  tskey-kv    a `tskey-…` value after a name ending in `key` and `=`/`:`;
  sk-32       any `sk-` + 32 to 47 letters and digits (as long as an OpenAI key's minimum);
  litellm     the `sk-…` value of `master_key` (LiteLLM proxy config: the proxy's admin key,
              which LiteLLM requires to start with `sk-`), any case;
  cookiejar   the value column of a Netscape cookies.txt line (7 tab-separated fields);
  hasura      the `key` of a `{"type":"HS…","key":"…"}` JWT secret (Hasura);
  erlang      a value after `erlang cookie` / `.erlang.cookie`;
  azure-q     an Entra ID client secret `xxx8Q~…` (3 chars, a digit, `Q~`, 31 more);
  hash-csrf   a value after a `"csrf"` field in redis-cli HGETALL output.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import regex_groups_main  # noqa: E402

R = {
    "tskey": re.compile(rb"(?<![A-Za-z0-9_-])(tskey-[a-z]+-[A-Za-z0-9]+-[A-Za-z0-9]+)"),
    "ya29": re.compile(rb"(?<![A-Za-z0-9_.-])(ya29\.[A-Za-z0-9_-]{20,})"),
    "slack-hook": re.compile(rb"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/([A-Za-z0-9]+)"),
    "consul": re.compile(rb"(?m)^[ \t]*\"?encrypt\"?[ \t]*[=:][ \t]*\"([^\"\n]+)\""),
    "litellm": re.compile(rb"(?i)master_key[\"']?[ \t]*[:=][ \t]*[\"']?(sk-[A-Za-z0-9_-]+)"),
    "cookiejar": re.compile(rb"(?m)^[^\t\n]+\t(?:TRUE|FALSE)\t[^\t\n]+\t(?:TRUE|FALSE)\t\d+\t[^\t\n]+\t([^\t\n]+)$"),
    "encrypt-any": re.compile(rb"(?i)(?<![A-Za-z0-9_])encrypt[\"']?[ \t]*[=:][ \t]*[\"']?([^\"'\s,}]+)"),
    "tskey-kv": re.compile(rb"(?i)key[\"']?[ \t]*[=:][ \t]*[\"']?(tskey-[A-Za-z0-9-]+)"),
    "sk-32": re.compile(rb"(?<![A-Za-z0-9_-])(sk-[A-Za-z0-9]{32,47})(?![A-Za-z0-9_-])"),
    "hasura": re.compile(rb"\{\\?\"type\\?\"[ \t]*:[ \t]*\\?\"HS\d+\\?\"[ \t]*,[ \t]*\\?\"key\\?\"[ \t]*:[ \t]*\\?\"([^\"\\]+)"),
    "erlang": re.compile(rb"(?i)erlang[ ._-]?cookie[^:\n]*:[ \t]*([A-Za-z0-9]+)"),
    "azure-q": re.compile(rb"(?<![A-Za-z0-9_~.-])([A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])"),
    "hash-csrf": re.compile(rb"\"csrf\"\n\d+\) \"([^\"]+)\""),
}
def main():
    regex_groups_main(R)



if __name__ == "__main__":
    main()
