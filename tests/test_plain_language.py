"""Plain language at the point of use (issue 8, item 5): what a reader sees on a page, outside help tooltips
and "How this is worked out" expanders, names no statistical method (natural breaks / Jenks, SPC / XmR,
Gi*, queen contiguity, folded p-values, Poisson tests); the method is still there, one click away; and a
section's link is a copy-link control, not an instruction to edit the address.
"""

from __future__ import annotations

import json

import pytest

from dashboard.explain import HOW_WORKED_OUT, JARGON
from tests.apptest_helpers import open_page, parse_table

PAGES = [
    ("pages/overview.py", {}),
    ("pages/ward_map.py", {}),
    ("pages/ward_map.py", {"breaks": "quantiles", "measure": "change"}),
    ("pages/clusters.py", {}),
    ("pages/hotspots.py", {}),
    ("pages/hotspots.py", {"map": "gi"}),  # the maps are lazy tabs: each one opened from the URL
    ("pages/hotspots.py", {"map": "emerging"}),
    ("pages/town_centre.py", {}),
    *[("pages/priorities.py", {"view": v}) for v in (
        "serious_violence_organised_crime", "domestic_abuse", "safe_town_centre", "children_young_people", "asb",
        "substance_misuse", "public_perception", "public_health", "mental_health", "reoffending")],
]


def _vega_titles(spec) -> list[str]:
    """Every title a Vega-Lite spec draws (axes, legends, tooltips' field names are not drawn)."""
    out = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "title" and isinstance(value, str):
                out.append(value)
            elif key != "tooltip":
                out += _vega_titles(value)
    elif isinstance(spec, list):
        for value in spec:
            out += _vega_titles(value)
    return out


def _seen(node, out: list[str], in_help: list[str]) -> None:
    """Text a reader sees without opening an expander: texts, labels, options, headings, table headers,
    chart titles, axis titles and legend entries."""
    kind = getattr(node, "type", None)
    if kind in ("expander", "expandable"):  # opened on request: "How this is worked out", tables, notes
        in_help.append(getattr(node, "label", ""))
        return
    proto = getattr(node, "proto", None)
    if kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "header", "subheader"):
        out.append(str(getattr(node, "value", "")))
    elif kind == "metric":
        out.append(f"{node.label} {node.value} {node.delta or ''}")
    elif kind in ("radio", "selectbox"):
        out.append(node.label)
        out += [str(o) for o in node.options]
    elif kind == "tab":
        out.append(node.label)
    elif kind in ("dataframe", "table"):
        out += [str(c) for c in node.value.columns]
    elif kind == "html" and 'class="smp-table"' in node.value:  # a static table (safe_text.safe_table)
        out += [str(c) for c in parse_table(node.value).columns]
    elif kind == "plotly_chart":
        spec = json.loads(proto.spec)
        layout = spec.get("layout", {})
        for key in ("title", "xaxis", "yaxis"):
            part = layout.get(key) or {}
            title = part.get("title") if key != "title" else part
            if isinstance(title, dict):
                out.append(str(title.get("text", "")))
        legend_title = (layout.get("legend") or {}).get("title") or {}
        out.append(str(legend_title.get("text", "")))
        out += [str(t.get("name", "")) for t in spec.get("data", []) if t.get("showlegend", True) is not False]
    elif kind == "vega_lite_chart":  # axis and legend titles (the chart's title is markdown above it)
        out += _vega_titles(json.loads(proto.spec))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            _seen(child, out, in_help)


@pytest.mark.parametrize("page, params", PAGES, ids=lambda x: x if isinstance(x, str) else ",".join(
    f"{k}={v}" for k, v in x.items()) or "-")
def test_no_statistical_jargon_where_the_reader_looks(full_store, page, params):
    at = open_page(page, full_store, query_params=params)
    assert not at.exception
    seen, expanders = [], []
    _seen(at.main, seen, expanders)
    text = "\n".join(seen)
    assert len(text) > 500  # the page drew its content (so this test can fail)
    assert not at.get("table")  # static tables are HTML: st.table renders every cell as Markdown (slow, unsafe)
    found = sorted({term for term in JARGON if term.lower() in text.lower()})
    lines = [line for line in text.splitlines() if any(t.lower() in line.lower() for t in found)]
    assert not found, f"{page} {params}: {found} at the point of use:\n" + "\n".join(lines[:8])


@pytest.mark.parametrize("page, params, term", [
    ("pages/hotspots.py", {"map": "gi"}, "Getis-Ord Gi*"),
    ("pages/hotspots.py", {"map": "emerging"}, "Mann-Kendall"),
    ("pages/priorities.py", {"view": "asb"}, "statistical process control (SPC)"),
])
def test_the_method_is_one_click_away(full_store, page, params, term):
    at = open_page(page, full_store, query_params=params)
    explained = [e for e in at.expander if e.label == HOW_WORKED_OUT]
    assert explained and any(term in m.value for e in explained for m in e.markdown)


def test_the_ward_map_names_its_colour_method_in_the_help(full_store):
    at = open_page("pages/ward_map.py", full_store)
    radio = next(r for r in at.radio if r.key == "wm_breaks")
    assert "natural breaks" in radio.help and "quantiles" in radio.help


def test_a_section_link_is_a_copy_link_control(full_store):
    at = open_page("pages/priorities.py", full_store, query_params={"view": "domestic_abuse"},
                   session_state={"x_link_domestic_abuse": True})  # its box opened (a lazy expander)
    assert [e.label for e in at.expander if e.label == "Link to this section"] == ["Link to this section"]
    codes = [c.value for c in at.code]
    assert any(c.endswith("view=domestic_abuse") for c in codes), codes
    assert not any("to the address" in m.value for m in [*at.caption, *at.markdown])
