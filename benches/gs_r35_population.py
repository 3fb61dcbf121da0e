#!/usr/bin/env python3
"""Thirty-fifth round, task gs: blind34's GENERIC_SECRET misses by construction, counted on
every training split (blind34 new to training this round).

usage: gs_r35_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups:
  pypi          a PyPI API token: `pypi-` + the macaroon's fixed base64 head `AgEIcHlwaS5vcmc`
                (PyPI's documented prefix) + base64url, any context;
  pypi-any      any word starting with `pypi-` (package names, placeholders, tokens);
  langfuse      Langfuse's secret key `sk-lf-` + a UUID (8-4-4-4-12 hex), any context;
  lf-any        any word starting with `sk-lf-` or `pk-lf-`;
  accesscode    the value of a JSON member `"accessCode"` (DocuSign's recipient access code);
  access-any    any value after a word `accessCode` / `access_code` and `=`/`:`;
  fb-header     Fluent Bit's `Header X-Api-Key VALUE` (an `[OUTPUT]` section's Header option);
  xapi-any      any value after `X-Api-Key` and a blank or `:`;
  cli-vendor    a vendor's token (`check::vendor_token`'s prefixes, 16 bytes or more after) as
                the argument of `-p` right after `-u USER` (`twine upload -u __token__ -p pypi-…`,
                `docker login -u ci -p glpat-…`);
  cli-up-any    any argument of `-p` right after `-u USER`;
  digits-name   a digit-only value (1-8 digits) right after a secret name (`…TOKEN`, `…KEY`,
                `…SECRET`) and `=`/`:` (quoted or not): how writers label such values.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import regex_groups_main  # noqa: E402

R = {
    "pypi": re.compile(rb"(?<![A-Za-z0-9_-])(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{16,})(?![A-Za-z0-9_-])"),
    "pypi-any": re.compile(rb"(?i)(?<![A-Za-z0-9_-])(pypi-[A-Za-z0-9_-]*)"),
    "langfuse": re.compile(rb"(?<![A-Za-z0-9_-])(sk-lf-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?![A-Za-z0-9_-])"),
    "lf-any": re.compile(rb"(?<![A-Za-z0-9_-])([sp]k-lf-[A-Za-z0-9_-]*)"),
    "accesscode": re.compile(rb"\"accessCode\"[ \t]*:[ \t]*\"([^\"]+)\""),
    "access-any": re.compile(rb"(?i)access_?code[\"']?[ \t]*[=:][ \t]*[\"']?([^\"'\s,}]+)"),
    "fb-header": re.compile(rb"(?m)^[ \t]*Header[ \t]+X-Api-Key[ \t]+([^\s]+)"),
    "xapi-any": re.compile(rb"(?i)X-Api-Key[\"']?[ \t]*[: \t][ \t]*[\"']?([^\"'\s,}]+)"),
    "cli-vendor": re.compile(rb" -u [^\s]+ -p ((?:glpat-|gldt-|glrt-|glc_|glsa_|npm_|pypi-|hf_|dop_v1_|shpat_)[A-Za-z0-9_-]{16,})(?![A-Za-z0-9_-])"),
    "cli-up-any": re.compile(rb" -u [^\s]+ -p ['\"]?([^\s'\"]+)"),
    "digits-name": re.compile(rb"(?i)(?:token|key|secret)[\"']?[ \t]*[=:][ \t]*[\"']?([0-9]{1,8})(?![0-9A-Za-z])"),
}
def main():
    regex_groups_main(R)


if __name__ == "__main__":
    main()
