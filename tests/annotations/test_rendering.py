"""Untrusted text rendered as sanitised Markdown."""

from annotations.rendering import render_markdown


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
    for tag in ("<h1>", "<li><strong>a</strong></li>", "<code>b</code>", "<td>1</td>"):
        assert tag in html
