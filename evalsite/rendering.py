"""Model output is untrusted: render it as Markdown, then sanitise the HTML with nh3.

Shared by the apps (imports no app). A long response is rendered when it is written
and stored with its generation (``stored_html``), so that a page view reads it
(``render_stored``); a 200,000-character response costs about a quarter of a second
or more to render (``benchmarks/render.py``). Texts without stored HTML (prompt
turns, guidelines, rows written before the column existed) render on view; long
ones are then kept in Django's cache, keyed by a hash of the text and the
renderer's version."""

from __future__ import annotations

import hashlib
import logging
import re

import nh3
from django.core.cache import cache
from markdown_it import MarkdownIt

logger = logging.getLogger(__name__)

# Bump when the output of _render changes, so that cached or stored HTML is not
# served stale (stored HTML of another version is rendered again on view).
RENDERER_VERSION = 4
# Shorter texts render in well under a millisecond: a cache round trip costs more,
# and storing their HTML would double the rows of a large import for no gain.
CACHE_FROM_CHARS = 4000
STORE_FROM_CHARS = CACHE_FROM_CHARS
CACHE_SECONDS = 30 * 24 * 3600

# Raw HTML in the source is not interpreted (html=False): it comes out as text.
# breaks=True: a single newline is a line break, as model output means it (a haiku's
# lines stay lines, pasted SVG keeps its layout).
_markdown = MarkdownIt(
    "commonmark", {"html": False, "linkify": False, "breaks": True}
).enable(["table", "strikethrough"])
# A text's headings sit under the page's own (the pair's h1, "Model A" an h2): its
# "# Title" is an h3, and so on down to h6, so the page's outline stays the page's.
HEADING_SHIFT = 2


def _heading(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    token.tag = f"h{min(int(token.tag[1]) + HEADING_SHIFT, 6)}"
    return renderer.renderToken(tokens, idx, options, env)


_markdown.add_render_rule("heading_open", _heading)
_markdown.add_render_rule("heading_close", _heading)

_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"class"},
    "td": {"class"},
}
# Table column alignment as a class, not markdown-it's style attribute: the
# Content-Security-Policy allows no inline style. (Raw HTML in the text is escaped,
# so only markdown-it's own attribute can match.)
_ALIGN = re.compile(r' style="text-align:(left|center|right)"')
_ALIGN_CLASSES = {"align-left", "align-center", "align-right"}


def _code_class(tag: str, attribute: str, value: str) -> str | None:
    if tag == "code" and attribute == "class":
        return value if value.startswith("language-") and value.isascii() else None
    if attribute == "class":
        return value if value in _ALIGN_CLASSES else None
    return value


def _render(text: str) -> str:
    return nh3.clean(
        _ALIGN.sub(r' class="align-\1"', _markdown.render(text)),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_code_class,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        # A link opens beside the page: followed in place, it left the pair unrated.
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )


def cache_key(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    return f"markdown:v{RENDERER_VERSION}:{digest}"


def render_markdown(text: str) -> str:
    """Safe HTML for a model's response or a prompt turn; long texts come from the
    cache after their first rendering. A cache that is down costs time, not the page."""
    text = text or ""
    if len(text) < CACHE_FROM_CHARS:
        return _render(text)
    key = cache_key(text)
    try:
        html = cache.get(key)
    except Exception:  # any cache backend's outage: render without it
        logger.warning("Markdown cache unavailable; rendering uncached", exc_info=True)
        return _render(text)
    if html is None:
        html = _render(text)
        try:
            cache.set(key, html, CACHE_SECONDS)
        except Exception:
            logger.warning("Markdown cache unavailable; not stored", exc_info=True)
    return html


def stored_html(text: str) -> tuple[str, int]:
    """(html, html_version) to store with a text when it is written: rendered for a
    text of ``STORE_FROM_CHARS`` or more, ``("", 0)`` (render on view) below."""
    if len(text or "") < STORE_FROM_CHARS:
        return "", 0
    return _render(text), RENDERER_VERSION


def render_stored(text: str, html: str, html_version: int) -> str:
    """The stored HTML when the current renderer made it, else ``render_markdown``."""
    if html_version == RENDERER_VERSION:
        return html
    return render_markdown(text)
