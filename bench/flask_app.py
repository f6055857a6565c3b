"""The naive baseline: a plain Flask app answering SPARQL with pyoxigraph in its own process.

    python bench/flask_app.py STORE PORT

No workers, no deadline, no caps, no checks: `GET /sparql?query=` on `Store.read_only(STORE)` with the union
default graph, the answer serialised by pyoxigraph (SPARQL JSON, N-Triples), served by waitress with 8
threads. bench/wrk.py measures our server's throughput against it.
"""

from __future__ import annotations

import sys

from flask import Flask
from flask import Response
from flask import request
from pyoxigraph import QueryBoolean
from pyoxigraph import QueryResultsFormat
from pyoxigraph import QuerySolutions
from pyoxigraph import RdfFormat
from pyoxigraph import Store
from pyoxigraph import serialize

app = Flask(__name__)
store: Store | None = None


@app.get("/sparql")
def sparql() -> Response:
    result = store.query(request.args["query"], use_default_graph_as_union=True)
    if isinstance(result, QuerySolutions | QueryBoolean):
        body = result.serialize(format=QueryResultsFormat.JSON)
        return Response(body, content_type="application/sparql-results+json")
    return Response(serialize(result, format=RdfFormat.N_TRIPLES), content_type="application/n-triples")


if __name__ == "__main__":
    from waitress import serve

    store = Store.read_only(sys.argv[1])
    print("serving", flush=True)
    serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads=8)
