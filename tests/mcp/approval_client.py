"""The MCP Python SDK's client (2026-07-28) calling a tool that needs approval, through toolwall.

Usage: python3 approval_client.py URL DIR
Its elicitation callback records what it was asked, writes the URL to DIR/asked, waits for
DIR/approved (the test approves in between), and answers accept; the SDK retries by itself.
Prints one JSON object with what it observed; the Rust test asserts on it.
"""

import json
import os
import sys

import anyio
from mcp import Client, types


async def main() -> None:
    url, work = sys.argv[1], sys.argv[2]
    out: dict = {"asked": []}

    async def on_elicit(context, params):
        out["asked"].append(
            {"mode": getattr(params, "mode", None), "url": getattr(params, "url", None), "message": params.message}
        )
        with open(os.path.join(work, "asked.tmp"), "w") as f:
            f.write(getattr(params, "url", "") or "")
        os.replace(os.path.join(work, "asked.tmp"), os.path.join(work, "asked"))
        for _ in range(300):
            if os.path.exists(os.path.join(work, "approved")):
                break
            await anyio.sleep(0.1)
        return types.ElicitResult(action="accept")

    async with Client(url, mode="auto", elicitation_callback=on_elicit) as c:
        out["protocol_version"] = c.protocol_version
        await c.list_tools()
        res = await c.call_tool("refund", {"charge": "ch_1", "amount": 500})
        out["result"] = {
            "is_error": bool(res.is_error),
            "text": " ".join(x.text for x in res.content if getattr(x, "text", None)),
        }
    print(json.dumps(out))


anyio.run(main)
