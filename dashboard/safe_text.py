"""Untrusted text is text: helpers that show text from a URL, an upload or a data file exactly as
written, never as Markdown, HTML or a link.

Streamlit renders Markdown in ``st.markdown``, ``st.caption``, ``st.info``/``st.warning``/``st.error``
and in the cells of ``st.table`` (which the dashboard does not use); plotly renders a small HTML subset
(``<a href>``, ``<b>``, ``<img>`` is dropped but ``<a>`` works) in titles, legends, tick and hover labels. So:

* :func:`md_escape` makes a string render as its own characters in any Markdown element: every
  character with a Markdown (or Streamlit directive / math) meaning is backslash-escaped, line starts
  that would open a block are escaped, and the patterns GFM turns into links on its own (``http://``,
  ``www.``, ``name@host``) are broken by an invisible word joiner (U+2060), because GFM finds those
  *after* escapes are resolved;
* :func:`one_line` and :func:`shorten` keep a message to one line and a bounded length (a hostile key
  or value cannot fill the page);
* :func:`safe_table` draws a static table (a DataFrame or a Styler) as HTML with every shown value escaped
  (:func:`table_html`); ``st.table`` would render each cell as Markdown. :func:`styled_table` does the same
  for a Styler made by a function of its arguments. Both keep the HTML of the tables they drew (keyed by
  the data's content, :func:`content_key`), so a warm visit does not lay the same table out again;
* :func:`plotly_text` / :func:`sanitize_figure` neutralise plotly's HTML subset (``<br>`` kept).

Pure functions except :func:`safe_table`; doctests below, browser checks in ``tests/test_browser.py``.
"""

from __future__ import annotations

import copy
import hashlib
import html
import math
import numbers
import re
import threading
from collections import OrderedDict, defaultdict

import pandas as pd

__all__ = [
    "MAX_SHOWN",
    "WORD_JOINER",
    "cell_text",
    "content_key",
    "kept",
    "md_escape",
    "one_line",
    "plotly_text",
    "quoted",
    "safe_table",
    "sanitize_figure",
    "shorten",
    "styled_table",
    "table_html",
]

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


