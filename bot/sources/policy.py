"""How sources are fetched: the limits and the politeness, decided by an entry point from the settings."""

from __future__ import annotations

from dataclasses import dataclass

USER_AGENT = "qabot-sources/1.0 (a Discord Q&A bot indexing documentation; robots.txt token: qabot-sources)"


@dataclass(frozen=True)
class FetchPolicy:
    allow_private: bool = False  # loopback and private ranges (never link-local, multicast or reserved)
    # A PEM file of the authorities trusted for https, instead of certifi's public ones; None: certifi's.
    ca_bundle: str | None = None
    max_pages: int = 500
    max_page_bytes: int = 5_000_000
    max_repo_bytes: int = 200 * 1024 * 1024  # what one git fetch may write into its clone; past it, stopped
    # A repository's file list (files, links, submodules) is read this far; the rest is not considered.
    max_tree_entries: int = 100_000
    request_interval: float = 0.5  # seconds between two requests to a site
    concurrency: int = 2
    timeout: float = 20.0  # per connection attempt and per read
    page_seconds: float = 120.0  # one fetch in all (redirects and body): past it, abandoned
    max_redirects: int = 5
    user_agent: str = USER_AGENT
