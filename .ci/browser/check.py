"""The browser test: headless Chromium loads a page served from another origin, which fetches
/v1/articles from dateline (so CORS must allow it) and lists the headlines; the headlines read
back from the page's DOM must be the API's latest ten.

Usage: python3 check.py API_BASE_URL SCREENSHOT.png
"""

import functools
import html.parser
import http.server
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request


class Headlines(html.parser.HTMLParser):
    """The text of each `li.headline` (without its `<time>`) and the body's data-state."""

    def __init__(self):
        super().__init__()
        self.headlines, self.state = [], None
        self._in_item = self._in_time = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.state = attrs.get("data-state")
        elif tag == "li" and attrs.get("class") == "headline":
            self._in_item = True
            self.headlines.append("")
        elif tag == "time":
            self._in_time = True

    def handle_endtag(self, tag):
        if tag == "li":
            self._in_item = False
        elif tag == "time":
            self._in_time = False

    def handle_data(self, data):
        if self._in_item and not self._in_time:
            self.headlines[-1] += data


def chromium(*args):
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        sys.exit("browser-check: chromium is not installed")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", "--virtual-time-budget=15000",
             "--window-size=900,640", *args],
            check=True, capture_output=True, text=True, timeout=120,
        ).stdout


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def no_cors_api(body):
    """A stand-in API on a third origin that answers like dateline but sends no CORS headers:
    the page must fail to read it, or the check could not tell CORS from its absence."""

    class Handler(Quiet):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

    return http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def serve(server):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def main():
    api, screenshot = sys.argv[1].rstrip("/"), pathlib.Path(sys.argv[2]).resolve()
    with urllib.request.urlopen(f"{api}/v1/articles?limit=10") as response:
        body = response.read()
    expected = [a["headline"] for a in json.loads(body)["data"]]
    assert len(expected) == 10, expected

    handler = functools.partial(Quiet, directory=pathlib.Path(__file__).parent)
    pages, stand_in = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler), no_cors_api(body)
    origin, stand_in_url = serve(pages), serve(stand_in)
    page = f"{origin}/index.html?api={api}"
    try:
        dom = chromium("--dump-dom", page)
        chromium(f"--screenshot={screenshot}", page)
        control = Headlines()
        control.feed(chromium("--dump-dom", f"{origin}/index.html?api={stand_in_url}"))
    finally:
        pages.shutdown()
        stand_in.shutdown()
    if control.state != "failed" or control.headlines:
        sys.exit("browser-check: the page read an API that sends no CORS headers; "
                 "this check cannot tell whether dateline's CORS works")

    parsed = Headlines()
    parsed.feed(dom)
    if parsed.state != "done" or parsed.headlines != expected:
        print(dom, file=sys.stderr)
        sys.exit(f"browser-check: the page shows {parsed.headlines} ({parsed.state}), "
                 f"the API's latest are {expected}")
    print(f"browser-check: a page on {origin} shows the API's 10 latest "
          f"headlines ({expected[0]!r}, …), "
          f"and none from an API without CORS headers; screenshot {screenshot}")
    check_docs(api)


def check_docs(api):
    """The documentation page renders every operation under its own Content-Security-Policy:
    a policy that blocked Swagger UI's scripts or styles would leave the page empty."""
    with urllib.request.urlopen(f"{api}/docs/") as response:
        policy = response.headers["Content-Security-Policy"]
    assert policy and "script-src 'self'" in policy, policy
    with urllib.request.urlopen(f"{api}/openapi.json") as response:
        spec = json.loads(response.read())
    operations = sum(
        1 for item in spec["paths"].values() for method in item
        if method in ("get", "put", "post", "patch", "delete"))
    dom = chromium("--dump-dom", f"{api}/docs/")
    rendered = dom.count('class="opblock-summary-path"')
    if rendered != operations:
        print(dom[:3000], file=sys.stderr)
        sys.exit(f"browser-check: /docs/ rendered {rendered} operations of {operations} "
                 f"under Content-Security-Policy {policy!r}")
    print(f"browser-check: /docs/ renders all {operations} operations under its "
          f"Content-Security-Policy")


if __name__ == "__main__":
    main()
