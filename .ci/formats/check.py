"""The news formats, checked against a live dateline server.

- Feeds: Atom, RSS and JSON Feed 1.1 for the latest articles, a topic, an author and an entity,
  each entry compared with the JSON article list the feed stands for (same query parameters);
  their Content-Types, 404s for unknown slugs, ETags and 304s.
- ninjs out: the seed article as ninjs 2.2 and 3.1 (by `?format=ninjs&ninjs_version=` and by
  `Accept: application/ninjs+json; version=`), each validated against IPTC's JSON Schema for its
  version (tests/data/ninjs, offline: the GeoJSON schema the ninjs schemas $ref is a local copy),
  406 for a type the server cannot give.
- JSON-LD: the seed article as a schema.org NewsArticle.
- ninjs in: a ninjs 3.1 text item with a picture POSTed as application/ninjs+json, read back as
  JSON and as ninjs; an invalid one is a 422 naming the field.

Usage: python check.py BASE_URL WRITE_KEY

Prints one `ok: ...` line per check and stops at the first failure with a message showing what
was got and what was expected (exit status 1). It writes two articles' worth of requests (one
created, one rejected), so run it after the checks that read the demo data as it was loaded.
"""

import dataclasses
import datetime
import html
import json
import pathlib
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

import feedparser
import jsonschema
import referencing

ROOT = pathlib.Path(__file__).resolve().parents[2]
NINJS = ROOT / "tests" / "data" / "ninjs"
GEOJSON_ID = "https://geojson.org/schema/GeoJSON.json"

# The demo data (data/demo/turan.json) this checks against.
SEED = "us-formally-rejects-russias-top-security-demands"
SEED_AUTHOR = "Alex Raufoglu"
SEED_LOCATED = "Washington D.C."
DIPLOMACY_QCODE = "medtop:20000639"
DIPLOMACY_URI = "http://cv.iptc.org/newscodes/mediatopic/20000639"

# The ninjs property names that differ between the versions served (2.x lower case, 3.x camelCase).
NINJS_NAMES = {
    "2.2": {"firstcreated": "firstcreated", "versioncreated": "versioncreated",
            "contenttype": "contenttype"},
    "3.1": {"firstcreated": "firstCreated", "versioncreated": "versionCreated",
            "contenttype": "contentType"},
}
DEFAULT_NINJS_VERSION = "3.1"

BASE = ""  # set by main()


class CheckFailed(Exception):
    pass


def fail(message):
    raise CheckFailed(message)


def ok(message):
    print(f"ok: {message}", flush=True)


def show(value):
    return value.isoformat() if isinstance(value, datetime.datetime) else repr(value)


def expect_equal(what, got, expected):
    if got != expected:
        fail(f"{what}:\n    got      {show(got)}\n    expected {show(expected)}")


# --- HTTP ------------------------------------------------------------------------------------

@dataclasses.dataclass
class Response:
    url: str
    status: int
    headers: object  # an email.message.Message
    body: bytes

    def header(self, name):
        return self.headers.get(name)

    def header_values(self, name):
        """A list header's values, across repeated header lines."""
        values = []
        for line in self.headers.get_all(name) or []:
            values += [v.strip() for v in line.split(",") if v.strip()]
        return values

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            fail(f"{self.url}: the body is not JSON ({e}): {self.body[:300]!r}")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer to check, not to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirects)


