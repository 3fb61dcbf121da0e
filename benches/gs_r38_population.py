#!/usr/bin/env python3
"""Thirty-eighth round, task gs: blind37's GENERIC_SECRET misses and false positives in
documented config formats, counted on every training split (blind37 new to training).

usage: gs_r38_population.py VARIANT [SPLIT ...] [--show GROUP]

Each group yields every place of its construction, independent of the engine; per split and
group: the candidates by gold label (GENERIC_SECRET / PASSWORD / other entity / none), how
many of the gold ones VARIANT missed, and how many VARIANT reported as GENERIC_SECRET.

Groups:
  cmp-bearer    Composer `auth.json`: a value under a host inside `"bearer": {…}`;
  cmp-github    the same under `"github-oauth"`;
  cmp-gitlab    the same under `"gitlab-token"` / `"gitlab-oauth"` (a string member);
  cmp-bitbucket `"bitbucket-oauth"`'s `consumer-key` / `consumer-secret`;
  cmp-config    `composer config [-g] bearer|github-oauth|gitlab-token|… .HOST VALUE`;
  app-key       Laravel's `APP_KEY=base64:VALUE` (any padding);
  app-key-nopad the same, VALUE without `=` padding;
  sasl-pw       librdkafka's `sasl.password` (`-X sasl.password=`, `sasl.password=`, `: `);
  sasl-any      any `sasl.password` / `sasl_password` / `SASL_PASSWORD` value;
  jaas-pw       a `sasl.jaas.config` line's `password="…"`;
  consumer-key  any `consumerKey` / `consumer_key` / `consumer-key` value;
  client-id     any `client_id` / `clientId` / `client-id` value;
  refresh-token any `refresh_token` / `refreshToken` value;
  rt-prefix     a `refresh_token` value opening with `rt_`;
  session-token any `SessionToken` / `session_token` / `aws_session_token` value;
  iqoj          an AWS STS session token `IQoJb3JpZ2luX2Vj…` (any context);
  tgram         Apprise's `tgram://BOTID:TOKEN/…`: `BOTID:TOKEN`;
  tg-bot        a Telegram bot token `DIGITS:35 chars` (any context);
  dify          Dify's `CODE_EXECUTION_API_KEY=VALUE`.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from population import regex_groups_main  # noqa: E402

V = rb"([^\s\"'<>,;]+)"
Q = rb"[\"']?[ \t]*[:=][ \t]*[\"']?"
R = {
    "cmp-bearer": re.compile(rb"\"bearer\"[ \t\r\n]*:[ \t\r\n]*\{[ \t\r\n]*\"[^\"]+\"[ \t\r\n]*:[ \t\r\n]*\"([^\"]+)\""),
    "cmp-github": re.compile(rb"\"github-oauth\"[ \t\r\n]*:[ \t\r\n]*\{[ \t\r\n]*\"[^\"]+\"[ \t\r\n]*:[ \t\r\n]*\"([^\"]+)\""),
    "cmp-gitlab": re.compile(rb"\"gitlab-(?:token|oauth)\"[ \t\r\n]*:[ \t\r\n]*\{[ \t\r\n]*\"[^\"]+\"[ \t\r\n]*:[ \t\r\n]*\"([^\"]+)\""),
    "cmp-bitbucket": re.compile(rb"\"consumer-(?:key|secret)\"[ \t\r\n]*:[ \t\r\n]*\"([^\"]+)\""),
    "cmp-config": re.compile(rb"composer config (?:-g |--global |--auth )*(?:bearer|github-oauth|gitlab-token|gitlab-oauth|http-basic)\.[^\s]+ +(?:[^\s]+ +)?['\"]?([^\s'\"]+)"),
    "app-key": re.compile(rb"APP_KEY[ \t]*=[ \t]*[\"']?base64:([A-Za-z0-9+/]+=*)"),
    "app-key-nopad": re.compile(rb"APP_KEY[ \t]*=[ \t]*[\"']?base64:([A-Za-z0-9+/]+)(?![A-Za-z0-9+/=])"),
    "sasl-pw": re.compile(rb"sasl\.password" + Q + V),
    "sasl-any": re.compile(rb"(?i)sasl[._]password" + Q + V),
    "jaas-pw": re.compile(rb"(?i)sasl\.jaas\.config[^\n]{0,200}?password=\\?[\"']([^\"'\\\s;]+)"),
    "consumer-key": re.compile(rb"(?i)consumer[_-]?key" + Q + V),
    "client-id": re.compile(rb"(?i)client[_-]?id" + Q + V),
    "refresh-token": re.compile(rb"(?i)refresh[_-]?token" + Q + V),
    "rt-prefix": re.compile(rb"(?i)refresh[_-]?token" + Q + rb"(rt_[A-Za-z0-9]+)"),
    "session-token": re.compile(rb"(?i)session[_-]?token" + Q + V),
    "iqoj": re.compile(rb"(IQoJb3JpZ2luX2Vj[A-Za-z0-9+/=]+)"),
    "tgram": re.compile(rb"tgram://([0-9]+:[A-Za-z0-9_-]+)"),
    "tg-bot": re.compile(rb"(?<![A-Za-z0-9])([0-9]{8,10}:[A-Za-z0-9_-]{35})(?![A-Za-z0-9_-])"),
    "dify": re.compile(rb"CODE_EXECUTION_API_KEY[ \t]*[=:][ \t]*[\"']?" + V),
}


def main():
    regex_groups_main(R)


if __name__ == "__main__":
    main()
