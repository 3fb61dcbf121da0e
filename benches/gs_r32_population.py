#!/usr/bin/env python3
"""Thirty-second round, task gs: blind31's GENERIC_SECRET false positives and misses by
construction, counted on every training split (blind31 new to training this round).

usage: gs_r32_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups (misses):
  nsupdate    the secret of `nsupdate -y [alg:]name:secret` (BIND's nsupdate(1), RFC 2845 TSIG);
  tsig-any    any `-y [hmac-…:]name:base64` (the same without the word nsupdate);
  apikey-ws   a line `apikey <blanks> VALUE` (Fluent Bit's datadog output: `apikey`);
  aws-dot     the value of `aws.secret.access.key` (Kafka Connect S3/Kinesis connectors);
  ses-smtp    the value of `ses_smtp_password_v4` (Terraform's aws_iam_access_key attribute);
  ovpn        the hex body of `-----BEGIN OpenVPN Static key V1-----` (OpenVPN --genkey);
  flag-key    the value after a `--key` flag (a blank between);
  netrc       the password of a .netrc `machine … login … password X`;
  cvv-row     a Markdown table row naming a card's code (`| CVV | 756 |`);
Groups (false positives):
  twilio-ac   a Twilio Account SID (`AC` + 32 hex) anywhere;
  twilio-sk   a Twilio API key SID (`SK` + 32 hex) anywhere;
  bugsnag     `{"apiKey":"<32 hex>","events"` (Bugsnag's error-reporting payload);
  apikey-hex  any `"apiKey"` member holding 32 hex;
  secretkey   the value of `"secretKey"` followed by a `"secretValue"` member (Infisical's
              secret record: secretKey is the secret's name);
  secretvalue the value of `"secretValue"` after such a `"secretKey"`;
  user-prov   the value `user_provided` after `=`;
  refresh     the value of a `refresh_token` member or key;
  radius      the string after `radius-server <host> secret` / `tacacs-server … key`;
  default     the default of a shell parameter expansion `${NAME:-default}`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import regex_groups_main  # noqa: E402

R = {
    "nsupdate": re.compile(rb"nsupdate[^\n]*?-y[ \t]+(?:[A-Za-z0-9.-]+:)?[A-Za-z0-9._-]+:([A-Za-z0-9+/=]{8,})"),
    "tsig-any": re.compile(rb"(?<![A-Za-z0-9-])-y[ \t]+(?:hmac-[a-z0-9]+:)?[A-Za-z0-9._-]+:([A-Za-z0-9+/]{8,}=*)"),
    "apikey-ws": re.compile(rb"(?im)^[ \t]*apikey[ \t]+([^\s]+)[ \t]*$"),
    "aws-dot": re.compile(rb"aws\.secret\.access\.key[\"']?[ \t]*[:=][ \t]*[\"']?([^\"'\s,}]+)"),
    "ses-smtp": re.compile(rb"ses_smtp_password(?:_v4)?[\"']?[ \t]*[:=][ \t]*[\"']?([^\"'\s,}]+)"),
    "ovpn": re.compile(rb"-----BEGIN OpenVPN Static key V1-----\r?\n([0-9a-f\r\n]+?)\r?\n-----END"),
    "flag-key": re.compile(rb"(?<![A-Za-z0-9-])--key[ =]([^\s\"']+)"),
    "netrc": re.compile(rb"machine[ \t]+\S+\s+login[ \t]+\S+\s+password[ \t]+(\S+)"),
    "cvv-row": re.compile(rb"(?i)\|[ \t]*[^|\n]*\b(?:CVV|CVC|CVV2|CVC2|CID|security code)\b[^|\n]*\|[ \t]*(\d{3,4})[ \t]*\|"),
    "twilio-ac": re.compile(rb"(?<![A-Za-z0-9])(AC[0-9a-f]{32})(?![A-Za-z0-9])"),
    "twilio-sk": re.compile(rb"(?<![A-Za-z0-9])(SK[0-9a-f]{32})(?![A-Za-z0-9])"),
    "bugsnag": re.compile(rb"\{\"apiKey\":\"([0-9a-f]{32})\",\"events\""),
    "apikey-hex": re.compile(rb"\"apiKey\"[ \t]*:[ \t]*\"([0-9a-f]{32})\""),
    "secretkey": re.compile(rb"\"secretKey\"[ \t]*:[ \t]*\"([^\"]+)\"[ \t]*,[ \t\r\n]*\"secretValue\""),
    "secretvalue": re.compile(rb"\"secretKey\"[ \t]*:[ \t]*\"[^\"]+\"[ \t]*,[ \t\r\n]*\"secretValue\"[ \t]*:[ \t]*\"([^\"]+)\""),
    "user-prov": re.compile(rb"=[ \t]*[\"']?(user_provided)\b"),
    "refresh": re.compile(rb"(?i)refresh_?token[\"']?[ \t]*[:=][ \t]*[\"']?([^\"'\s,}]{8,})"),
    "radius": re.compile(rb"(?:radius|tacacs)(?:-server)?[ \t]+(?:host[ \t]+)?\S+[ \t]+(?:secret|key)[ \t]+(?:\d[ \t]+)?\"?([^\"\s]+)"),
    "default": re.compile(rb"\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}\s]+)\}"),
}
def main():
    regex_groups_main(R)



if __name__ == "__main__":
    main()
