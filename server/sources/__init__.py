"""Sources: find the project's files (ontology, data, passages, shapes) and parse them into a pyoxigraph store.

May import server.common only.
"""
