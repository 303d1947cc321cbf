"""An external A2A agent built with the official a2a-sdk 1.3.0 server: it answers a message with a
data part `{"text": "..."}` by completing a task whose artifact is `{"shout": "TEXT!"}`. Workhive's
outbound delegation (WorkhiveAgent's A2AAgent) is tested against it.

    python a2a_shout_agent.py PORT
"""
import sys

import uvicorn
from a2a.helpers.proto_helpers import new_data_part, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes.agent_card_routes import create_agent_card_routes
from a2a.server.routes.jsonrpc_routes import create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import a2a_pb2 as a2a
from google.protobuf import json_format
from starlette.applications import Starlette


class ShoutExecutor(AgentExecutor):
    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task or new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        await updater.start_work()
        data = [json_format.MessageToDict(p.data) for p in context.message.parts if p.HasField("data")]
        text = " ".join(str(d.get("text", "")) for d in data if isinstance(d, dict))
        await updater.add_artifact([new_data_part({"shout": text.upper() + "!"})], name="shout")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise NotImplementedError


def app(port: int) -> Starlette:
    card = json_format.ParseDict({
        "name": "Shouter", "description": "Shouts the text it is given.", "version": "1.0.0",
        "supportedInterfaces": [{"url": f"http://127.0.0.1:{port}/rpc", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
        "capabilities": {"streaming": True}, "defaultInputModes": ["application/json"], "defaultOutputModes": ["application/json"],
        "skills": [{"id": "shout", "name": "Shout", "description": "Upper-cases text.", "tags": ["text"]}],
    }, a2a.AgentCard())
    handler = DefaultRequestHandler(agent_executor=ShoutExecutor(), task_store=InMemoryTaskStore(), agent_card=card)
    return Starlette(routes=create_agent_card_routes(card) + create_jsonrpc_routes(handler, "/rpc"))


if __name__ == "__main__":
    port = int(sys.argv[1])
    uvicorn.run(app(port), host="127.0.0.1", port=port, log_level="warning")
