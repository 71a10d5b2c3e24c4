"""Untrusted text is text: helpers that show text from a URL, an upload or a data file exactly as
written, never as Markdown, HTML or a link.

Streamlit renders Markdown in ``st.markdown``, ``st.caption``, ``st.info``/``st.warning``/``st.error``
and in the cells of ``st.table``; plotly renders a small HTML subset (``<a href>``, ``<b>``, ``<img>``
is dropped but ``<a>`` works) in titles, legends, tick and hover labels. So:

* :func:`md_escape` makes a string render as its own characters in any Markdown element: every
  character with a Markdown (or Streamlit directive / math) meaning is backslash-escaped, line starts
  that would open a block are escaped, and the patterns GFM turns into links on its own (``http://``,
  ``www.``, ``name@host``) are broken by an invisible word joiner (U+2060), because GFM finds those
  *after* escapes are resolved;
* :func:`one_line` and :func:`shorten` keep a message to one line and a bounded length (a hostile key
  or value cannot fill the page);
* :func:`safe_table` draws ``st.table`` with every text cell escaped (a DataFrame or a Styler);
* :func:`plotly_text` / :func:`sanitize_figure` neutralise plotly's HTML subset (``<br>`` kept).

Pure functions except :func:`safe_table`; doctests below, browser checks in ``tests/test_browser.py``.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pandas as pd

__all__ = ["WORD_JOINER", "md_escape", "one_line", "shorten", "quoted", "escape_frame", "safe_table", "plotly_text",
           "sanitize_figure", "MAX_SHOWN"]

WORD_JOINER = "\u2060"  # invisible, zero width, no line break: splits a pattern without changing what is read
MAX_SHOWN = 60  # characters of an untrusted key or value shown in a message

# characters with an inline Markdown, GFM, Streamlit-directive (:red[...], :material/x:) or math ($) meaning
# ( ) ! only act after [ ], and ":" only before a letter (:red[...], :material/x:, :emoji:): see _SHORTCODE
_INLINE = re.compile(r"([\\`*_{}\[\]<>|~$])")
# a line start that would open a block: heading, quote, list, setext underline, fenced code
_BLOCK_START = re.compile(r"^([ \t]*)([#>+\-=])", re.MULTILINE)
_ORDERED_START = re.compile(r"^([ \t]*\d{1,9})([.)])", re.MULTILINE)
_URL_SCHEME = re.compile(r"(?i)([a-z][a-z0-9+.\-]*):(//)")
_WWW = re.compile(r"(?i)\b(www)(\.)")
_SHORTCODE = re.compile(r":(?=[A-Za-z])")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")


def one_line(text: object) -> str:
    """Control characters and line breaks become single spaces (a message stays one line).

    >>> one_line("a\\nb\\r\\n\\tc\\x00d")
    'a b c d'
    """
    return re.sub(r"\s+", " ", _CONTROL.sub(" ", str(text))).strip()


def shorten(text: object, limit: int = MAX_SHOWN) -> str:
    """At most ``limit`` characters, with an ellipsis when cut.

    >>> shorten("x" * 100, 10)
    'xxxxxxxxx…'
    >>> shorten("short")
    'short'
    """
    text = str(text)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def quoted(text: object, limit: int = MAX_SHOWN) -> str:
    """An untrusted value for a message: one line, shortened, in quotes (escape the whole message later).

    >>> quoted("a\\nb")
    "'a b'"
    >>> len(quoted("x" * 500))
    62
    """
    return f"'{shorten(one_line(text), limit)}'"


def md_escape(text: object) -> str:
    """``text`` for a Markdown element, shown exactly as written: no link, image, emphasis, heading,
    list, HTML, code, table, directive or maths can come out of it.

    >>> md_escape("[Sign in](https://evil.example)")
    '\\\\[Sign in\\\\](https:\\u2060//evil.example)'
    >>> md_escape("**x** <b>y</b>")
    '\\\\*\\\\*x\\\\*\\\\* \\\\<b\\\\>y\\\\</b\\\\>'
    >>> md_escape("# h\\n- item\\n1. one")
    '\\\\# h\\n\\\\- item\\n1\\\\. one'
    >>> md_escape(":red[x] :material/home:")
    ':\u2060red\\\\[x\\\\] :\u2060material/home:'
    >>> md_escape("www.evil.example a@evil.example")
    'www\\u2060.evil.example a\\u2060@evil.example'
    >>> md_escape("Jan 2025 – Dec 2025: 1,234 records (−9.1 %)") == "Jan 2025 – Dec 2025: 1,234 records (−9.1 %)"
    True
    """
    s = _CONTROL.sub(" ", str(text))
    s = _URL_SCHEME.sub(lambda m: m.group(1) + ":" + WORD_JOINER + m.group(2), s)
    s = _WWW.sub(lambda m: m.group(1) + WORD_JOINER + m.group(2), s)
    s = s.replace("@", WORD_JOINER + "@")
    s = _SHORTCODE.sub(":" + WORD_JOINER, s)  # :material/icon: and :emoji: shortcodes
    s = _INLINE.sub(r"\\\1", s)
    s = _BLOCK_START.sub(r"\1\\\2", s)
    return _ORDERED_START.sub(r"\1\\\2", s)


def _escape_cell(value):
    return md_escape(value) if isinstance(value, str) else value


def escape_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell escaped for ``st.table`` (column labels are the dashboard's own).

    >>> escape_frame(pd.DataFrame({"a_b": ["<b>x</b>", 1]})).to_dict("list")
    {'a_b': ['\\\\<b\\\\>x\\\\</b\\\\>', 1]}
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(_escape_cell).astype(object)
    return out


def _escaping(func):
    def wrapped(value, *args, **kwargs):
        return _escape_cell(func(value, *args, **kwargs))
    return wrapped


def escape_styler(styler):
    """The same Styler, with every displayed cell value escaped after its own formatting.

    Styles (``apply``) still see the raw values, so a row matched by name keeps its shading. Column
    labels are the dashboard's own. Uses the display-function table of pandas' Styler (pandas is
    pinned; ``tests/test_untrusted_text.py`` covers it).
    """
    for attr in ("_display_funcs",):
        funcs = getattr(styler, attr, None)
        if not isinstance(funcs, defaultdict):
            raise TypeError(f"pandas Styler.{attr} is not a defaultdict: update dashboard.safe_text.escape_styler")
        factory = funcs.default_factory
        new = defaultdict(lambda factory=factory: _escaping(factory()))
        new.update({k: _escaping(f) for k, f in funcs.items()})
        setattr(styler, attr, new)
    return styler


def safe_table(data, **kwargs) -> None:
    """``st.table`` whose text cells show as written (``st.table`` renders Markdown in cells)."""
    import streamlit as st  # noqa: PLC0415  (the pure helpers above need no Streamlit)

    if isinstance(data, pd.DataFrame):
        data = escape_frame(data)
    elif hasattr(data, "_display_funcs"):
        data = escape_styler(data)
    st.table(data, **kwargs)


_PLOTLY_TAG = re.compile(r"<(?!br\s*/?>)", re.IGNORECASE)


def plotly_text(value):
    """A string for a plotly label with its HTML subset neutralised (``<br>`` line breaks kept).

    >>> plotly_text('<a href="https://evil.example">x</a><br><b>y</b>')
    '&lt;a href="https://evil.example">x&lt;/a><br>&lt;b>y&lt;/b>'
    >>> plotly_text(3)
    3
    """
    if not isinstance(value, str):
        return value
    return _PLOTLY_TAG.sub("&lt;", value)


_TRACE_TEXT = ("name", "text", "hovertext", "x", "y", "labels", "ids", "customdata", "locations")


def _has_tag(value) -> bool:
    if isinstance(value, str):
        return bool(_PLOTLY_TAG.search(value))
    if isinstance(value, (list, tuple)) or getattr(value, "dtype", None) == object:
        return any(_has_tag(v) for v in value)
    return False


def _clean(value):
    if isinstance(value, str):
        return plotly_text(value)
    if isinstance(value, (list, tuple)) or getattr(value, "dtype", None) == object:
        return [_clean(v) for v in value]
    return value


def sanitize_figure(fig):
    """Every data-derived label of a plotly figure with plotly's HTML neutralised (in place; returns it).

    Trace names, text, hover text, category values and custom data (shown by hover templates) are
    cleaned; titles and templates are the dashboard's own text and are left as written.
    """
    for trace in fig.data:
        for attr in _TRACE_TEXT:
            try:
                value = trace[attr]
            except (KeyError, ValueError):
                continue
            if value is not None and _has_tag(value):
                trace[attr] = _clean(value)
    return fig
