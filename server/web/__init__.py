"""Web: the Flask app (create_app) and one blueprint per surface: SPARQL protocol, resource pages, workbench,
downloads, dataset description, search API, reconciliation, link sets; templates/ and static/ beside them.

May import server.linking, server.engine and the stages below it; never reads the data folder.
"""
