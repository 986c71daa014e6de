"""A git repository served over HTTP on 127.0.0.1 by git's own CGI program, `git http-backend` (the
smart protocol, as hosting sites speak it), so a sync fetches from a URL the way it does in production."""

from __future__ import annotations

import os
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.sources.local_server import running


@contextmanager
def serve_git(
    root: Path,
    pace: float = 0.0,
    hangups: list[str] | None = None,
    tls: ssl.SSLContext | None = None,
) -> Iterator[str]:
    """Serve the repositories under `root` (over TLS with `tls`); yields the base URL
    (`<base>/<name>/.git`). With a `pace`,
    each 64 KiB of a response waits that many seconds, like a slow link, and a client hanging up before
    the end is noted in `hangups`."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the names http.server calls)
            self.backend()

        def do_POST(self) -> None:  # noqa: N802
            self.backend()

        def backend(self) -> None:
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            env = {
                "PATH": os.environ["PATH"],
                "GIT_PROJECT_ROOT": str(root),
                "GIT_HTTP_EXPORT_ALL": "1",
                "REQUEST_METHOD": self.command,
                "PATH_INFO": path,
                "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""),
                "CONTENT_LENGTH": str(length),
                "GIT_CONFIG_NOSYSTEM": "1",
                "HOME": str(root),
            }
            done = subprocess.run(
                ["git", "http-backend"],
                input=self.rfile.read(length),
                env=env,
                capture_output=True,
                check=False,
            )
            head, _, body = done.stdout.partition(b"\r\n\r\n")
            headers = [line.split(": ", 1) for line in head.decode("latin-1").split("\r\n") if ": " in line]
            status = next((int(value.split()[0]) for name, value in headers if name == "Status"), 200)
            self.send_response(status)
            for name, value in headers:
                if name != "Status":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.send_body(body)

        def send_body(self, body: bytes) -> None:
            if not pace:
                self.wfile.write(body)
                return
            try:
                for start in range(0, len(body), 65536):
                    self.wfile.write(body[start : start + 65536])
                    self.wfile.flush()
                    time.sleep(pace)
            except (BrokenPipeError, ConnectionResetError):
                if hangups is not None:
                    hangups.append(self.path)

        def log_message(self, *args: object) -> None:
            pass

    with running(Handler, tls) as server:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}"
