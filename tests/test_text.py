"""escape_markdown shows data text literally in Markdown; format_usd writes amounts as newspapers do."""

from __future__ import annotations

import html
import math
import re
import string

import pytest

from dashboard.text import escape_markdown, format_usd, markdown_with_links

# (text as it is in the data, what escape_markdown must give): Markdown shows the right-hand side as the left.
ESCAPED = {
    "bold": ("**bold**", r"\*\*bold\*\*"),
    "italic-underscores": ("_snake_case_", r"\_snake\_case\_"),
    "streamlit-colour": (":red[x]", r"\:red\[x\]"),
    "streamlit-background": (":blue-background[x]", r"\:blue\-background\[x\]"),
    "streamlit-icon": (":material/flag:", r"\:material\/flag\:"),
    "emoji-shortcode": (":smile:", r"\:smile\:"),
    "math": ("$x^2$", r"\$x\^2\$"),
    "two-prices": ("$385 million and $2 billion", r"\$385 million and \$2 billion"),
    "html-tag": ("<b>hi</b>", r"\<b\>hi\<\/b\>"),
    "html-script": ("<script>alert(1)</script>", r"\<script\>alert\(1\)\<\/script\>"),
    "backticks": ("`code`", r"\`code\`"),
    "fence": ("```py", r"\`\`\`py"),
    "heading": ("# Joint Sword", r"\# Joint Sword"),
    "numbered-list": ("1. item", r"1\. item"),
    "bullet": ("- item", r"\- item"),
    "quote": ("> said", r"\> said"),
    "link": ("[x](javascript:alert(1))", r"\[x\]\(javascript\:alert\(1\)\)"),
    "image": ("![x](y.png)", r"\!\[x\]\(y\.png\)"),
    "strikethrough": ("~~no~~", r"\~\~no\~\~"),
    "table-row": ("| a | b |", r"\| a \| b \|"),
    "entity": ("&amp; &#65;", r"\&amp\; \&\#65\;"),
    "backslash": ("C:\\path", r"C\:\\path"),
    "newline": ("line 1\nline 2", "line 1  \nline 2"),
    "blank-line": ("para 1\n\npara 2", "para 1  \n  \npara 2"),
    "plain": ("Hagåtña, Guam", r"Hagåtña\, Guam"),
    "not-a-string": (385.5, r"385\.5"),
}


@pytest.mark.parametrize("text, escaped", list(ESCAPED.values()), ids=list(ESCAPED))
def test_escape_markdown(text, escaped):
    assert escape_markdown(text) == escaped


def unescape_commonmark(markdown: str) -> str:
    """What CommonMark makes of backslash escapes and hard line breaks ("  \\n")."""
    return re.sub(r"\\([" + re.escape(string.punctuation) + "])", r"\1", markdown.replace("  \n", "\n"))


@pytest.mark.parametrize("text", [text for text, _ in ESCAPED.values()] + [string.punctuation, "a\\*b", "\\\n"])
def test_every_punctuation_mark_is_escaped_and_nothing_else_changes(text):
    """Each ASCII punctuation mark comes out behind a backslash, so no Markdown syntax is left to act."""
    escaped = escape_markdown(text)
    assert unescape_commonmark(escaped) == str(text)
    unescaped_marks = re.sub(r"\\[" + re.escape(string.punctuation) + "]", "", escaped)
    assert not set(unescaped_marks) & set(string.punctuation), escaped


@pytest.mark.parametrize("text", ["    indented", "\tindented"])
def test_indented_text_does_not_become_a_code_block(text):
    assert not re.match(r"( {4}|\t)", escape_markdown(text))


def visible_text(rendered_html: str) -> str:
    """The text a reader sees in rendered HTML: a line per paragraph or hard break; a soft break is a space."""
    text = re.sub(r"<br />\n|</p>\n<p>", "<br />", rendered_html.strip()).replace("\n", " ")
    assert not re.search(r"<(?!/?p>|br />)", text), f"Markdown made more than paragraphs: {rendered_html}"
    return html.unescape(re.sub(r"</?p>", "", text.replace("<br />", "\n")))


