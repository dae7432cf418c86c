"""The live view of an actor tree: a web page, its JSON API and its server-sent events.

Implementation of ``actors.liveview``: ``_timeline`` (recent failures, restarts and dead
letters, bounded), ``_hub`` (throttled snapshots for the event stream), ``_app`` (the ASGI
application), ``_server`` (a small HTTP server for it) and ``static/`` (the page).
"""