def fetch(path, headers=None, method="GET", body=None):
    url = BASE + path
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with OPENER.open(request, timeout=30) as r:
            return Response(url, r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Response(url, e.code, e.headers, e.read())
    except (urllib.error.URLError, OSError) as e:
        fail(f"{method} {url}: no answer ({e})")


def expect_status(resp, *statuses):
    if resp.status not in statuses:
        wanted = " or ".join(map(str, statuses))
        fail(f"{resp.url}: status {resp.status}, expected {wanted}; body: {resp.body[:500]!r}")


def media_type(resp, expected, **allowed_params):
    """Content-Type must be `expected`, optionally with `charset=utf-8` and with the given other
    parameters (each at its given value). Returns the header as sent."""
    raw = resp.header("Content-Type")
    if raw is None:
        fail(f"{resp.url}: no Content-Type, expected {expected}")
    main, *params = [p.strip() for p in raw.split(";")]
    if main.lower() != expected:
        fail(f"{resp.url}: Content-Type {raw!r}, expected {expected!r}")
    allowed = {"charset": "utf-8", **{k.lower(): v for k, v in allowed_params.items()}}
    for param in filter(None, params):
        key, _, value = param.partition("=")
        key, value = key.strip().lower(), value.strip().strip('"')
        if key not in allowed or value.lower() != allowed[key].lower():
            fail(f"{resp.url}: Content-Type {raw!r}: parameter {param!r} is not allowed here "
                 f"(allowed: {', '.join(f'{k}={v}' for k, v in allowed.items())})")
    return raw


def expect_problem(resp, status):
    expect_status(resp, status)
    media_type(resp, "application/problem+json")
    problem = resp.json()
    if not isinstance(problem, dict):
        fail(f"{resp.url}: the problem document is not an object: {problem!r}")
    expect_equal(f"{resp.url}: the problem's status", problem.get("status"), status)
    return problem


def expect_vary_accept(resp):
    vary = [v.lower() for v in resp.header_values("Vary")]
    if "accept" not in vary and "*" not in vary:
        fail(f"{resp.url}: Vary {resp.header_values('Vary')!r} does not include Accept")


# --- values ----------------------------------------------------------------------------------

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(value, what):
    if not isinstance(value, str) or not RFC3339.match(value):
        fail(f"{what}: {value!r} is not an RFC 3339 date-time")
    try:
        return utc_second(datetime.datetime.fromisoformat(value.upper()))
    except ValueError as e:
        fail(f"{what}: {value!r} is not a date-time ({e})")


def utc_second(dt):
    return dt.astimezone(datetime.timezone.utc).replace(microsecond=0)


def from_struct_time(st):
    return None if st is None else datetime.datetime(*st[:6], tzinfo=datetime.timezone.utc)


def dedupe(names):
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
    return seen


# --- ninjs validation ------------------------------------------------------------------------

FORMATS = jsonschema.FormatChecker()
# jsonschema checks these two formats only with optional packages; the stdlib does here.
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value):
    if not isinstance(value, str):
        return True
    if not RFC3339.match(value):
        return False
    datetime.datetime.fromisoformat(value.upper())  # a ValueError fails the format
    return True


@FORMATS.checks("uri")
def _is_uri(value):
    return not isinstance(value, str) or bool(URI.match(value))


_validators = {}