def test_commonmark_shows_escaped_text_literally():
    """Rendered by a CommonMark parser with $math$, the reader sees each original text and no markup."""
    markdown_it = pytest.importorskip("markdown_it", reason="needs markdown-it-py (pip install markdown-it-py)")
    dollarmath = pytest.importorskip("mdit_py_plugins.dollarmath", reason="needs mdit-py-plugins")
    parser = markdown_it.MarkdownIt("commonmark").use(dollarmath.dollarmath_plugin).enable("strikethrough")
    wrong = {}
    for case, (text, _escaped) in ESCAPED.items():
        expected = "\n".join(line for line in str(text).splitlines() if line.strip())
        try:
            shown = visible_text(parser.render(escape_markdown(text)))
        except AssertionError as error:
            shown = str(error).splitlines()[0]
        if shown != expected:
            wrong[case] = shown
    assert wrong == {}


USD = {
    "none": (None, ""),
    "nan": (math.nan, ""),
    "zero": (0, "$0"),
    "thousands": (30_000, "$30,000"),
    "just-under-a-million": (999_999, "$999,999"),
    "a-million": (1_000_000, "$1 million"),
    "fraction-of-million": (91_400_000, "$91.4 million"),
    "whole-millions": (385_000_000, "$385 million"),
    "rounded-millions": (571_330_000, "$571.3 million"),
    "a-billion": (1_000_000_000, "$1 billion"),
    "billions-two-decimals": (1_160_000_000, "$1.16 billion"),
    "billions-small-second-decimal": (1_010_000_000, "$1.01 billion"),
    "whole-billions": (2_000_000_000, "$2 billion"),
    "thousands-of-billions": (1_234_000_000_000, "$1,234 billion"),
}


@pytest.mark.parametrize("amount, text", list(USD.values()), ids=list(USD))
def test_format_usd(amount, text):
    assert format_usd(amount) == text


@pytest.mark.parametrize(
    "amount, text",
    [(1_100_000_000, "$1.1 billion"), (999_999_999, "$1 billion"), (999_999.6, "$1 million")],
    ids=["one-decimal-billions", "rounds-up-to-a-billion", "rounds-up-to-a-million"],
)
def test_format_usd_as_a_newspaper_would(amount, text):
    assert format_usd(amount) == text


LINKED = {
    "plain": ("no link here", "no link here"),
    "sentence-end": ("See https://a.org/x_y?q=1.", "See <https://a.org/x_y?q=1>\\."),
    "in-parentheses": ("(Reuters, https://r.com/a)", "\\(Reuters\\, <https://r.com/a>\\)"),
    "own-parentheses": ("https://en.wikipedia.org/wiki/A_(b) ok", "<https://en.wikipedia.org/wiki/A_(b)> ok"),
    "not-a-web-link": ("javascript:alert(1)", "javascript\\:alert\\(1\\)"),
    "stops-before-math": ("http://x.org/$x$", "<http://x.org/>\\$x\\$"),
    "stops-before-colour": ("http://x.org/:red[x]", "<http://x.org/:red>\\[x\\]"),
    "markdown-around": ("**b** https://a.org", "\\*\\*b\\*\\* <https://a.org>"),
}


@pytest.mark.parametrize("text, expected", list(LINKED.values()), ids=list(LINKED))
def test_urls_in_notes_become_links_and_nothing_else_does(text, expected):
    assert markdown_with_links(text) == expected


def test_linked_notes_render_as_links_and_literal_text():
    markdown_it = pytest.importorskip("markdown_it")
    rendered = markdown_it.MarkdownIt("commonmark").render(markdown_with_links("**x** (see https://a.org/p?q=1)."))
    assert '<a href="https://a.org/p?q=1">https://a.org/p?q=1</a>' in rendered
    assert "**x**" in html.unescape(re.sub(r"<[^>]+>", "", rendered))
