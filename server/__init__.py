"""A linked-open-data publisher; one package per stage the data passes through (docs/architecture.md):

common (basics) <- sources <- build <- release <- engine <- linking <- web <- cli

Each package imports only those to its left (checked by import-linter). This package imports nothing
itself, so a query worker (server.engine.workers) starts without the web application or rdflib.
"""
