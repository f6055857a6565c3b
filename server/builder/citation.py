"""How to cite a release: a sentence, BibTeX and CSL-JSON, in Japanese and English, from the dataset's record.

The build writes ``citation.bib`` (one entry per language) and ``citation-csl.json`` (a CSL-JSON
array, one item per language) into the release; the home page and the dataset's page show the
same texts (server/web/void.py), made by the same functions.

>>> from server.builder.dataset import Record
>>> record = Record("https://x.org/id/dataset/d", {"ja": "題", "en": "Title"}, {}, {"ja": "出典", "en": "Source"},
...                 publisher={"ja": "編集者", "en": "The editors"})
>>> print(sentence(record, version="20260101-abcdef12", built_at=datetime(2026, 1, 2), lang="en"))
The editors. Title. Release 20260101-abcdef12, 2026-01-02. https://x.org/id/dataset/d. Source.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from server.builder.dataset import LANGUAGES
from server.builder.dataset import Record

CITATION_BIB = "citation.bib"
CITATION_CSL = "citation-csl.json"
BIBTEX_SPECIAL = str.maketrans({c: "\\" + c for c in "&%$#_{}"})


def _key(record: Record, version: str, lang: str) -> str:
    slug = record.dataset.rstrip("/").rsplit("/", 1)[-1]
    return f"{slug}-{version}-{lang}"


def _author(record: Record, lang: str) -> str:
    return record.publisher.get(lang) or record.publisher.get("en") or ""


def sentence(record: Record, *, version: str, built_at: datetime, lang: str) -> str:
    """The citation as one sentence: publisher, title, release and date, dataset IRI, attribution."""
    release = f"リリース {version}、{built_at:%Y-%m-%d}" if lang == "ja" else f"Release {version}, {built_at:%Y-%m-%d}"
    parts = [_author(record, lang), record.title[lang], release, record.dataset, record.attribution.get(lang, "")]
    end = "。" if lang == "ja" else "."
    return " ".join(part.rstrip(end) + end for part in parts if part)


def bibtex(record: Record, *, version: str, built_at: datetime, lang: str) -> str:
    """One BibTeX ``@misc`` entry (classic BibTeX has no dataset type); the author is a name in braces."""
    fields = {
        "author": "{" + _author(record, lang).translate(BIBTEX_SPECIAL) + "}",
        "title": "{" + record.title[lang].translate(BIBTEX_SPECIAL) + "}",
        "howpublished": "{Linked open data}" if lang == "en" else "{リンクトオープンデータ}",
        "year": "{" + f"{built_at:%Y}" + "}",
        "month": "{" + f"{built_at:%m}" + "}",
        "version": "{" + version + "}",
        "url": "{" + record.dataset + "}",
        "note": "{" + record.attribution.get(lang, "").translate(BIBTEX_SPECIAL) + "}",
        "language": "{" + ("japanese" if lang == "ja" else "english") + "}",
    }
    body = ",\n".join(f"  {name} = {value}" for name, value in fields.items() if value != "{}")
    return f"@misc{{{_key(record, version, lang)},\n{body}\n}}\n"


def csl_item(record: Record, *, version: str, built_at: datetime, lang: str) -> dict:
    """One CSL-JSON item of type "dataset"."""
    item = {
        "id": _key(record, version, lang),
        "type": "dataset",
        "title": record.title[lang],
        "author": [{"literal": _author(record, lang)}] if _author(record, lang) else [],
        "publisher": _author(record, lang),
        "issued": {"date-parts": [[built_at.year, built_at.month, built_at.day]]},
        "version": version,
        "URL": record.dataset,
        "note": record.attribution.get(lang, ""),
        "language": lang,
    }
    return {key: value for key, value in item.items() if value}


def write_citations(directory: Path, record: Record, *, version: str, built_at: datetime) -> list[Path]:
    """Write citation.bib and citation-csl.json into `directory`, each in every language."""
    entries = [bibtex(record, version=version, built_at=built_at, lang=lang) for lang in LANGUAGES]
    (directory / CITATION_BIB).write_text("\n".join(entries), encoding="utf-8")
    items = [csl_item(record, version=version, built_at=built_at, lang=lang) for lang in LANGUAGES]
    (directory / CITATION_CSL).write_text(json.dumps(items, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return [directory / CITATION_BIB, directory / CITATION_CSL]
