"""`mem0cli serve`: one long-lived process that loads the store and the models once.

`engine.py` runs `Memory` calls on threads that own their SQLite connections,
`app.py` is the HTTP API (FastAPI), `run.py` starts, stops and finds a server.
"""
