"""Build: validate the loaded store against the SHACL shapes, describe it (VoID/DCAT), write a release folder
(dumps, report, change log, index).

May import server.sources and server.common.
"""
