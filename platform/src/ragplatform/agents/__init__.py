"""Agents: named, typed capabilities over the platform's core (API document 02).

Each agent has a pydantic ``Input`` model and a ``run`` that does real work through the platform's
services; ``AgentService.invoke`` validates a request's input against its agent and runs it.
"""
