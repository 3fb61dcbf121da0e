"""A real MCP server (Python SDK 2.x MCPServer) for toolwall's staged-autonomy tests.

Usage: python3 staged_server.py PORT
Tools: plan_refund (no outputSchema), refund and payout (outputSchema, the SDK's default for a
`str` result). Every tools/call the server receives is appended to $MCP_TEST_LOG as JSON.
"""

import json
import os
import sys

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings

mcp = MCPServer("staged-test")
LOG = os.environ.get("MCP_TEST_LOG")


def log(tool: str, **args) -> None:
    if LOG:
        with open(LOG, "a") as f:
            f.write(json.dumps({"tool": tool, "args": args}) + "\n")


@mcp.tool(description="Refund an amount in cents (unstructured result)", structured_output=False)
def plan_refund(charge: str, amount: int) -> str:
    log("plan_refund", charge=charge, amount=amount)
    return f"refunded {amount} on {charge}"


@mcp.tool(description="Refund an amount in cents")
def refund(charge: str, amount: int) -> str:
    log("refund", charge=charge, amount=amount)
    return f"refunded {amount} on {charge}"


@mcp.tool(description="Pay out an amount in cents")
def payout(account: str, amount: int) -> str:
    log("payout", account=account, amount=amount)
    return f"paid {amount} to {account}"


def main() -> None:
    port = int(sys.argv[1])
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"127.0.0.1:{port}"],
        allowed_origins=[f"http://127.0.0.1:{port}"],
    )
    app = mcp.streamable_http_app(transport_security=security, host="127.0.0.1")

    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
