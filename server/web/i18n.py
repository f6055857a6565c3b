"""The interface in Japanese and English: the strings, and which language a request gets.

The language of a page is, first match wins:

1. the ``lang`` query parameter (``?lang=ja``, ``?lang=en``), which is also
   remembered in the ``lang`` cookie for a year;
2. the ``lang`` cookie;
3. the ``Accept-Language`` header;
4. English.

Every page links to itself in the other language (``lang_url``), and the
templates read their words through ``t("key")``.

>>> translate("search", "ja")
'検索'
>>> pick({"ja": "総務省", "en": "MIC"}, "en")
'MIC'
>>> pick({"ja": "総務省"}, "en")
'総務省'
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from flask import Blueprint
from flask import Response
from flask import request

from server.common.config import Config

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "en"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Query parameters a language link keeps; anything else is dropped.
KEPT_PARAMETERS = ("q", "query", "format", "type")
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "site_name": {"ja": "総務省 国際ICT戦略 LOD", "en": "MIC ICT strategy LOD"},
    "skip": {"ja": "本文へ移動", "en": "Skip to content"},
    "nav_main": {"ja": "サイト内", "en": "Site"},
    "nav_home": {"ja": "ホーム", "en": "Home"},
    "nav_query": {"ja": "クエリ", "en": "Query"},
    "nav_timeline": {"ja": "年表", "en": "Timeline"},
    "nav_downloads": {"ja": "ダウンロード", "en": "Downloads"},
    "nav_ontology": {"ja": "語彙", "en": "Ontology"},
    "language": {"ja": "言語", "en": "Language"},
    "search": {"ja": "検索", "en": "Search"},
    "search_label": {"ja": "名前で探す（日本語・英語）", "en": "Find by name (Japanese or English)"},
    "search_placeholder": {"ja": "例：Ｇ７、総務省、Beyond 5G", "en": "e.g. G7, MIC, Beyond 5G"},
    "search_title": {"ja": "検索", "en": "Search"},
    "search_results_for": {"ja": "「{q}」の検索結果", "en": "Results for “{q}”"},
    "search_none": {"ja": "見つかりませんでした。", "en": "Nothing found."},
    "search_count": {"ja": "{n} 件", "en": "{n} found"},
    "search_unavailable": {
        "ja": "検索はまだ使えません。SPARQL で探してください。",
        "en": "Search is not available yet; use the SPARQL endpoint instead.",
    },
    "search_hint": {
        "ja": "全角・半角どちらで入力しても見つかります（「Ｇ７」も「G7」も）。",
        "en": "Full-width and ordinary letters both match (「Ｇ７」 and “G7”).",
    },
    "footer_source": {
        "ja": "出典：総務省「総務省2023年度業務案内」（国際戦略局）を加工して作成",
        "en": "Source: MIC “2023 business guide” (International Strategy Bureau), edited by the publisher of this site",
    },
    "footer_not_mic": {
        "ja": "本サイトは総務省の公表物ではありません。",
        "en": "This site is not a publication of MIC.",
    },
    "footer_terms": {
        "ja": "データは政府標準利用規約（第2.0版）に準拠（CC BY 4.0 互換）。",
        "en": "Data under the Government of Japan Standard Terms of Use (Version 2.0), compatible with CC BY 4.0.",
    },
    # home
    "home_about": {"ja": "このデータについて", "en": "About this data"},
    "home_source": {"ja": "出典と利用条件", "en": "Source and terms of use"},
    "home_source_text": {
        "ja": "原典は総務省「総務省2023年度業務案内」の国際戦略局の頁です。"
        "本データはその文を編集して作ったもので、総務省が公表したものではありません。"
        "利用の際は次のように出典を示してください：",
        "en": "The source is the International Strategy Bureau pages of MIC's “2023 business guide” "
        "(総務省2023年度業務案内). This data was edited from that text by the publisher of this site; "
        "it is not a publication of MIC. When you use it, credit the source as:",
    },
    "home_terms_text": {
        "ja": "政府標準利用規約（第2.0版）に準拠し、CC BY 4.0 と互換です。",
        "en": "It is under the Government of Japan Standard Terms of Use (Version 2.0), compatible with CC BY 4.0.",
    },
    "home_entry": {"ja": "入口", "en": "Where to start"},
    "home_organizations": {"ja": "組織", "en": "Organisations"},
    "home_people": {"ja": "人物", "en": "People"},
    "home_more": {"ja": "ほか {n} 件は検索か SPARQL で", "en": "and {n} more: use the search or SPARQL"},
    "home_themes": {"ja": "Ｇ７会合の６つのテーマ", "en": "The six themes of the G7 meeting"},
    "home_meeting": {"ja": "Ｇ７会合", "en": "The G7 meeting"},
    "home_fund": {"ja": "基金", "en": "The fund"},
    "home_counts": {"ja": "種類ごとの件数", "en": "Counts by class"},
    "home_class": {"ja": "種類", "en": "Class"},
    "home_count": {"ja": "件数", "en": "Resources"},
    "home_release": {"ja": "最新リリース", "en": "Latest release"},
    "home_release_text": {"ja": "リリース {version}（{built} 作成）", "en": "Release {version}, built {built}"},
    "home_all_downloads": {"ja": "すべてのファイルと過去のリリース", "en": "All files and past releases"},
    "home_linksets": {"ja": "外部リンク集（リンクセット）", "en": "Link sets to other datasets"},
    "home_linksets_text": {
        "ja": "Wikidata、法人番号、ISO 3166 への対応づけは別ファイルでも取得できます。",
        "en": "The links to Wikidata, corporate numbers and ISO 3166 can be downloaded on their own.",
    },
    "home_endpoint": {"ja": "SPARQL エンドポイント", "en": "SPARQL endpoint"},
    "home_endpoint_text": {
        "ja": "読み取り専用の SPARQL 1.1 エンドポイント：",
        "en": "A read-only SPARQL 1.1 endpoint:",
    },
    "home_workbench": {"ja": "クエリ作業台で例を試す", "en": "Try the examples in the query workbench"},
    "home_timeline": {"ja": "日付のある出来事の年表", "en": "A timeline of the dated events"},
    "home_void": {"ja": "データセットの記述（VoID/DCAT）", "en": "Dataset description (VoID/DCAT)"},
    "file": {"ja": "ファイル", "en": "File"},
    "size": {"ja": "大きさ", "en": "Size"},
    "bytes": {"ja": "バイト", "en": "bytes"},
    # downloads
    "dl_title": {"ja": "ダウンロード", "en": "Downloads"},
    "dl_intro": {
        "ja": "リリース {version}（{built} 作成）。"
        "ダンプにはデータセット記述（graph/dataset）を含むすべてのグラフが入っています。"
        "releases/{version}/ 以下のリンクは変わりません。",
        "en": "Release {version}, built {built}. The dumps hold every graph, including the dataset description "
        "(graph/dataset). Links under releases/{version}/ never change.",
    },
    "dl_json": {"ja": "この一覧の JSON", "en": "This listing as JSON"},
    "dl_format": {"ja": "形式", "en": "Format"},
    "dl_changes": {"ja": "変更", "en": "Changes"},
    "dl_changes_text": {
        "ja": "リリース {previous} から {added} 件の四つ組を追加、{removed} 件を削除。",
        "en": "Since release {previous}: {added} quad(s) added, {removed} removed.",
    },
    "dl_added": {"ja": "追加分", "en": "added"},
    "dl_removed": {"ja": "削除分", "en": "removed"},
    "dl_first": {
        "ja": "最初のリリースです。比べるものはありません。",
        "en": "This is the first release; there is nothing to compare it with.",
    },
    "dl_past": {"ja": "過去のリリース", "en": "Past releases"},
    "dl_none": {"ja": "まだありません。", "en": "None yet."},
    # resource
    "type": {"ja": "種類", "en": "Type"},
    "properties": {"ja": "属性", "en": "Properties"},
    "property": {"ja": "属性", "en": "Property"},
    "value": {"ja": "値", "en": "Value"},
    "stated_in": {"ja": "出典箇所", "en": "Stated in"},
    "inbound": {"ja": "この資源を指す文", "en": "Statements pointing here"},
    "subject": {"ja": "主語", "en": "Subject"},
    "graph_contents": {"ja": "このグラフの文", "en": "Statements in this graph"},
    "truncated": {
        "ja": "一部のみ表示しています。すべては SPARQL で取得できます。",
        "en": "Only part of what points here is shown; the SPARQL endpoint has the rest.",
    },
    "external_links": {"ja": "外部リンク", "en": "External links"},
    "sources": {"ja": "出典（原文）", "en": "Sources (the original text)"},
    "sources_text": {
        "ja": "この頁の文は、次の箇所の原文から作りました。",
        "en": "The statements on this page were drawn from these passages of the source (in Japanese).",
    },
    "states": {"ja": "この箇所による文", "en": "Stated here"},
    "neighbourhood": {"ja": "つながりの図", "en": "Neighbourhood"},
    "neighbourhood_text": {
        "ja": "左はこの資源を指すもの、右はこの資源が指すもの（それぞれ最大 {n} 件）。枠を選ぶとその頁へ移ります。",
        "en": "On the left what points here, on the right what this points to (at most {n} each). "
        "Each box links to its page.",
    },
    "machine_readable": {"ja": "機械可読形式", "en": "Machine-readable"},
    "release": {"ja": "リリース", "en": "release"},
    "blank_node": {"ja": "[空白ノード]", "en": "[blank node]"},
    # workbench
    "wb_title": {"ja": "クエリ作業台", "en": "Query workbench"},
    "wb_intro": {
        "ja": "SPARQL でデータに問い合わせます。例を選ぶか、クエリを書いて実行してください（Ctrl+Enter でも実行）。",
        "en": "Ask the data in SPARQL. Pick an example or write a query and run it (Ctrl+Enter runs it too).",
    },
    "wb_query": {"ja": "クエリ", "en": "Query"},
    "wb_run": {"ja": "実行", "en": "Run query"},
    "wb_answer_as": {"ja": "結果の形式", "en": "Answer as"},
    "wb_html_table": {"ja": "この頁の表", "en": "Table in this page"},
    "wb_examples": {"ja": "クエリの例", "en": "Example queries"},
    "wb_examples_text": {
        "ja": "本文が答えを持つ問い（能力質問）と、集計の例です。",
        "en": "The questions the text answers (competency questions), and a few counts.",
    },
    "wb_results": {"ja": "結果", "en": "Results"},
    "wb_rows": {"ja": "{n} 行", "en": "{n} rows"},
    "wb_row": {"ja": "1 行", "en": "1 row"},
    "wb_share": {"ja": "このクエリへのリンク", "en": "Link to this query"},
    "wb_copy": {"ja": "リンクをコピー", "en": "Copy link"},
    "wb_copied": {"ja": "コピーしました", "en": "Copied"},
    "wb_download": {"ja": "結果のダウンロード", "en": "Download the results"},
    "wb_chart": {"ja": "グラフ", "en": "Chart"},
    "wb_endpoint": {"ja": "エンドポイント", "en": "The endpoint"},
    "wb_dataset": {"ja": "データセット", "en": "Dataset"},
    "wb_prefixes": {"ja": "定義済みの接頭辞", "en": "Predefined prefixes"},
    "wb_prefix": {"ja": "接頭辞", "en": "Prefix"},
    "wb_namespace": {"ja": "名前空間", "en": "Namespace"},
    "wb_graph": {"ja": "名前付きグラフ", "en": "Named graph"},
    "wb_triples": {"ja": "トリプル数", "en": "Triples"},
    "wb_limits": {"ja": "形式と制限", "en": "Formats and limits"},
    "wb_service": {"ja": "サービス記述", "en": "Service description"},
    "true": {"ja": "真 (true)", "en": "true"},
    "false": {"ja": "偽 (false)", "en": "false"},
    # timeline
    "tl_title": {"ja": "年表", "en": "Timeline"},
    "tl_intro": {
        "ja": "データ中の日付（開始日・終了日・策定・成立・施行など）を時間順に並べました。",
        "en": "Every date in the data (start and end dates, formulated, passed, in force and so on), in order.",
    },
    "tl_date": {"ja": "日付", "en": "Date"},
    "tl_what": {"ja": "出来事", "en": "What"},
    "tl_as_written": {"ja": "原文の表記", "en": "As written"},
    # errors
    "error": {"ja": "エラー", "en": "Error"},
    "back_home": {"ja": "ホームへ戻る", "en": "Back to the home page"},
}


def translate(key: str, lang: str, **values: object) -> str:
    """The interface string `key` in `lang`, with ``{name}`` fields filled from `values`.

    :raises KeyError: for an unknown key (a template typo fails its test, not silently).
    """
    text = STRINGS[key].get(lang) or STRINGS[key][DEFAULT_LANGUAGE]
    return text.format(**values) if values else text


def pick(texts: Mapping[str, str], lang: str) -> str:
    """The text of `texts` (language -> text) in `lang`, else English, else Japanese, else any, else ""."""
    for code in (lang, DEFAULT_LANGUAGE, "ja", ""):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


def choose_language() -> str:
    """The language of the current request's page: ``lang`` parameter, cookie, Accept-Language, English."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    remembered = request.cookies.get(COOKIE)
    if remembered in LANGUAGES:
        return remembered
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def lang_url(code: str) -> str:
    """This page's URL in language `code`, keeping the parameters that say what the page shows.

    Resource pages keep none: their bodies are cached per language and shared between requests.
    """
    cached = (request.blueprint or "") == "resources"
    params = [(name, value) for name, value in request.args.items(multi=True) if name in KEPT_PARAMETERS and not cached]
    return request.script_root + request.path + "?" + urlencode(params + [("lang", code)])


def make_blueprint(config: Config) -> Blueprint:
    """Blueprint "i18n": gives every template `lang`, `t`, `pick` and `lang_url`, and remembers ``?lang=``."""
    blueprint = Blueprint("i18n", __name__)

    @blueprint.app_context_processor
    def language_context() -> dict:
        lang = choose_language()
        return {
            "lang": lang,
            "languages": LANGUAGE_NAMES,
            "t": lambda key, **values: translate(key, lang, **values),
            "pick": lambda texts: pick(texts, lang),
            "lang_url": lang_url,
        }

    @blueprint.after_app_request
    def remember_language(response: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
        if response.mimetype == "text/html":
            response.vary.add("Cookie")
        return response

    return blueprint
