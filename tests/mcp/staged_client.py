"""The MCP Python SDK's own client calling staged_server.py through toolwall.

Usage: python3 staged_client.py URL MODE   (MODE: auto = 2026-07-28 first, legacy = 2025-11-25)
Prints one JSON object with what each call returned, as the SDK parsed it.
"""

import json
import sys

import anyio
from mcp import Client


def summary(result) -> dict:
    return {
        "is_error": bool(result.is_error),
        "text": " ".join(c.text for c in result.content if getattr(c, "text", None)),
        "structured": result.structured_content,
    }


async def main() -> None:
    url, mode = sys.argv[1], sys.argv[2]
    out: dict = {"mode": mode}
    async with Client(url, mode=mode) as c:
        out["protocol_version"] = c.protocol_version
        out["tools"] = sorted(t.name for t in (await c.list_tools()).tools)
        out["dry_run"] = summary(await c.call_tool("plan_refund", {"charge": "ch_1", "amount": 5}))
        out["dry_run_denied"] = summary(await c.call_tool("plan_refund", {"charge": "ch_1", "amount": 5000}))
        out["dry_run_output_schema"] = summary(await c.call_tool("refund", {"charge": "ch_2", "amount": 7}))
        out["shadowed"] = summary(await c.call_tool("payout", {"account": "acct_1", "amount": 5000}))
    print(json.dumps(out))


anyio.run(main)
