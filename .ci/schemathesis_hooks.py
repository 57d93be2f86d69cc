"""Schemathesis hooks for dateline's CI run.

Some request rules cannot be written as OpenAPI parameter schemas, so schema-valid data may break
them and be rightly answered 400; these hooks keep such cases out of the generated requests:

- `cursor` is an opaque token the server issues for one list and one set of filters. Any other
  string is a malformed cursor (400). The integration tests cover cursors and their errors.
- `sort=relevance` needs a full-text query `q` (400 without one).
- `fields` answers only the fields asked for, which a static response schema (all of an
  article's required fields) cannot describe; the integration tests cover it.
- `ninjs_version` goes with ninjs: with `format=json` or `format=jsonld` it is a 400.
"""

import schemathesis


@schemathesis.hook
def filter_query(ctx, query):
    if not query:
        return True
    if query.get("cursor") or query.get("fields"):
        return False
    if query.get("ninjs_version") and query.get("format") in ("json", "jsonld"):
        return False
    q = query.get("q")
    if query.get("sort") == "relevance" and not (isinstance(q, str) and q.strip()):
        return False
    return True