def cell_text(value) -> str:
    """A table cell as shown: blank when missing, whole numbers with thousands separators, other numbers
    as written (up to four decimals), text as it is.

    >>> [cell_text(v) for v in (None, float("nan"), pd.NA, 1234, 2.0, 0.8333333, -1.5, True, "a")]
    ['', '', '', '1,234', '2', '0.8333', '-1.5', 'True', 'a']
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{value:,}"
    if isinstance(value, numbers.Real):
        if math.isnan(value):
            return ""
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4f}".rstrip("0")
    return str(value)


_NUM = r"[+\-\u2212]?[\d,]*\.?\d+ ?%?"
_NUMBERISH = re.compile(rf"{_NUM}( \({_NUM}\))?|no data|not published|n/a|[\u2013\u2014-]?")  # "−32 (−8.3%)" too


def _cell_classes(frame: pd.DataFrame) -> pd.DataFrame:
    """Per cell: ``num`` in a column of numbers (numbers, or text that reads as one, such as "+12" or
    "−5.0%", with gap words allowed), aligned right; ``nw`` for a short value in such a column or in the
    first (a number, "no data", a ward's name), kept on one line on a wide screen. Other text wraps.

    >>> _cell_classes(pd.DataFrame({"a": ["x", "a long piece of text"], "n": [1, 2], "c": ["+1 ", "no data"],
    ...                             "t": ["Yes", "No"], "d": ["\u221232 (\u22128.3%)", "+6 (+18.2%)"]})).values.tolist()
    [['nw', 'num nw', 'num nw', '', 'num nw'], ['', 'num nw', 'num nw', '', 'num nw']]
    """
    out = pd.DataFrame("", index=frame.index, columns=frame.columns)
    for i in range(frame.shape[1]):
        col = frame.iloc[:, i]
        text = col.map(cell_text)
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        if numeric or (text.str.strip().str.fullmatch(_NUMBERISH).all() and (text.str.strip() != "").any()):
            out.iloc[:, i] = "num "
        elif i > 0:
            continue
        out.iloc[:, i] = (out.iloc[:, i] + text.str.len().le(_NO_WRAP).map({True: "nw", False: ""})).str.strip()
    return out


def _html_escaping(func):
    def wrapped(value, *args, **kwargs):
        return html.escape(str(func(value, *args, **kwargs)))
    return wrapped


_NO_WRAP = 14  # characters: a shorter cell is not broken across lines on a wide screen
_INDENT = re.compile(r"\n[ ]+")
_COLUMN_HEADING = re.compile(r'<th (?=[^>]*class="col_heading)')
_PLACEHOLDER = "smp0table0placeholder"  # the Styler's id while the table is drawn, replaced by a content hash


def table_html(data, hide_index: bool = False, key: str | None = None, scroll: bool = False) -> str:
    """A static table as escaped HTML (``data``: a DataFrame, or a pandas Styler whose styles are kept).

    Every shown value, index entry and column label is HTML-escaped after its own formatting, so text from a
    data file shows as written. A DataFrame's named index becomes its first column (unless ``hide_index``);
    an unnamed one is not shown (row numbers mean nothing to a reader). Column headings carry ``scope="col"``.
    The ids pandas gives the cells are a hash of the table, so the same table gives the same HTML on every
    rerun (the browser keeps it). ``key`` names the table in a ``data-table`` attribute (tests find it by it).
    ``scroll``: a wide table that keeps its columns' widths on a phone and scrolls sideways, its first two
    columns pinned (``.smp-scroll`` in the theme), instead of squeezing every column into the screen.

    >>> out = table_html(pd.DataFrame({"Ward": ["<b>A</b>"], "n": [1234]}))
    >>> "&lt;b&gt;A&lt;/b&gt;" in out and "<b>" not in out and ">1,234<" in out and 'scope="col"' in out
    True
    >>> table_html(pd.DataFrame({"n": [1]})) == table_html(pd.DataFrame({"n": [1]}))
    True
    """
    if isinstance(data, pd.DataFrame):
        named = not hide_index and any(name is not None for name in data.index.names)
        frame = data.reset_index() if named else data
        styler = frame.style.hide(axis="index")
    elif hasattr(data, "_display_funcs"):
        styler = copy.deepcopy(data)  # the caller's Styler (perhaps cached) is left as it was
    else:
        raise TypeError(f"table_html needs a DataFrame or a Styler, not {type(data).__name__}")
    funcs = getattr(styler, "_display_funcs", None)
    if not isinstance(funcs, defaultdict):
        raise TypeError("pandas Styler._display_funcs is not a defaultdict: update dashboard.safe_text.table_html")
    # formatters a page set (Styler.format) keep their text; every other cell is shown by cell_text
    new = defaultdict(lambda: _html_escaping(cell_text))
    new.update({k: _html_escaping(f) for k, f in funcs.items()})
    styler._display_funcs = new
    styler.format_index(escape="html", axis=0).format_index(escape="html", axis=1)
    classes = _cell_classes(styler.data)
    styler.set_td_classes(classes)
    numeric = [i for i in range(classes.shape[1]) if classes.iloc[:, i].str.startswith("num").all()]
    if numeric:  # the heading of a column of numbers sits over them
        styler.set_table_styles([{"selector": ", ".join(f"th.col_heading.col{i}" for i in numeric),
                                  "props": "text-align: right"}], overwrite=False)
    styler.cell_ids = False  # ids only on cells a style names (pandas' default gives every cell one)
    styler.set_uuid(_PLACEHOLDER).set_table_attributes('class="smp-table"')
    body = _INDENT.sub("\n", styler.to_html())  # pandas indents its HTML: a fifth of the bytes
    body = _COLUMN_HEADING.sub('<th scope="col" ', body)  # (data is escaped: no "<th" comes from it)
    digest = hashlib.blake2b(body.encode(), digest_size=6).hexdigest()
    key_attr = f' data-table="{html.escape(key, quote=True)}"' if key else ""
    # a box that scrolls must be reachable by keyboard (arrow keys scroll it once focused) and say what it is
    wrap = ('class="smp-table-wrap smp-scroll" tabindex="0" role="region" '
            'aria-label="Table: scroll sideways for more columns"') if scroll else 'class="smp-table-wrap"'
    return f'<div {wrap}{key_attr}>{body.replace(_PLACEHOLDER, "t" + digest)}</div>'


def content_key(*parts) -> bytes | None:
    """A digest of ``parts`` by value (data frames by their columns, types, index and every value; text,
    numbers and tuples of them by ``repr``), or ``None`` for anything else (then nothing is cached).

    >>> a = pd.DataFrame({"n": [1, 2]})
    >>> content_key(a, "k") == content_key(a.copy(), "k"), content_key(a, "k") == content_key(a, "j")
    (True, False)
    >>> content_key(pd.DataFrame({"n": [1]}, dtype=object)) == content_key(pd.DataFrame({"n": ["1"]}))
    False
    >>> content_key(pd.DataFrame({"m": [1, 2]})) == content_key(a), content_key(object()) is None, content_key(("a", (1, 2)))[:0]
    (False, True, b'')
    """
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        if isinstance(part, pd.DataFrame):
            try:
                values = pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes()
            except TypeError:
                return None
            # object columns hash by their text: the values' types tell 1 from "1" and None from "None"
            kinds = [tuple(type(v).__name__ for v in part[c]) if part[c].dtype == object else ()
                     for c in part.columns] if part.columns.is_unique else None
            if kinds is None:
                return None
            h.update(repr(("frame", part.shape, [repr(c) for c in part.columns], [str(t) for t in part.dtypes],
                           list(part.index.names), str(part.index.dtype), kinds)).encode())
            h.update(values)
        elif _plain(part):
            h.update(repr((type(part).__name__, part)).encode())
        else:
            return None
    return h.digest()


def _plain(part) -> bool:
    """Text, a number, ``None``, or a tuple of them (nested): things whose ``repr`` says what they are."""
    if part is None or isinstance(part, (str, int, float, bool)):
        return True
    return isinstance(part, tuple) and all(_plain(p) for p in part)


_KEPT: OrderedDict[bytes, object] = OrderedDict()
_KEPT_LOCK = threading.Lock()
_KEPT_MAX = 512  # tables kept (each a few kB)


def kept(digest: bytes | None, build):
    """``build()``, kept by ``digest`` (:func:`content_key`; least recently used dropped first, ``None`` never
    kept). What is kept is shared by every session: treat it as read-only."""
    if digest is not None:
        with _KEPT_LOCK:
            if digest in _KEPT:
                _KEPT.move_to_end(digest)
                return _KEPT[digest]
    out = build()
    if digest is not None:
        with _KEPT_LOCK:
            _KEPT[digest] = out
            while len(_KEPT) > _KEPT_MAX:
                _KEPT.popitem(last=False)
    return out


def safe_table(data, hide_index: bool = False, key: str | None = None, scroll: bool = False) -> None:
    """A static table whose text shows as written: escaped HTML (:func:`table_html`) drawn by ``st.html``.

    ``st.table`` would render every cell as Markdown in the browser, which cost Town centre's five tables
    0.4-0.7 s of a warm visit; an HTML table is drawn at once, styled by the theme (``.smp-table``). The HTML
    of a DataFrame is kept by its content (laying a table out was about 40% of the Clusters page's server
    time); a Styler is laid out every time (use :func:`styled_table`).
    """
    import streamlit as st

    digest = content_key("safe_table", data, hide_index, key, scroll) if isinstance(data, pd.DataFrame) else None
    st.html(kept(digest, lambda: table_html(data, hide_index=hide_index, key=key, scroll=scroll)))


def styled_table(builder, *args, key: str | None = None) -> None:
    """:func:`safe_table` of ``builder(*args)`` (a DataFrame or a pandas Styler), laid out once per distinct
    arguments (compared by value, :func:`content_key`) and kept: ``builder`` must depend on nothing else."""
    import streamlit as st

    name = f"{builder.__module__}.{builder.__qualname__}"
    digest = content_key("styled_table", name, key, *args)
    st.html(kept(digest, lambda: table_html(builder(*args), key=key)))


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
