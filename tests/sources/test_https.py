"""https sources against servers on 127.0.0.1 with a certificate made for the test: refused when no trusted
authority signed it, fetched (web page and git) when QABOT_SOURCES_CA_BUNDLE names the one that did."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import FetchFailed
from bot.settings import SourcesSettings
from bot.sources.http import Fetcher
from bot.sources.service import SourceService
from bot.wiring import fetch_policy
from tests.sources.conftest import TEST_POLICY
from tests.sources.git_server import serve_git
from tests.sources.site import Site, serve


@pytest.fixture
def certificate(tmp_path) -> tuple[Path, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1 (its own authority), and a server context holding it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],  # fmt: skip
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return cert, context


def test_a_certificate_no_trusted_authority_signed_is_refused(certificate):
    """The connection goes to the checked address, but the certificate is still checked against the
    URL's host and certifi's authorities."""
    _, context = certificate
    with serve(Site(), tls=context) as base:
        assert base.startswith("https://")
        with pytest.raises(FetchFailed, match="CERTIFICATE_VERIFY_FAILED"):
            Fetcher(TEST_POLICY).get(f"{base}/docs/install.html", ("text/html",))


def test_a_page_is_fetched_over_https_from_a_server_the_configured_authority_signed(certificate):
    cert, context = certificate
    policy = fetch_policy(SourcesSettings(sources_ca_bundle=cert, sources_allow_private=True))
    assert policy.ca_bundle == str(cert)
    with serve(Site(), tls=context) as base:
        fetched = Fetcher(replace(TEST_POLICY, ca_bundle=policy.ca_bundle)).get(
            f"{base}/docs/install.html", ("text/html",)
        )
    assert fetched.status == 200 and b"Installing Quokka" in fetched.body


def test_a_repository_is_synced_over_https_only_with_the_authority_that_signed_it(
    certificate, repository, tmp_path
):
    cert, context = certificate
    (tmp_path / "knowledge").mkdir()
    trusting = SourceService(
        tmp_path / "trusting", tmp_path / "knowledge", replace(TEST_POLICY, ca_bundle=str(cert))
    )
    public_only = SourceService(tmp_path / "public", tmp_path / "knowledge", TEST_POLICY)
    with serve_git(repository.parent, tls=context) as base:
        url = f"{base}/{repository.name}/.git"
        public_only.add("wombat", url, folder="docs")
        refused = public_only.sync()[0]
        trusting.add("wombat", url, folder="docs")
        synced = trusting.sync()[0]
    assert refused.error is not None and "certificate" in refused.error.lower()
    assert synced.error is None and len(synced.written) == 4
    assert "pip install wombat" in (tmp_path / "knowledge" / "sources" / "wombat" / "install.md").read_text()


def test_a_missing_authority_file_is_refused_when_the_settings_are_read(tmp_path):
    with pytest.raises(ValueError, match="sources_ca_bundle"):
        SourcesSettings(sources_ca_bundle=tmp_path / "nowhere.pem")