def ninjs_validator(version):
    if version not in _validators:
        geojson = referencing.Resource.from_contents(json.loads((NINJS / "GeoJSON.json").read_text()))
        registry = referencing.Registry().with_resource(GEOJSON_ID, geojson)
        schema = json.loads((NINJS / f"ninjs-schema_{version}.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        _validators[version] = jsonschema.Draft202012Validator(
            schema, registry=registry, format_checker=FORMATS)
    return _validators[version]


def ninjs_errors(doc, version):
    errors = sorted(ninjs_validator(version).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def validate_ninjs(doc, version, what):
    errors = ninjs_errors(doc, version)
    if errors:
        fail(f"{what} is not valid ninjs {version} ({len(errors)} errors):\n    "
             + "\n    ".join(errors[:10]))


def check_offline_schemas():
    """The local schemas accept IPTC's own examples and resolve GeoJSON without a network."""
    count = 0
    for folder, version in (("2.1", "2.2"), ("2.2", "2.2"), ("3.0", "3.1"), ("3.1", "3.1")):
        for path in sorted((NINJS / "examples" / folder).glob("*.json")):
            validate_ninjs(json.loads(path.read_text()), version, f"IPTC's example {folder}/{path.name}")
            count += 1
    if count == 0:
        fail(f"no ninjs examples under {NINJS / 'examples'}")
    for version, geo in (("2.2", "geojson"), ("3.1", "geoJSON")):
        place = {"name": "Tbilisi", geo: {"type": "Point", "coordinates": [44.79, 41.72]}}
        validate_ninjs({"uri": "urn:x:geo", "places": [place]}, version, "a place with a GeoJSON point")
        place[geo] = {"type": "Point", "coordinates": "here"}
        if not ninjs_errors({"uri": "urn:x:geo", "places": [place]}, version):
            fail(f"ninjs {version}: a broken GeoJSON point validated: the GeoJSON $ref is not checked")
    ok(f"offline ninjs schemas 2.2 and 3.1: {count} IPTC text examples valid, GeoJSON $ref resolved locally")


# --- feeds -----------------------------------------------------------------------------------

FEED_KINDS = {  # extension: (Content-Type, how the document is recognised)
    "atom": ("application/atom+xml", "atom10"),
    "rss": ("application/rss+xml", "rss20"),
    "json": ("application/feed+json", "https://jsonfeed.org/version/1.1"),
}

# (name, feed path without the extension, the JSON list it stands for, query)
FEEDS = [
    ("latest", "/v1/feeds/latest", "/v1/articles", ""),
    ("latest, limit=5", "/v1/feeds/latest", "/v1/articles", "?limit=5"),
    ("latest, topic+language+limit", "/v1/feeds/latest", "/v1/articles",
     "?topic=diplomacy&language=en&limit=3"),
    ("topic diplomacy", "/v1/topics/diplomacy/feed", "/v1/topics/diplomacy/articles", ""),
    ("author alex-raufoglu", "/v1/authors/alex-raufoglu/feed", "/v1/authors/alex-raufoglu/articles", ""),
    ("entity antony-blinken", "/v1/entities/antony-blinken/feed", "/v1/entities/antony-blinken/articles", ""),
]


@dataclasses.dataclass
class Entry:
    """A feed entry as the comparison sees it, whatever the format."""
    title: object
    link: object
    published: object
    updated: object
    authors: list
    tags: set
    summary: object


def xml_feed_entries(resp, version):
    parsed = feedparser.parse(resp.body, response_headers={"content-type": resp.header("Content-Type")})
    if parsed.bozo:
        fail(f"{resp.url}: feedparser finds the feed malformed: {parsed.bozo_exception!r}")
    expect_equal(f"{resp.url}: the feed format feedparser detects", parsed.version, version)
    # RFC 4287: an entry without an author has the feed's.
    feed_authors = [a.get("name") for a in parsed.feed.get("authors", []) if a.get("name")]
    entries = []
    for e in parsed.entries:
        authors = dedupe(a.get("name") for a in e.get("authors", []) if a.get("name"))
        if not authors and version == "atom10":
            authors = feed_authors
        tags = {t.get("term") for t in e.get("tags", [])} | {t.get("label") for t in e.get("tags", [])}
        entries.append(Entry(
            title=as_text(e, "title"), link=e.get("link"),
            published=from_struct_time(e.get("published_parsed")),
            # Not e.get: feedparser 6 falls back from a missing `updated` to `published`.
            updated=from_struct_time(dict.get(e, "updated_parsed")),
            authors=authors, tags=tags - {None}, summary=as_text(e, "summary")))
    return entries


def as_text(entry, key):
    """An entry's title or summary as text. RSS descriptions (and Atom's type="html") are HTML,
    which feedparser hands over as it is, so a lead's `&` arrives as `&amp;`; an RSS title is
    text or HTML as feedparser guesses it."""
    value = entry.get(key)
    if value is None or entry.get(f"{key}_detail", {}).get("type") not in ("text/html", "application/xhtml+xml"):
        return value
    return html.unescape(re.sub(r"<[^>]*>", "", value))


def json_feed_entries(resp, version):
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1); feedparser reads only XML feeds."""
    feed = resp.json()
    if not isinstance(feed, dict):
        fail(f"{resp.url}: a JSON Feed is an object, got {feed!r:.200}")
    expect_equal(f"{resp.url}: JSON Feed version", feed.get("version"), version)
    if not isinstance(feed.get("title"), str):
        fail(f"{resp.url}: JSON Feed `title` must be a string, got {feed.get('title')!r}")
    if not isinstance(feed.get("items"), list):
        fail(f"{resp.url}: JSON Feed `items` must be an array, got {feed.get('items')!r:.200}")
    feed_authors = [a.get("name") for a in feed.get("authors") or [] if isinstance(a, dict)]
    entries = []
    for i, item in enumerate(feed["items"]):
        where = f"{resp.url}: items[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            fail(f"{where}: an item must be an object with a non-empty string `id`: {item!r:.300}")
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            fail(f"{where}: JSON Feed 1.1 requires `content_html` or `content_text`")
        authors = item.get("authors")
        if authors is None:  # JSON Feed 1.1: an item without authors has the feed's
            authors = [{"name": n} for n in feed_authors]
        if not isinstance(authors, list) or not all(isinstance(a, dict) for a in authors):
            fail(f"{where}: `authors` must be an array of objects, got {authors!r}")
        tags = item.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            fail(f"{where}: `tags` must be an array of strings, got {tags!r}")
        entries.append(Entry(
            title=item.get("title"), link=item.get("url"),
            published=item.get("date_published") and parse_rfc3339(item["date_published"], f"{where}.date_published"),
            updated=item.get("date_modified") and parse_rfc3339(item["date_modified"], f"{where}.date_modified"),
            authors=[a.get("name") for a in authors], tags=set(tags), summary=item.get("summary")))
    return entries


def compare_entries(feed_url, entries, list_url, items):
    titles = [e.title for e in entries]
    headlines = [a["headline"] for a in items]
    if titles != headlines:
        fail(f"{feed_url}: the entries are not the list's articles in its order "
             f"({len(titles)} entries, {len(headlines)} articles in {list_url}):\n"
             f"    entry titles {titles!r}\n    headlines    {headlines!r}")
    for i, (entry, article) in enumerate(zip(entries, items)):
        where = f"{feed_url}: entry {i} ({article['slug']})"
        expect_equal(f"{where}: link", entry.link, article.get("url") or BASE + article["links"]["self"])
        published = parse_rfc3339(article["published_at"], f"{list_url}: published_at")
        updated = parse_rfc3339(article["updated_at"], f"{list_url}: updated_at")
        expect_equal(f"{where}: published (UTC, to the second)", entry.published, published)
        hint = ""
        if entry.updated is None and urllib.parse.urlsplit(feed_url).path.endswith(".rss"):
            hint = " (RSS 2.0 has no item update date: send <atom:updated> or <dc:date>)"
        expect_equal(f"{where}: updated (UTC, to the second){hint}", entry.updated, updated)
        expect_equal(f"{where}: author names", entry.authors, [a["name"] for a in article["authors"]])
        missing = sorted({t["name"] for t in article["topics"]} - entry.tags)
        if missing:
            fail(f"{where}: categories/tags {sorted(entry.tags)!r} lack the topics {missing!r}")
        if article.get("lead"):
            expect_equal(f"{where}: summary", entry.summary, article["lead"])


def check_feeds():
    for name, feed_path, list_path, query in FEEDS:
        listing = fetch(list_path + query)
        expect_status(listing, 200)
        items = listing.json()["data"]
        if query.startswith("?limit=5"):
            expect_equal(f"{listing.url}: articles on the page", len(items), 5)
        if not items:
            fail(f"{listing.url}: no articles, so the feed comparison would prove nothing")
        for ext, (content_type, version) in FEED_KINDS.items():
            resp = fetch(f"{feed_path}.{ext}{query}")
            expect_status(resp, 200)
            media_type(resp, content_type)
            parse = json_feed_entries if ext == "json" else xml_feed_entries
            entries = parse(resp, version)
            compare_entries(resp.url, entries, listing.url, items)
            ok(f"feed {name}, {ext}: {content_type}, {len(entries)} entries match GET {list_path}{query}")

            etag = resp.header("ETag")
            if not etag:
                fail(f"{resp.url}: no ETag")
            again = fetch(f"{feed_path}.{ext}{query}", headers={"If-None-Match": etag})
            expect_status(again, 304)
            ok(f"feed {name}, {ext}: ETag {etag} and If-None-Match gives 304")

    for kind, slug in (("topics", "no-such-topic"), ("authors", "no-such-author"), ("entities", "no-such-entity")):
        for ext in FEED_KINDS:
            path = f"/v1/{kind}/{slug}/feed.{ext}"
            expect_problem(fetch(path), 404)
            ok(f"{path}: 404 application/problem+json")


# --- ninjs out -------------------------------------------------------------------------------

def ninjs_media_type(resp, version):
    # application/ninjs+json, optionally naming the version it is.
    return media_type(resp, "application/ninjs+json", version=version)


def author_named(doc, name):
    """`by` names the author, or a person in `people` does in a role other than a subject's."""
    if isinstance(doc.get("by"), str) and name in doc["by"]:
        return True
    return any(p.get("name") == name and p.get("rel") not in ("about", "mentions")
               for p in doc.get("people", []))


def has_subject(doc, qcode, uri):
    return any(s.get("uri") in (qcode, uri) or s.get("literal") == qcode for s in doc.get("subjects", []))


def check_seed_ninjs(doc, version, article, what):
    validate_ninjs(doc, version, what)
    names = NINJS_NAMES[version]
    headlines = [h.get("value") for h in doc.get("headlines", [])]
    if article["headline"] not in headlines:
        fail(f"{what}: headlines {headlines!r} lack the headline {article['headline']!r}")
    for prop, field in ((names["versioncreated"], "updated_at"), (names["firstcreated"], "published_at")):
        if prop not in doc:
            fail(f"{what}: no `{prop}` (ninjs {version}'s name for the article's {field}); "
                 f"properties: {sorted(doc)}")
        expect_equal(f"{what}: {prop} (UTC, to the second)", parse_rfc3339(doc[prop], f"{what}: {prop}"),
                     parse_rfc3339(article[field], field))
    if not author_named(doc, SEED_AUTHOR):
        fail(f"{what}: {SEED_AUTHOR!r} is not named as author: by {doc.get('by')!r}, "
             f"people {doc.get('people')!r}")
    expect_equal(f"{what}: located", doc.get("located"), SEED_LOCATED)
    if not has_subject(doc, DIPLOMACY_QCODE, DIPLOMACY_URI):
        fail(f"{what}: subjects {doc.get('subjects')!r} lack {DIPLOMACY_QCODE} ({DIPLOMACY_URI})")


def check_ninjs_out():
    plain = fetch(f"/v1/articles/{SEED}")
    expect_status(plain, 200)
    article = plain.json()

    docs = {}
    for version in ("2.2", "3.1"):
        path = f"/v1/articles/{SEED}?format=ninjs&ninjs_version={version}"
        resp = fetch(path)
        expect_status(resp, 200)
        content_type = ninjs_media_type(resp, version)
        docs[version] = resp.json()
        check_seed_ninjs(docs[version], version, article, path)
        ok(f"{path}: valid ninjs {version} ({content_type}), author, located, subject, dates")

        accept = f"application/ninjs+json; version={version}"
        resp = fetch(f"/v1/articles/{SEED}", headers={"Accept": accept})
        expect_status(resp, 200)
        content_type = ninjs_media_type(resp, version)
        expect_vary_accept(resp)
        expect_equal(f"{resp.url} with Accept: {accept}: the document vs ?format=ninjs&ninjs_version={version}",
                     resp.json(), docs[version])
        ok(f"Accept: {accept}: the same ninjs {version} document ({content_type}), Vary: Accept")

    accept = "application/ninjs+json"
    resp = fetch(f"/v1/articles/{SEED}", headers={"Accept": accept})
    expect_status(resp, 200)
    ninjs_media_type(resp, DEFAULT_NINJS_VERSION)
    expect_vary_accept(resp)
    expect_equal(f"{resp.url} with Accept: {accept}: the document vs ninjs {DEFAULT_NINJS_VERSION}",
                 resp.json(), docs[DEFAULT_NINJS_VERSION])
    ok(f"Accept: {accept}: ninjs {DEFAULT_NINJS_VERSION}, Vary: Accept")

    resp = fetch(f"/v1/articles/{SEED}", headers={"Accept": "application/xml"})
    expect_problem(resp, 406)
    ok("Accept: application/xml: 406 application/problem+json")


# --- JSON-LD ---------------------------------------------------------------------------------

def ld_names(value):
    items = value if isinstance(value, list) else [value]
    return [i.get("name") if isinstance(i, dict) else i for i in items if i is not None]


def check_json_ld():
    article = fetch(f"/v1/articles/{SEED}").json()
    resp = fetch(f"/v1/articles/{SEED}", headers={"Accept": "application/ld+json"})
    expect_status(resp, 200)
    media_type(resp, "application/ld+json")
    expect_vary_accept(resp)
    doc = resp.json()
    what = f"{resp.url} as JSON-LD"
    if not isinstance(doc, dict):
        fail(f"{what}: not an object: {doc!r:.300}")
    expect_equal(f"{what}: @context", doc.get("@context"), "https://schema.org")
    expect_equal(f"{what}: @type", doc.get("@type"), "NewsArticle")
    expect_equal(f"{what}: headline", doc.get("headline"), article["headline"])
    authors = doc.get("author")
    authors = authors if isinstance(authors, list) else [authors]
    if not any(isinstance(a, dict) and a.get("@type") == "Person" and a.get("name") == SEED_AUTHOR
               for a in authors):
        fail(f"{what}: author {doc.get('author')!r} has no Person named {SEED_AUTHOR!r}")
    expect_equal(f"{what}: dateline", doc.get("dateline"), SEED_LOCATED)
    expect_equal(f"{what}: datePublished (UTC, to the second)",
                 parse_rfc3339(doc.get("datePublished"), f"{what}: datePublished"),
                 parse_rfc3339(article["published_at"], "published_at"))
    for prop in ("about", "mentions"):
        names = ld_names(doc.get(prop, []))
        wanted = [e["name"] for e in article["entities"] if e["rel"] == prop]
        if not names:
            fail(f"{what}: no `{prop}` entries (the article's {prop} entities: {wanted!r})")
        missing = [n for n in wanted if n not in names]
        if missing:
            fail(f"{what}: `{prop}` {names!r} lacks the article's entities {missing!r}")
    ok(f"Accept: application/ld+json: a schema.org NewsArticle with author, dateline, "
       f"datePublished, about ({len(ld_names(doc['about']))}) and mentions ({len(ld_names(doc['mentions']))})")


# --- ninjs in --------------------------------------------------------------------------------

PICTURE = {"name": "original", "href": "https://images.example.com/tbilisi.jpg",
           "width": 1200, "height": 800, "contentType": "image/jpeg"}


def ninjs_item(token, now):
    stamp = now.isoformat().replace("+00:00", "Z")
    return {
        "uri": f"urn:uuid:{token}",
        "type": "text",
        "language": "en",
        "firstCreated": stamp,
        "versionCreated": stamp,
        "headlines": [{"role": "main", "value": f"Diplomats meet in Tbilisi (format check {token[:8]})"}],
        "bodies": [{"role": "main", "contentType": "text/plain",
                    "value": "Envoys met in the Georgian capital on Monday.\n\n"
                             "They agreed to meet again next month."}],
        "by": SEED_AUTHOR,
        "located": "Tbilisi",
        "subjects": [{"name": "diplomacy", "uri": DIPLOMACY_URI, "literal": DIPLOMACY_QCODE}],
        "associations": [{
            "name": "mainpic",
            "uri": f"urn:uuid:{uuid.uuid4()}",
            "type": "picture",
            "renditions": [dict(PICTURE)],
        }],
    }


def has_picture(doc, version):
    names = NINJS_NAMES[version]
    wanted = {"href": PICTURE["href"], "width": PICTURE["width"], "height": PICTURE["height"],
              names["contenttype"]: PICTURE["contentType"]}
    return any(all(r.get(k) == v for k, v in wanted.items())
               for a in doc.get("associations", []) for r in a.get("renditions", []))


def check_ninjs_in(write_key):
    token = str(uuid.uuid4())
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    item = ninjs_item(token, now)
    validate_ninjs(item, "3.1", "the ninjs item this check sends")
    headers = {"Content-Type": "application/ninjs+json", "Authorization": f"Bearer {write_key}"}

    resp = fetch("/v1/articles", method="POST", headers=headers, body=json.dumps(item).encode())
    expect_status(resp, 201, 200)
    media_type(resp, "application/json")
    created = resp.json()
    if not isinstance(created, dict) or not isinstance(created.get("slug"), str):
        fail(f"POST {resp.url}: the answer is not an article with a slug: {created!r:.500}")
    expect_equal("POST of a ninjs item: headline", created.get("headline"), item["headlines"][0]["value"])
    slug = created["slug"]
    ok(f"POST /v1/articles as application/ninjs+json: {resp.status}, article {slug}")

    resp = fetch(f"/v1/articles/{slug}")
    expect_status(resp, 200)
    article = resp.json()
    what = f"{resp.url} (from ninjs)"
    expect_equal(f"{what}: headline", article.get("headline"), item["headlines"][0]["value"])
    expect_equal(f"{what}: body", article.get("body"), item["bodies"][0]["value"])
    expect_equal(f"{what}: language", article.get("language"), "en")
    expect_equal(f"{what}: published_at (from firstCreated)",
                 parse_rfc3339(article.get("published_at"), f"{what}: published_at"), now)
    topics = [t.get("slug") for t in article.get("topics", [])]
    if "diplomacy" not in topics:
        fail(f"{what}: topics {topics!r} lack diplomacy (subject {DIPLOMACY_QCODE})")
    authors = [a.get("name") for a in article.get("authors", [])]
    expect_equal(f"{what}: author names (from by)", authors, [SEED_AUTHOR])
    expect_equal(f"{what}: dateline (from located)", article.get("dateline"), "Tbilisi")
    wanted = {"href": PICTURE["href"], "width": PICTURE["width"], "height": PICTURE["height"],
              "content_type": PICTURE["contentType"]}
    media = article.get("media")
    if not isinstance(media, list) or not any(
            isinstance(m, dict) and any(all(r.get(k) == v for k, v in wanted.items())
                                        for r in m.get("renditions", []))
            for m in media):
        fail(f"{what}: media {media!r} has no rendition {wanted!r}")
    ok(f"GET /v1/articles/{slug}: topic diplomacy, author, dateline Tbilisi, the picture in media")

    path = f"/v1/articles/{slug}?format=ninjs"
    resp = fetch(path)
    expect_status(resp, 200)
    ninjs_media_type(resp, DEFAULT_NINJS_VERSION)
    doc = resp.json()
    validate_ninjs(doc, DEFAULT_NINJS_VERSION, path)
    if not has_picture(doc, DEFAULT_NINJS_VERSION):
        fail(f"{path}: associations {doc.get('associations')!r} have no rendition {PICTURE!r}")
    ok(f"{path}: valid ninjs {DEFAULT_NINJS_VERSION} with the picture association")

    bad = dict(item, uri=f"urn:uuid:{uuid.uuid4()}", headlines="Diplomats meet in Tbilisi")
    if not any(e.startswith("/headlines:") for e in ninjs_errors(bad, "3.1")):
        fail("the invalid ninjs item this check sends is valid against the 3.1 schema")
    resp = fetch("/v1/articles", method="POST", headers=headers, body=json.dumps(bad).encode())
    problem = expect_problem(resp, 422)
    errors = problem.get("errors")
    if not isinstance(errors, list) or not any(
            isinstance(e, dict) and isinstance(e.get("field"), str)
            and re.match(r"^/?headlines(\b|$)", e["field"]) for e in errors):
        fail(f"POST {resp.url} of ninjs with `headlines` a string: 422, but errors {errors!r} "
             f"do not name the field `headlines`")
    ok("POST of ninjs with `headlines` a string: 422 application/problem+json naming `headlines`")


def check_examples_round_trip(write_key):
    """IPTC's own text examples import over HTTP and export back to valid ninjs of both versions."""
    headers = {"Content-Type": "application/ninjs+json", "Authorization": f"Bearer {write_key}"}
    count = 0
    for folder in ("2.1", "2.2", "3.0", "3.1"):
        for path in sorted((NINJS / "examples" / folder).glob("*.json")):
            what = f"IPTC's example {folder}/{path.name}"
            resp = fetch("/v1/articles", method="POST", headers=headers, body=path.read_bytes())
            if resp.status not in (200, 201):
                fail(f"{what}: POST as application/ninjs+json answered {resp.status}: {resp.body[:500]!r}")
            slug = resp.json()["slug"]
            for version in ("2.2", "3.1"):
                out = fetch(f"/v1/articles/{slug}?format=ninjs&ninjs_version={version}")
                expect_status(out, 200)
                validate_ninjs(out.json(), version, f"{what}, imported and exported as ninjs {version}")
            count += 1
    ok(f"{count} IPTC text examples import as application/ninjs+json and export to valid ninjs 2.2 and 3.1")


def main(argv):
    global BASE
    if len(argv) != 3:
        print("usage: python check.py BASE_URL WRITE_KEY", file=sys.stderr)
        return 2
    BASE, write_key = argv[1].rstrip("/"), argv[2]
    try:
        check_offline_schemas()
        check_feeds()
        check_ninjs_out()
        check_json_ld()
        # Last: they add articles to the lists the feeds are checked against.
        check_ninjs_in(write_key)
        check_examples_round_trip(write_key)
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("all format checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
