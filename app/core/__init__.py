"""The pure core: values in, values out. No asyncio, no web framework, no database, no clock.

A workshop is a deterministic reducer over an ordered event log:
``decide(state, command, actor, now)`` yields events or a typed rejection, and
``evolve(state, event)`` folds one event into the state.
"""
