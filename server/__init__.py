"""A linked-open-data publisher: sources -> load -> validate -> store -> SPARQL, pages and dumps.

The package imports nothing itself, so a query worker (server.workers) starts without the web
application (server.app) or rdflib.
"""
