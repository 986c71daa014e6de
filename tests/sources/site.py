"""A small documentation site served on 127.0.0.1 by the tests: pages wrapped in navigation chrome, a
sitemap, a robots.txt forbidding one folder, ETags, a redirect and a page that always fails.

The server counts the requests for each path, so tests can see what a second sync fetched again.
"""

from __future__ import annotations

import hashlib
import ssl
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.sources.local_server import running

# Words that appear only in the chrome: none of them may ever reach a passage.
CHROME_WORDS = ("Zebranav", "Sidebarium", "Footerly", "Cookiemonst")

CHROME_TOP = """<header><nav class="navbar"><a href="/docs/">Home</a> <a href="/docs/install.html">Install</a>
<a href="/docs/training.html">Training</a> Zebranav menu: products, pricing, blog, community</nav></header>
<div class="cookie-banner" id="cookie-consent"><p>Cookiemonst: we use cookies to measure visits and to
remember your preferences on this documentation site.</p><button>Accept all</button></div>
<aside class="sidebar"><ul><li><a href="/docs/install.html">Sidebarium install guide</a></li>
<li><a href="/docs/training.html">Sidebarium training</a></li><li><a href="/docs/old-install">Old install</a></li>
<li><a href="/docs/private/secrets.html">Private notes</a></li><li><a href="/docs/broken.html">Broken</a></li></ul></aside>"""
CHROME_BOTTOM = """<footer><p>Footerly: copyright 2026 the Quokka authors. Documentation licensed CC-BY.
Built with a static site generator.</p></footer>"""


def page(title: str, main: str) -> bytes:
    html = f"""<!doctype html><html><head><meta charset="utf-8"><title>{title} - Quokka docs</title></head>
<body>{CHROME_TOP}<main><article>{main}</article></main>{CHROME_BOTTOM}</body></html>"""
    return html.encode()


INSTALL = page(
    "Installing Quokka",
    """<h1 id="installing-quokka">Installing Quokka</h1>
<p>Quokka is installed from PyPI with pip. Use a fresh virtual environment so that its pinned numerical
libraries do not clash with other projects on the machine.</p>
<pre><code>python -m pip install quokka</code></pre>
<h2 id="gpu-support">GPU support</h2>
<p>Quokka uses the GPU when it is installed with the cuda extra: run pip install quokka[cuda]. The extra
needs CUDA 12 or newer and a driver from the last two years.</p>
<h2 id="verifying">Verifying the installation</h2>
<p>Run quokka doctor after installing. It prints the version, the device it found and whether the
compiled kernels loaded.</p>""",
)

TRAINING = page(
    "Training models",
    """<h1 id="training">Training models</h1>
<p>A Quokka model is trained with the fit method, which takes the data loader and the number of epochs.
Each epoch walks over the whole data set once and reports the mean loss.</p>
<h2 id="checkpoints">Saving checkpoints</h2>
<p>Quokka saves a checkpoint at the end of every epoch when fit is given a checkpoint folder. A run that
stops early is resumed from the newest checkpoint with the resume argument.</p>""",
)

TRAINING_EDITED = TRAINING.replace(
    b"Quokka saves a checkpoint at the end of every epoch",
    b"Quokka saves a checkpoint every 500 steps and at the end of every epoch",
)

INDEX = page(
    "Quokka documentation",
    """<h1 id="welcome">Quokka documentation</h1>
<p>Quokka is a small deep-learning library for tabular data. These pages explain how to install it and
how to train and save models with it.</p>
<ul><li><a href="install.html">Installing Quokka</a></li><li><a href="training.html">Training models</a></li></ul>""",
)

PRIVATE = page(
    "Internal notes",
    """<h1 id="internal">Internal notes</h1><p>Forbiddenword: these release notes are for maintainers only
and robots.txt keeps crawlers away from them. They must never be indexed.</p>""",
)

ROBOTS = b"User-agent: *\nDisallow: /docs/private/\n"


def sitemap(port: int, paths: list[str]) -> bytes:
    urls = "".join(f"<url><loc>http://127.0.0.1:{port}{path}</loc></url>" for path in paths)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


SITEMAP_PATHS = [
    "/docs/",
    "/docs/install.html",
    "/docs/training.html",
    "/docs/private/secrets.html",
    "/docs/old-install",
    "/docs/broken.html",
]


class Site:
    """What the server serves; tests change it between syncs."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {
            "/robots.txt": ("text/plain", ROBOTS),
            "/docs/": ("text/html; charset=utf-8", INDEX),
            "/docs/install.html": ("text/html; charset=utf-8", INSTALL),
            "/docs/training.html": ("text/html; charset=utf-8", TRAINING),
            "/docs/private/secrets.html": ("text/html; charset=utf-8", PRIVATE),
        }
        self.redirects = {"/docs/old-install": "/docs/install.html"}
        self.failing = {"/docs/broken.html": 500}
        self.requests: Counter[str] = Counter()  # every request, by path
        self.bodies: Counter[str] = Counter()  # requests answered with a body (200), by path
        self.with_sitemap = True
        self.port = 0

    def answer(self, path: str, if_none_match: str | None) -> tuple[int, dict[str, str], bytes]:
        self.requests[path] += 1
        if path == "/docs/sitemap.xml" and self.with_sitemap:
            return 200, {"Content-Type": "application/xml"}, sitemap(self.port, SITEMAP_PATHS)
        if path in self.redirects:
            return 301, {"Location": self.redirects[path]}, b""
        if path in self.failing:
            return self.failing[path], {"Content-Type": "text/plain"}, b"server error"
        if path not in self.pages:
            return 404, {"Content-Type": "text/plain"}, b"not found"
        content_type, body = self.pages[path]
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if if_none_match == etag:
            return 304, {"ETag": etag}, b""
        self.bodies[path] += 1
        return 200, {"Content-Type": content_type, "ETag": etag}, body


@contextmanager
def serve(site: Site, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Serve `site` on 127.0.0.1 at a free port (over TLS with `tls`); yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            status, headers, body = site.answer(self.path.split("?")[0], self.headers.get("If-None-Match"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with running(Handler, tls) as server:
        site.port = server.server_address[1]
        yield f"{'https' if tls else 'http'}://127.0.0.1:{site.port}"
