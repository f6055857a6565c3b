"""The name matcher shared by /api/search, /reconcile and the `link` command.

An index is built once per release from the store (``build_index``): every
resource under ``{base}id/`` with its ``rdfs:label`` and ``skos:prefLabel``
(primary names), ``skos:altLabel`` and ``skos:hiddenLabel`` (other names),
its ``rdf:type``\\ s and a short description; plus the classes (for the type
filter and type suggestions, with ``rdfs:subClassOf`` closed transitively)
and the properties (for property suggestions and data extension).

Names are compared in normal form (``normalise``): NFKC, case folded, with
whitespace, punctuation and the middle dots ・ and ･ removed, so 「ＪＩＣＴ」,
"JICT" and "jict" are one key, as are 「Ｇ７群馬高崎デジタル･技術大臣会合」 and
「G7群馬高崎デジタル・技術大臣会合」.

Scores run from 0 to 100, the best name of a resource deciding:

=========================================  ==========================
the query's normal form ...                 score
=========================================  ==========================
equals a primary name                       100
equals an alt or hidden name                95
has 2+ words, each in a name, in any order  60 + 30 x share of the name covered, likewise
begins a name                               50 + 40 x (share of the name covered), x 0.95 for other names
is contained in a name                      45 + 40 x share, likewise
contains a name of 2+ characters            40 + 40 x share of the query, likewise
shares words / CJK character pairs          80 x Dice coefficient, likewise
=========================================  ==========================

The words of a query (``words``) are its runs of Latin letters and digits and its
runs of other letters (kanji, kana), after NFKC: 「G7 高崎」, 「G7高崎」 and
「高崎 G7」 are the words ``g7`` and ``高崎``, all found in the meeting's name
「Ｇ７群馬高崎デジタル･技術大臣会合」. A Latin word must be a whole word of the
name, a run of kanji or kana a part of it. Equal scores are ranked by how many
resources link to each (the more central first), then by IRI.

A match is *certain* (``is_certain``) only when the best candidate equals a
primary or alt name, no other candidate equals any of its names, and the
best is at least CERTAIN_MARGIN ahead of the next.

>>> normalise("Ｇ７群馬高崎デジタル･技術大臣会合") == normalise("G7群馬高崎デジタル・技術大臣会合")
True
>>> normalise("ＪＩＣＴ"), normalise("Beyond 5G（6G）")
('jict', 'beyond5g6g')
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

from rdflib.namespace import DCTERMS
from rdflib.namespace import OWL
from rdflib.namespace import RDF
from rdflib.namespace import RDFS
from rdflib.namespace import SKOS

from server.common.vocab import ID_PATH
from server.common.vocab import Iris

if TYPE_CHECKING:
    from pyoxigraph import Store

    from server.engine.serving import Releases
    from server.release.release import Release

log = logging.getLogger(__name__)

LABEL = "label"  # rdfs:label, skos:prefLabel
ALT = "alt"  # skos:altLabel
HIDDEN = "hidden"  # skos:hiddenLabel
KINDS = {
    str(RDFS.label): LABEL,
    str(SKOS.prefLabel): LABEL,
    str(SKOS.altLabel): ALT,
    str(SKOS.hiddenLabel): HIDDEN,
}
WEIGHTS = {LABEL: 1.0, ALT: 0.95, HIDDEN: 0.95}
LANGUAGES = ("ja", "en", "")
EXACT = 100.0
MIN_SCORE = 30.0
# The longest name a client may search for (/api/search, /reconcile): longer ones cost much and match nothing.
MAX_NAME_CHARS = 500
CERTAIN_MARGIN = 10.0
STOPWORDS = frozenset({"a", "an", "and", "at", "for", "in", "of", "on", "the", "to"})
CLASS_TYPES = (str(OWL.Class), str(RDFS.Class))
PROPERTY_TYPES = (str(OWL.ObjectProperty), str(OWL.DatatypeProperty), str(RDF.Property))
DESCRIPTION_PREDICATES = (str(DCTERMS.description), str(SKOS.definition), str(RDFS.comment))
_DROPPED = frozenset("・")  # ･ is ・ after NFKC; both are punctuation anyway
_CJK_OR_WORD = re.compile(r"[0-9a-z_]+|[^\W0-9a-z_]+")


def normalise(text: str) -> str:
    """The normal form names are compared in: NFKC, casefold, no spaces, punctuation or middle dots.

    >>> normalise(" National  Institute-of ICT ")
    'nationalinstituteofict'
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in folded if c not in _DROPPED and unicodedata.category(c)[0] not in "PZC")


