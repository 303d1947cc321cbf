"""Interop with the official MCP Python SDK (`mcp`): its client starts `workhive mcp` over stdio,
lists the tools, and works a task through them."""
import asyncio

import pytest
from mcp import Client, MCPError, StdioServerParameters

from live_server import workhive_binary

TOOLS = {"list_tasks", "claim_task", "submit_work", "heartbeat", "get_balance", "post_task", "get_task"}


def mcp_client(server, key: str) -> Client:
    params = StdioServerParameters(command=workhive_binary(), args=["mcp"],
                                   env={"WORKHIVE_API_KEY": key, "WORKHIVE_URL": server.url})
    return Client(params, read_timeout_seconds=60)


def test_tools_are_listed_with_json_schemas(server):
    async def run():
        async with mcp_client(server, server.worker("lister")) as c:
            return (await c.list_tools()).tools
    tools = {t.name: t for t in asyncio.run(run())}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object" and tool.description
    assert tools["claim_task"].input_schema["required"] == ["task_type"]
    assert set(tools["post_task"].input_schema["required"]) == {"task_type", "title", "reward_micro_usdt"}
    assert tools["list_tasks"].annotations.read_only_hint is True


def test_a_worker_claims_and_submits_and_a_requester_posts_and_reads(server):
    requester = server.requester("mcp-requester")
    worker = server.worker("mcp-worker")

    async def run():
        async with mcp_client(server, requester) as r, mcp_client(server, worker) as w:
            posted = await r.call_tool("post_task", {
                "task_type": "mcp.echo", "title": "Echo hello", "reward_micro_usdt": 250_000,
                "payload": {"text": "hello"}, "verification": {"verifiers": 0}, "idempotency_key": "mcp-1"})
            assert not posted.is_error, posted.content
            task = posted.structured_content
            assert task["state"] == "open" and task["task_type"] == "mcp.echo"

            listed = await w.call_tool("list_tasks", {"task_type": "mcp.echo"})
            assert [t["id"] for t in listed.structured_content["tasks"]] == [task["id"]]

            claimed = await w.call_tool("claim_task", {"task_type": "mcp.echo", "wait_seconds": 2})
            claim = claimed.structured_content["claim"]
            assert claimed.structured_content["claimed"] and claim["task"]["payload"] == {"text": "hello"}

            beat = await w.call_tool("heartbeat", {"claim_id": claim["claim_id"]})
            assert beat.structured_content["worker"]["status"] == "busy"
            assert beat.structured_content["lease"]["claim_id"] == claim["claim_id"]

            submitted = await w.call_tool("submit_work", {"claim_id": claim["claim_id"], "result": {"echo": "hello"}})
            assert not submitted.is_error, submitted.content
            assert submitted.structured_content["task_id"] == task["id"]

            none_left = await w.call_tool("claim_task", {"task_type": "mcp.echo", "wait_seconds": 0})
            assert none_left.structured_content == {"claimed": False}

            read = await r.call_tool("get_task", {"task_id": task["id"]})
            assert read.structured_content["task"]["state"] == "approved"
            assert read.structured_content["submissions"][0]["result"] == {"echo": "hello"}

            earned = await w.call_tool("get_balance", {})
            accounts = earned.structured_content["accounts"]
            assert sum(a["balance_micro_usdt"] for a in accounts) == 250_000

            # The REST API's rules hold: a worker key cannot post, and bad arguments are tool errors.
            refused = await w.call_tool("post_task", {"task_type": "x", "title": "x", "reward_micro_usdt": 1})
            assert refused.is_error and refused.structured_content["error"]["code"] == "forbidden"
            wrong = await w.call_tool("submit_work", {"claim_id": "seven", "result": 1})
            assert wrong.is_error and "claim_id" in wrong.content[0].text
            with pytest.raises(MCPError) as unknown:
                await w.call_tool("steal_funds", {})
            assert unknown.value.code == -32602

    asyncio.run(run())
