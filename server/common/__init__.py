"""Shared basics every stage uses: the Config, the error classes, IRIs and namespaces, formats, logging, the LRU cache.

May import nothing of the other packages of server/.
"""
