"""No broken link: a crawl of every page reachable from the home page, in both languages.

The crawl runs through Flask's test client (in-process, no sockets): from ``/`` in
English and in Japanese it visits every HTML page it reaches, and requests every
URL of ours that a page names in ``href``, ``src`` or a form's ``action``
(pages, stylesheets, scripts, the favicon, the machine-readable twins, dumps,
link sets). Each must answer 200 or 303 (a redirect is followed to its target,
which must too), and a ``#fragment`` of a crawled page must name one of its
elements' ids (the ontology's index, the provenance badges). Links to other hosts are not requested: the tests reach no
other host.

A page is crawled once per language: a link's ``lang`` parameter chooses the
language the page is asked in, and the same path in the same language is not
asked twice. So the language switch of every page is checked (it is that same
page in the other language), without visiting every page three times. A URL
that answers with something else than a page (a Turtle twin, a dump) is asked
once.

Our own crawl rather than PyPI's ``linkchecker``: linkchecker checks a site over
HTTP (a live server and a second process) and is licensed GPL; the test client
crawls the ~1,000 pages in seconds, and the failure names each broken link and
the pages that carry it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from dataclasses import field
from html.parser import HTMLParser
from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urljoin
from urllib.parse import urlsplit

import pytest

HOST = "http://localhost"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LANGUAGES = ("en", "ja")
RESOLVED = (200, 303)
QUERY_SAMPLE = 10


class Links(HTMLParser):
    """The URLs a page names (links, stylesheets, scripts, images, forms) and the ids of its elements."""

    def __init__(self, html: str):
        super().__init__()
        self.urls: dict[str, None] = {}  # in order, each once
        self.ids: set[str] = set()
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        names = ("action",) if tag == "form" else ("href", "src")
        self.urls.update((value, None) for name, value in attrs if name in names and value)
        self.ids.update(value for name, value in attrs if name == "id" and value)


@dataclass
class Crawl:
    """What a crawl found: pages visited, links checked, and each broken URL with the pages linking it."""

    pages: int = 0
    links: int = 0  # distinct URLs on each page, summed over the pages
    requests: int = 0
    sampled_out: int = 0  # query-running links not requested (over QUERY_SAMPLE for their path)
    broken: dict[str, set[str]] = field(default_factory=dict)


def split_language(url: str, default: str) -> tuple[str, str]:
    """A local URL without its ``lang`` parameter, and the language it asks for (else `default`).

    >>> split_language("/id/x?lang=ja", "en")
    ('/id/x', 'ja')
    >>> split_language("/search?q=G7", "ja")
    ('/search?q=G7', 'ja')
    """
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    lang = next((value for name, value in params if name == "lang" and value in LANGUAGES), default)
    kept = urlencode([(name, value) for name, value in params if name != "lang"])
    return parts.path + ("?" + kept if kept else ""), lang


def crawl(client, start: str = "/", *, max_pages: int | None = None) -> Crawl:
    """Visit every page reachable from `start` in both languages (at most `max_pages` of them, if given);
    check every local URL they name."""
    found = Crawl()
    statuses: dict[tuple[str, str], int] = {}
    files: dict[str, int] = {}  # URLs that answered something else than a page: the same in either language
    queue: deque[tuple[str, str, dict[str, None]]] = deque()  # page, its language, the URLs it names
    anchors: dict[tuple[str, str], set[str]] = {}  # page and language -> the ids of its elements
    fragments: list[tuple[tuple[str, str], str, str]] = []  # (page, language), #fragment, the page linking it
    queries: dict[tuple[str, str], int] = {}  # (path, language) of a query-running link -> distinct URLs checked

    def fetch(url: str, lang: str):
        found.requests += 1
        separator = "&" if "?" in url else "?"
        response = client.get(url + separator + urlencode({"lang": lang}), headers={"Accept": BROWSER})
        if 300 <= response.status_code < 400 and "Location" in response.headers:
            target = urlsplit(urljoin(HOST + url, response.headers["Location"]))
            if f"{target.scheme}://{target.netloc}" == HOST:
                followed = client.get(local_part(target), headers={"Accept": BROWSER})
                followed.close()
                if followed.status_code not in RESOLVED:
                    return followed
        return response

    def visit(url: str, lang: str) -> None:
        if url in files:
            statuses[(url, lang)] = files[url]
            return
        response = fetch(url, lang)
        statuses[(url, lang)] = response.status_code
        if response.mimetype != "text/html":
            files[url] = response.status_code
        elif response.status_code == 200:
            if max_pages is None or found.pages < max_pages:
                found.pages += 1
                links = Links(response.get_data(as_text=True))
                anchors[(url, lang)] = links.ids
                queue.append((url, lang, links.urls))
        response.close()

    for lang in LANGUAGES:
        visit(start, lang)
    while queue:
        url, lang, links = queue.popleft()
        for link in links:
            target = urlsplit(urljoin(HOST + url, link))
            if f"{target.scheme}://{target.netloc}" != HOST:
                continue
            key = split_language(local_part(target), lang)
            found.links += 1
            if key not in statuses:
                if runs_a_query(target):
                    route = (target.path, key[1])
                    if queries.get(route, 0) >= QUERY_SAMPLE:
                        found.sampled_out += 1
                        continue
                    queries[route] = queries.get(route, 0) + 1
                visit(*key)
            if statuses[key] not in RESOLVED:
                found.broken.setdefault(f"{key[0]} ({statuses[key]})", set()).add(url)
            elif target.fragment and "=" not in target.fragment:  # #query=... is the workbench's, not an anchor
                fragments.append((key, target.fragment, url))
    for key, fragment, page in fragments:
        if key in anchors and fragment not in anchors[key]:
            found.broken.setdefault(f"{key[0]}#{fragment} (no such anchor)", set()).add(page)
    return found


def runs_a_query(url) -> bool:
    """Whether a split local URL asks the engine a query: the workbench's or a canned query's."""
    return bool(url.query) and (url.path == "/sparql" or url.path.startswith("/queries/"))


def local_part(url) -> str:
    """The path and query of a split URL."""
    return url.path + ("?" + url.query if url.query else "")


def test_every_link_of_every_page_resolves(client):
    found = crawl(client)
    print(f"crawl: {found.pages} pages, {found.links} links, {found.requests} requests, "
          f"{found.sampled_out} query links over the sample, {len(found.broken)} broken")
    assert found.pages > 100, "the crawl did not get past the home page"
    broken = {url: sorted(pages)[:3] for url, pages in sorted(found.broken.items())}
    assert broken == {}


@pytest.mark.parametrize(
    ("href", "broken"), [("/id/nowhere", "/id/nowhere (404)"), ("#nowhere", "/#nowhere (no such anchor)")]
)
def test_the_crawl_finds_a_broken_link(client, monkeypatch, href, broken):
    """The crawl can fail: a home page linking to a missing path or anchor is reported as the page linking it."""
    import server.web.home

    original = server.web.home.render_template
    monkeypatch.setattr(
        server.web.home,
        "render_template",
        lambda *args, **kwargs: original(*args, **kwargs).replace("</main>", f'<a href="{href}">x</a></main>'),
    )
    found = crawl(client, max_pages=2)
    assert found.pages == 2
    assert found.broken == {broken: {"/"}}
