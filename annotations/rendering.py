"""Model output is untrusted: render it as Markdown, then sanitise the HTML with nh3."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# Raw HTML in the source is not interpreted (html=False): it comes out as text.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)

_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "a",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}


def _code_class(tag: str, attribute: str, value: str) -> str | None:
    if tag == "code" and attribute == "class":
        return value if value.startswith("language-") and value.isascii() else None
    if attribute == "style":
        return value if value.startswith("text-align:") else None
    return value


def render_markdown(text: str) -> str:
    """Safe HTML for a model's response or a prompt turn."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        attribute_filter=_code_class,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
