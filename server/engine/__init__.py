"""Engine: what serving reads through. The embedded store with killable query workers, a remote SPARQL engine,
query checks, answers within caps, the answer cache, publishing to a remote engine, and the served release.

May import server.release and the stages below it; the query workers import neither Flask nor rdflib.
"""