def words(text: str) -> tuple[str, ...]:
    """The words of a query: its Latin letter-and-digit runs (English stop words left out) and its other letter runs.

    >>> words("G7 高崎"), words("Ｇ７高崎"), words("the Beyond 5G基金")
    (('g7', '高崎'), ('g7', '高崎'), ('beyond', '5g', '基金'))
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    runs = (run for word in re.findall(r"\w+", folded) for run in _CJK_OR_WORD.findall(word))
    return tuple(dict.fromkeys(run for run in runs if not (run.isascii() and run in STOPWORDS)))


def tokens(text: str) -> frozenset[str]:
    """The words of a name (English stop words left out) and the character pairs of its CJK runs.

    >>> sorted(tokens("Institute of ICT"))
    ['ict', 'institute']
    >>> sorted(tokens("情報通信"))
    ['報通', '情報', '通信']
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    found: set[str] = set()
    for word in re.findall(r"\w+", folded):
        for run in _CJK_OR_WORD.findall(word):
            if run.isascii():
                if run not in STOPWORDS:
                    found.add(run)
            elif len(run) == 1:
                found.add(run)
            else:
                found.update(run[i : i + 2] for i in range(len(run) - 1))
    return frozenset(found)


@dataclass(frozen=True)
class Name:
    """One name of a resource: as written, its normal form, its kind (label, alt, hidden), language and tokens."""

    text: str
    key: str
    kind: str
    lang: str
    tokens: frozenset[str] = frozenset()


