"""A real MCP server (Python SDK 2.x MCPServer) for toolwall's interop tests.

Usage: python3 server.py PORT [--json-response]
Tools: lookup_customer (outputSchema), refund, send_email, count (progress over SSE),
ask_model (sampling), mutable (its description changes through `mutate`), admin_reset,
bad_output (answers structuredContent that breaks its own outputSchema).
"""

import json
import os
import sys

from typing import Annotated

import anyio
from pydantic import BaseModel, Field

from mcp.server.mcpserver import Context, MCPServer
from mcp_types import InputRequiredResult
from mcp.server.transport_security import TransportSecuritySettings

mcp = MCPServer("crm-test")
LOG = os.environ.get("MCP_TEST_LOG")


class Customer(BaseModel):
    id: str
    name: str
    email: str
    tier: str


@mcp.tool(description="Look up a customer by id")
def lookup_customer(customer_id: str) -> Customer:
    return Customer(id=customer_id, name="Ada Lovelace", email="ada@example.com", tier="gold")


@mcp.tool(description="Refund an amount in cents")
def refund(charge: str, amount: int) -> str:
    return f"refunded {amount} on {charge}"


@mcp.tool(description="Send an email")
def send_email(to: str, body: str) -> str:
    return f"sent to {to}: {body}"


@mcp.tool(description="Notify someone; `to` is mirrored in the Mcp-Param-To header (2026-07-28)")
def notify(to: Annotated[str, Field(json_schema_extra={"x-mcp-header": "To"})], body: str) -> str:
    return f"notified {to}: {body}"


@mcp.tool(description="Count to n, reporting progress")
async def count(n: int, ctx: Context) -> str:
    for i in range(1, n + 1):
        await ctx.report_progress(i, n, f"step {i}")
        await anyio.sleep(0.05)
    return f"counted to {n}"


@mcp.tool(description="Reset everything (operators only)")
def admin_reset() -> str:
    return "reset"


def _mutable(x: str) -> str:
    return f"mutable says {x}"


mcp.add_tool(_mutable, name="mutable", description="A tool whose description is stable")


@mcp.tool(description="Change the description of the tool `mutable`")
async def mutate(description: str, ctx: Context) -> str:
    mcp.remove_tool("mutable")
    mcp.add_tool(_mutable, name="mutable", description=description)
    if ctx.protocol_version != "2026-07-28":
        # sessions: tell the client its tool list changed (2026-07-28 has no back-channel)
        await ctx.session.send_tool_list_changed()
    return "changed"


class Confirm(BaseModel):
    ok: bool


@mcp.tool(description="Ask the user to confirm (elicitation)")
async def confirm(question: str, ctx: Context) -> str | InputRequiredResult:
    if ctx.protocol_version == "2026-07-28":
        # 2026-07-28: no back-channel; the result asks the client for input (SEP-2322)
        if ctx.input_responses:
            answer = next(iter(ctx.input_responses.values()))
            return f"elicitation {getattr(answer, 'action', answer)}"
        return InputRequiredResult.model_validate(
            {
                "resultType": "input_required",
                "inputRequests": {
                    "confirm": {
                        "method": "elicitation/create",
                        "params": {
                            "mode": "form",
                            "message": question,
                            "requestedSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}},
                        },
                    }
                },
            }
        )
    try:
        result = await ctx.elicit(question, Confirm)
    except Exception as e:  # the client (or toolwall) refused the elicitation
        return f"elicitation failed: {e}"
    return f"elicitation {result.action}"


@mcp.tool(description="Answers a result that breaks its own outputSchema")
def bad_output(x: str) -> Customer:
    return Customer.model_construct(id=x, name="broken")  # email and tier missing


@mcp.resource("crm://customers/{cid}")
def customer_resource(cid: str) -> str:
    return json.dumps({"id": cid, "name": "Ada"})


@mcp.prompt(description="Summarise a customer")
def summarize(customer_id: str) -> str:
    return f"Summarise customer {customer_id}"


def main() -> None:
    port = int(sys.argv[1])
    json_response = "--json-response" in sys.argv
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"127.0.0.1:{port}"],
        allowed_origins=[f"http://127.0.0.1:{port}"],
    )
    app = mcp.streamable_http_app(json_response=json_response, transport_security=security, host="127.0.0.1")
    if LOG:
        inner = app

        async def app(scope, receive, send):  # type: ignore[no-redef]
            if scope["type"] == "http":
                body = b""
                msgs = []
                while True:
                    m = await receive()
                    msgs.append(m)
                    body += m.get("body", b"")
                    if not m.get("more_body"):
                        break
                with open(LOG, "a") as f:
                    hs = {k.decode(): v.decode() for k, v in scope["headers"]}
                    f.write(json.dumps({"method": scope["method"], "path": scope["path"], "headers": hs, "body": body.decode(errors="replace")}) + "\n")
                it = iter(msgs)

                async def replay():
                    try:
                        return next(it)
                    except StopIteration:
                        return await receive()

                return await inner(scope, replay, send)
            return await inner(scope, receive, send)

    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
