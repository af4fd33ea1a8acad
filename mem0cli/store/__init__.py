"""The two stores: SQLite (source of truth) and LanceDB (vectors, rebuildable)."""