@dataclass
class Entry:
    """A resource (or class, or property) as the matcher knows it."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)
    names: list[Name] = field(default_factory=list)
    types: set[str] = field(default_factory=set)
    descriptions: dict[str, str] = field(default_factory=dict)
    links: int = 0  # how many other resources link to it: ranks equal scores

    def label(self, lang: str = "ja") -> str:
        """The primary label in `lang`, else in another language, else the IRI."""
        for candidate in (lang, *LANGUAGES):
            if candidate in self.labels:
                return self.labels[candidate]
        if self.labels:
            return next(iter(self.labels.values()))
        for name in self.names:
            if name.lang in (lang, ""):
                return name.text
        return self.iri

    def description(self, lang: str = "ja") -> str | None:
        """A description in `lang` (or another language), else None."""
        for candidate in (lang, *LANGUAGES):
            if candidate in self.descriptions:
                return self.descriptions[candidate]
        return None

    def add_name(self, text: str, kind: str, lang: str) -> None:
        key = normalise(text)
        if key:
            self.names.append(Name(text, key, kind, lang, tokens(text)))
        if kind == LABEL and (lang not in self.labels or len(text) < len(self.labels[lang])):
            self.labels[lang] = text


@dataclass(frozen=True)
class Hit:
    """A candidate: the entry, its score (0-100), the name that scored best, and whether that was equality."""

    entry: Entry
    score: float
    name: Name
    exact: bool

    @property
    def lang(self) -> str:
        """The language of the matched name, "ja" when it had none."""
        return self.name.lang or "ja"


class Matcher:
    """Finds entries by name. Candidates come from an exact-key map, a sorted key list (prefixes of names) and a
    token index, sorted too, so that a query's word may begin any word of a name ("Wiss" finds
    "Minister for Digital and Transport Wissing")."""

    def __init__(self, entries: Iterable[Entry]):
        self.entries: dict[str, Entry] = {entry.iri: entry for entry in entries}
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._tokens: dict[str, set[str]] = defaultdict(set)
        keys: set[tuple[str, str]] = set()
        for entry in self.entries.values():
            for name in entry.names:
                self._exact[name.key].add(entry.iri)
                keys.add((name.key, entry.iri))
                for token in name.tokens:
                    self._tokens[token].add(entry.iri)
        self._sorted = sorted(keys)
        self._sorted_tokens = sorted(self._tokens)

    def __len__(self) -> int:
        return len(self.entries)

    def search(
        self, query: str, *, allowed: Callable[[Entry], bool] | None = None, limit: int | None = 10
    ) -> list[Hit]:
        """Entries whose names match `query`, best first, at least MIN_SCORE, ties broken by IRI.

        :param allowed: keep only entries for which it returns True (e.g. a type filter).
        :param limit: the most hits returned; None for all.
        """
        key = normalise(query)
        if not key:
            return []
        query_tokens, query_words = tokens(query), words(query)
        hits = []
        for iri in self._candidates(key, query_tokens):
            entry = self.entries[iri]
            if allowed is not None and not allowed(entry):
                continue
            hit = self._score(entry, query, key, query_tokens, query_words)
            if hit is not None and hit.score >= MIN_SCORE:
                hits.append(hit)
        hits.sort(key=lambda hit: (-hit.score, -hit.entry.links, hit.entry.iri))
        return hits if limit is None else hits[:limit]

    def _candidates(self, key: str, query_tokens: frozenset[str]) -> set[str]:
        found = set(self._exact.get(key, ()))
        start = bisect_left(self._sorted, (key, ""))
        for name_key, iri in self._sorted[start:]:
            if not name_key.startswith(key):
                break
            found.add(iri)
        for token in query_tokens:
            found |= self._tokens.get(token, set())
            if len(token) >= 2 or not token.isascii():  # a word begun inside a name: Wiss, Matsu, 松
                start = bisect_left(self._sorted_tokens, token)
                for name_token in self._sorted_tokens[start:]:
                    if not name_token.startswith(token):
                        break
                    found |= self._tokens[name_token]
        return found

    def _score(
        self, entry: Entry, query: str, key: str, query_tokens: frozenset[str], query_words: tuple[str, ...]
    ) -> Hit | None:
        best, best_rank = None, None
        for name in entry.names:
            score, exact = score_name(key, query_tokens, name, query_words)
            rank = (-round(score, 1), _rank(name, query))
            if best_rank is None or rank < best_rank:
                best, best_rank = Hit(entry, round(score, 1), name, exact), rank
        return best


def _rank(name: Name, query: str) -> tuple[int, int, int]:
    """Among equally scored names: the one written as the query, then primary before alt before hidden, ja first."""
    language = LANGUAGES.index(name.lang) if name.lang in LANGUAGES else len(LANGUAGES)
    return (name.text.strip() != query.strip(), list(WEIGHTS).index(name.kind), language)


def score_name(
    key: str, query_tokens: frozenset[str], name: Name, query_words: tuple[str, ...] = ()
) -> tuple[float, bool]:
    """The score (0-100) of one name for a query in normal form, tokens and words, and whether they are equal.

    >>> score_name("nict", frozenset({"nict"}), Name("NICT", "nict", ALT, "en", frozenset({"nict"})))
    (95.0, True)
    >>> meeting = Name("G7群馬高崎", "g7群馬高崎", LABEL, "ja", tokens("G7群馬高崎"))
    >>> score_name(normalise("高崎 G7"), tokens("高崎 G7"), meeting, words("高崎 G7"))
    (80.0, False)
    """
    weight = WEIGHTS[name.kind]
    if key == name.key:
        return EXACT * weight, True
    score = 0.0
    if len(query_words) >= 2 and all(
        (word in name.tokens) if word.isascii() else (word in name.key) for word in query_words
    ):
        score = 60 + 30 * sum(map(len, query_words)) / len(name.key)
    if name.key.startswith(key):
        score = max(score, 50 + 40 * len(key) / len(name.key))
    elif len(key) >= 2 and key in name.key:
        score = max(score, 45 + 40 * len(key) / len(name.key))
    elif len(name.key) >= 2 and name.key in key:
        score = max(score, 40 + 40 * len(name.key) / len(key))
    shared = len(query_tokens & name.tokens)
    if shared:
        score = max(score, 80 * 2 * shared / (len(query_tokens) + len(name.tokens)))
    return score * weight, False


def is_certain(hits: list[Hit]) -> bool:
    """Whether the first hit is a certain match: equal to a primary or alt name, alone, well ahead.

    A hidden name is the NFKC form of a primary or alt name, so equality with it counts too.
    """
    if not hits or not hits[0].exact:
        return False
    if any(hit.exact for hit in hits[1:]):
        return False
    return len(hits) == 1 or hits[0].score - hits[1].score >= CERTAIN_MARGIN


# --- the index of one release -------------------------------------------------------------------

NAMES_QUERY = """
SELECT DISTINCT ?s ?p ?l WHERE { VALUES ?p { $predicates } ?s ?p ?l FILTER(isIRI(?s) && isLiteral(?l)) }
""".replace("$predicates", " ".join(f"<{iri}>" for iri in KINDS))
TYPES_QUERY = "SELECT DISTINCT ?s ?t WHERE { ?s a ?t FILTER(isIRI(?s) && isIRI(?t)) }"
DESCRIPTIONS_QUERY = """
SELECT ?s ?d WHERE { VALUES ?p { $predicates } ?s ?p ?d FILTER(isIRI(?s) && isLiteral(?d)) }
""".replace("$predicates", " ".join(f"<{iri}>" for iri in DESCRIPTION_PREDICATES))
SUBCLASS_QUERY = f"SELECT DISTINCT ?a ?b WHERE {{ ?a <{RDFS.subClassOf}> ?b FILTER(isIRI(?a) && isIRI(?b)) }}"
LINKS_QUERY = """
SELECT ?o (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?s ?p ?o FILTER(isIRI(?o) && ?s != ?o && STRSTARTS(STR(?o), "$resources") && STRSTARTS(STR(?s), "$resources"))
} GROUP BY ?o
"""
PREDICATES_QUERY = """
SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(STRSTARTS(STR(?s), "$resources")) } GROUP BY ?p
"""


@dataclass
class SearchIndex:
    """What one release's matcher knows: its resources, classes and properties.

    :ivar entities: the resources under ``{base}id/``.
    :ivar classes: every class used as a type or declared (owl:Class, rdfs:Class).
    :ivar properties: every predicate used by our resources, and every declared property.
    :ivar subclasses: class IRI -> itself and all its subclasses.
    :ivar usage: class IRI -> predicate IRI -> how many statements instances of the class make with it.
    """

    iris: Iris
    entities: Matcher
    classes: Matcher
    properties: Matcher
    subclasses: dict[str, frozenset[str]]
    usage: dict[str, Counter]

    def search(self, query: str, *, types: Iterable[str] = (), limit: int | None = 10) -> list[Hit]:
        """Resources matching `query`, of one of `types` (subclasses included) when given."""
        return self.entities.search(query, allowed=self.type_filter(types), limit=limit)

    def type_filter(self, types: Iterable[str]) -> Callable[[Entry], bool] | None:
        """A predicate keeping entries of one of `types` or their subclasses; None when `types` is empty."""
        wanted = self.expand_types(types)
        if not wanted:
            return None
        return lambda entry: not entry.types.isdisjoint(wanted)

    def expand_types(self, types: Iterable[str]) -> frozenset[str]:
        """`types` and all their subclasses."""
        expanded: set[str] = set()
        for iri in types:
            expanded |= self.subclasses.get(iri, frozenset({iri}))
        return frozenset(expanded)

    def resolve_type(self, text: str) -> frozenset[str]:
        """The class IRIs a user means by `text`: a full IRI, a prefixed name (``org:Organization``),
        a local name (``FormalOrganization``, case ignored) or a label (「組織」).

        :raises UnknownType: if nothing matches.
        """
        text = text.strip()
        if text in self.classes.entries or re.match(r"^https?://", text):
            return frozenset({text})
        prefix, colon, local = text.partition(":")
        namespaces = self.iris.prefixes()
        if colon and prefix in namespaces:
            return frozenset({namespaces[prefix] + local})
        wanted = text.casefold()
        by_local = {iri for iri in self.classes.entries if re.split(r"[/#]", iri)[-1].casefold() == wanted}
        if by_local:
            return frozenset(by_local)
        key = normalise(text)
        by_label = {iri for iri, entry in self.classes.entries.items() if any(n.key == key for n in entry.names)}
        if by_label:
            return frozenset(by_label)
        raise UnknownType(text)

    def resolve_property(self, text: str) -> str | None:
        """The property IRI a user means by `text` (an IRI, prefixed name, local name or label), else None."""
        text = text.strip()
        if text in self.properties.entries:
            return text
        prefix, colon, local = text.partition(":")
        namespaces = self.iris.prefixes()
        if colon and prefix in namespaces and namespaces[prefix] + local in self.properties.entries:
            return namespaces[prefix] + local
        if re.match(r"^https?://", text):
            return text
        key = normalise(text)
        for iri, entry in sorted(self.properties.entries.items()):
            if any(name.key == key for name in entry.names):
                return iri
        return None

    def type_label(self, iri: str, lang: str = "ja") -> str:
        """The label of a class, else its local name."""
        entry = self.classes.entries.get(iri)
        if entry is not None and entry.labels:
            return entry.label(lang)
        return re.split(r"[/#]", iri)[-1] or iri

    def property_label(self, iri: str, lang: str = "ja") -> str:
        entry = self.properties.entries.get(iri)
        if entry is not None and entry.labels:
            return entry.label(lang)
        return re.split(r"[/#]", iri)[-1] or iri

    def label(self, iri: str, lang: str = "ja") -> str:
        """The label of any IRI the index knows (resource, class or property), else the IRI."""
        for matcher in (self.entities, self.classes, self.properties):
            entry = matcher.entries.get(iri)
            if entry is not None and entry.labels:
                return entry.label(lang)
        return iri


class UnknownType(ValueError):
    """No class has the IRI, prefixed name, local name or label given."""

    def __init__(self, text: str):
        super().__init__(f"No class is called {text!r}; give a class IRI, a prefixed name or a class label.")
        self.text = text


def build_index(store: Store, iris: Iris) -> SearchIndex:
    """Read names, types, descriptions, classes and properties from the store's union graph.

    Runs a handful of SELECT queries; the store is only read.
    """
    resources = iris.base + ID_PATH
    everything: dict[str, Entry] = {}

    def entry(iri: str) -> Entry:
        found = everything.get(iri)
        if found is None:
            found = everything[iri] = Entry(iri)
        return found

    for row in _select(store, NAMES_QUERY):
        literal = row["l"]
        entry(row["s"].value).add_name(literal.value, KINDS[row["p"].value], (literal.language or "").lower())
    for row in _select(store, DESCRIPTIONS_QUERY):
        target = entry(row["s"].value)
        target.descriptions.setdefault((row["d"].language or "").lower(), row["d"].value)
    declared: dict[str, set[str]] = defaultdict(set)
    for row in _select(store, TYPES_QUERY):
        declared[row["s"].value].add(row["t"].value)
    for iri, types in declared.items():
        if iri.startswith(resources):
            entry(iri).types |= types

    subclass_pairs = [(row["a"].value, row["b"].value) for row in _select(store, SUBCLASS_QUERY)]
    class_iris = {t for iri, types in declared.items() if iri.startswith(resources) for t in types}
    class_iris |= {iri for iri, types in declared.items() if not types.isdisjoint(CLASS_TYPES)}
    class_iris |= {iri for pair in subclass_pairs for iri in pair}
    property_iris = {iri for iri, types in declared.items() if not types.isdisjoint(PROPERTY_TYPES)}
    used = {
        row["p"].value: int(row["n"].value) for row in _select(store, PREDICATES_QUERY.replace("$resources", resources))
    }
    property_iris |= set(used)

    for row in _select(store, LINKS_QUERY.replace("$resources", resources)):
        if row["o"].value in everything:
            everything[row["o"].value].links = int(row["n"].value)
    entities = [e for iri, e in everything.items() if iri.startswith(resources) and e.names]
    classes = [_vocabulary_entry(everything, iri, iris) for iri in sorted(class_iris)]
    properties = [_vocabulary_entry(everything, iri, iris) for iri in sorted(property_iris)]
    index = SearchIndex(
        iris=iris,
        entities=Matcher(entities),
        classes=Matcher(classes),
        properties=Matcher(properties),
        subclasses=_subclass_closure(class_iris, subclass_pairs),
        usage=_usage(store, resources),
    )
    log.info(
        "search index: %d resources, %d classes, %d properties",
        len(index.entities),
        len(index.classes),
        len(index.properties),
    )
    return index


def _select(store: Store, query: str):
    return store.query(query, use_default_graph_as_union=True)


def _vocabulary_entry(everything: dict[str, Entry], iri: str, iris: Iris) -> Entry:
    """A class or property entry: its labels, plus its local name and prefixed name as hidden names."""
    known = everything.get(iri) or Entry(iri)
    target = Entry(iri, dict(known.labels), list(known.names), set(known.types), dict(known.descriptions))
    local = re.split(r"[/#]", iri)[-1]
    if local:
        target.add_name(local, HIDDEN, "")
    for prefix, namespace in iris.prefixes().items():
        if iri.startswith(namespace) and local and iri == namespace + local:
            target.add_name(f"{prefix}:{local}", HIDDEN, "")
    return target


def _subclass_closure(classes: set[str], pairs: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
    children: dict[str, set[str]] = defaultdict(set)
    for sub, sup in pairs:
        children[sup].add(sub)
    closure: dict[str, frozenset[str]] = {}
    for iri in classes:
        seen, stack = {iri}, [iri]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        closure[iri] = frozenset(seen)
    return closure


USAGE_QUERY = """
SELECT ?t ?p (COUNT(*) AS ?n) WHERE { ?s a ?t ; ?p ?o FILTER(STRSTARTS(STR(?s), "$resources")) } GROUP BY ?t ?p
"""


def _usage(store: Store, resources: str) -> dict[str, Counter]:
    usage: dict[str, Counter] = defaultdict(Counter)
    for row in _select(store, USAGE_QUERY.replace("$resources", resources)):
        usage[row["t"].value][row["p"].value] += int(row["n"].value)
    return dict(usage)


class Indexes:
    """The index of the release being served, built on first use and again after each reload."""

    def __init__(self, releases: Releases):
        self._releases = releases
        self._lock = threading.Lock()
        self._release: Release | None = None
        self._index: SearchIndex | None = None

    def current(self) -> SearchIndex:
        release, engine = self._releases.current
        with self._lock:
            if self._release is not release or self._index is None:
                self._index = build_index(engine, release.iris)
                self._release = release
            return self._index
