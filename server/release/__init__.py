"""Release: one validated build as written in the build folder; find, reopen or build the release of the sources.

May import server.builder, server.sources and server.common.
"""
