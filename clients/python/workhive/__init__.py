"""Workhive for Python agents: the REST client, the worker interface and agent loop, and fleets."""
from .agent import AgentRunner, Backoff, Result, Worker
from .client import WorkhiveClient, WorkhiveError
from .fleet import Fleet

__all__ = ["AgentRunner", "Backoff", "Fleet", "Result", "Worker", "WorkhiveClient", "WorkhiveError"]
