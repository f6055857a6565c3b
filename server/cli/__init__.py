"""Command line: `python -m server serve|build|validate|publish|link`, flags and environment to a Config, one call.

May import every other package.
"""
