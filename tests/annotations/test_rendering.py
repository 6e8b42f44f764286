"""Untrusted text rendered as sanitised Markdown."""

from django.core.cache import cache

from evalsite import rendering
from evalsite.rendering import render_markdown


def test_raw_html_comes_out_as_text():
    html = render_markdown('<script>alert(1)</script><img src=x onerror="alert(2)">')
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


def test_code_blocks_keep_their_language_and_escape_their_content():
    html = render_markdown("```python\nif a < b:\n    pass\n```")
    assert '<pre><code class="language-python">if a &lt; b:' in html


def test_dangerous_links_lose_their_href():
    html = render_markdown("[x](javascript:alert(1)) [y](https://example.org)")
    assert 'href="javascript' not in html
    assert 'href="https://example.org"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_markdown_structure_survives():
    html = render_markdown("# T\n\n- **a**\n- `b`\n\n| x | y |\n|---|---|\n| 1 | 2 |")
    for tag in (
        "<h3>T</h3>",
        "<li><strong>a</strong></li>",
        "<code>b</code>",
        "<td>1</td>",
    ):
        assert tag in html


def test_headings_sit_under_the_pages_own():
    """A response's "# Title" was an h1 beside the page's, muddling the outline a
    screen reader navigates by (a new-user pass): headings go two levels down, the
    deepest staying h6."""
    html = render_markdown("# One\n\n## Two\n\n#### Four\n\n###### Six")
    assert "<h1>" not in html
    assert "<h2>" not in html
    for tag in ("<h3>One</h3>", "<h4>Two</h4>", "<h6>Four</h6>", "<h6>Six</h6>"):
        assert tag in html


def test_links_open_beside_the_page():
    """Followed in place, a link in a response left the rating page."""
    html = render_markdown("[docs](https://example.org/a)")
    assert 'target="_blank"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


HAIKU = "An old silent pond\nA frog jumps into the pond\nSplash! Silence again"


def test_single_line_breaks_are_kept():
    html = render_markdown(HAIKU)
    assert html.count("<br>") == 2
    assert "An old silent pond<br>" in html


def test_raw_svg_shows_as_text_with_its_line_breaks():
    svg = (
        '<svg width="10">\n  <rect onload="alert(1)"/>\n  <script>x()</script>\n</svg>'
    )
    html = render_markdown(svg)
    assert "<svg" not in html
    assert "<rect" not in html
    assert "<script" not in html
    assert html.count("<br>") == 3
    assert '&lt;svg width="10"&gt;<br>' in html
    assert "&lt;script&gt;x()&lt;/script&gt;" in html


def _long_text(marker: str) -> str:
    paragraph = f"{marker} **bold** and `code` <b>raw</b>\nsecond line\n\n"
    return paragraph * (rendering.CACHE_FROM_CHARS // len(paragraph) + 2)


def test_long_text_is_rendered_once_and_the_cache_returns_identical_html(
    monkeypatch,
):
    text = _long_text("cached")
    cache.delete(rendering.cache_key(text))
    calls = []
    real = rendering._render
    monkeypatch.setattr(rendering, "_render", lambda t: calls.append(t) or real(t))
    first = render_markdown(text)
    second = render_markdown(text)
    assert second == first
    assert len(calls) == 1
    assert cache.get(rendering.cache_key(text)) == first
    assert first == real(text)
    assert "&lt;b&gt;raw&lt;/b&gt;" in first


def test_the_cache_key_names_the_renderer_version(monkeypatch):
    text = _long_text("versioned")
    before = rendering.cache_key(text)
    monkeypatch.setattr(rendering, "RENDERER_VERSION", rendering.RENDERER_VERSION + 1)
    assert rendering.cache_key(text) != before


def test_a_cache_outage_still_renders(monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(rendering.cache, "get", down)
    text = _long_text("outage")
    assert render_markdown(text) == rendering._render(text)
    assert "Markdown cache unavailable" in caplog.text
