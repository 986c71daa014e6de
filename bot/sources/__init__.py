"""Knowledge sources: websites, git repositories and file URLs, kept in sync as article files.

Everything that touches the network lives here, outside the retrieval core. A sync fetches what
changed, converts each page with the core's document parsing (bot.core.documents), writes it as a
Markdown article under `knowledge/sources/<name>/`, and leaves the rest to the core's incremental index
build, which re-embeds only the passages whose text is new. Entry points build a FetchPolicy from the
settings and pass it in; nothing here reads settings.
"""
