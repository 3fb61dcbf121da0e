#!/usr/bin/env python3
"""Thirty-fourth round, task gs: blind33's GENERIC_SECRET misses by construction, counted on
every training split (blind33 new to training this round).

usage: gs_r34_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups:
  age         an age X25519 identity `AGE-SECRET-KEY-1` + 58 bech32 characters (age's format);
  age-any     `AGE-SECRET-KEY` followed by anything (look-alikes);
  hf          a Hugging Face token `hf_` + 34 letters and digits, nothing word-like after;
  hf-any      any word starting with `hf_` (identifiers, placeholders, tokens);
  npm         an npm token `npm_` + 36 letters and digits, nothing word-like after;
  npm-any     any word starting with `npm_`;
  laravel     Laravel's `APP_KEY=base64:` value (base64 of 32 bytes);
  appkey-any  any value after `APP_KEY` and `=`/`:`;
  tf-diff     the new side of a Terraform plan diff `"…" = "OLD" -> "NEW"` (quoted);
  tf-old      the old side of the same;
  perm-b64    an 86-char base64url + `==` value after 16 hex and tabs (Permissions listing);
  b64-any     any value after `base64:` (any name before it, or none);
  pubkey-next the line after any `public key: …` line (age's key file and look-alikes);
  cell-row    the second cell of any table row `│ LABEL │ VALUE │` / `| LABEL | VALUE |` whose
              label names a token, secret, key or password;
  tf-any      the new side of any `"…" -> "NEW"` (quoted, a blank each side of the arrow);
  app-key-dd  Datadog's `app_key:` value (40 hex digits).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import regex_groups_main  # noqa: E402

R = {
    "age": re.compile(rb"(?<![A-Za-z0-9_-])(AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})(?![A-Za-z0-9_-])"),
    "age-any": re.compile(rb"(AGE-SECRET-KEY[^\s\"'<>]*)"),
    "hf": re.compile(rb"(?<![A-Za-z0-9_-])(hf_[A-Za-z0-9]{34})(?![A-Za-z0-9_-])"),
    "hf-any": re.compile(rb"(?i)(?<![A-Za-z0-9_-])(hf_[A-Za-z0-9_-]*)"),
    "npm": re.compile(rb"(?<![A-Za-z0-9_-])(npm_[A-Za-z0-9]{36})(?![A-Za-z0-9_-])"),
    "npm-any": re.compile(rb"(?i)(?<![A-Za-z0-9_-])(npm_[A-Za-z0-9_-]*)"),
    "laravel": re.compile(rb"APP_KEY[\"']?[ \t]*[=:][ \t]*[\"']?base64:([A-Za-z0-9+/]{43}=)"),
    "appkey-any": re.compile(rb"(?i)APP_KEY[\"']?[ \t]*[=:][ \t]*[\"']?([^\"'\s,}]+)"),
    "tf-diff": re.compile(rb"\"[ \t]*=[ \t]*\"[^\"\n]*\"[ \t]*->[ \t]*\"([^\"\n]+)\""),
    "tf-old": re.compile(rb"\"[ \t]*=[ \t]*\"([^\"\n]+)\"[ \t]*->[ \t]*\"[^\"\n]+\""),
    "perm-b64": re.compile(rb"(?m)^[0-9a-f]{16}\t+([A-Za-z0-9_+/-]{86}==)"),
    "b64-any": re.compile(rb"base64:([A-Za-z0-9+/=]+)"),
    "pubkey-next": re.compile(rb"(?i)public key: [^\n]*\n([^\n]+)"),
    "cell-row": re.compile("(?im)^(?:│|\\|) *[a-z_ ]*(?:token|secret|key|pass)[a-z_ ]* *(?:│|\\|) *([^│|\n]*?) *(?:│|\\|)".encode()),
    "tf-any": re.compile(rb"\" -> \"([^\"\n]+)\""),
    "app-key-dd": re.compile(rb"(?m)^[ \t]*app_key:[ \t]*([0-9a-f]{40})\b"),
}
def main():
    regex_groups_main(R)



if __name__ == "__main__":
    main()
