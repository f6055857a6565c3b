"""Linking: the name matcher and search index shared by /api/search, /reconcile and the `link` command.

May import server.engine and the stages below it.
"""
