"""The dashboard's one theme: every colour, palette and CSS string, and :func:`apply_theme` (called once per
run by ``app.py``).

Palettes are colour-blind safe: Okabe & Ito (2008) for categories, ColorBrewer single-hue sequential
schemes (Blues, Oranges) for amounts and the purple-orange diverging scheme (PuOr) for change, never
red against green; every colour is also named in a legend or table, never the only cue.
Other modules import their colours from here (the old names are re-exported where they lived).

Layout for phones: Streamlit cannot tell the server how wide the screen is, so narrow-screen layout is
done in the browser with the CSS media queries below (``NARROW_PX``): the collapsed sidebar's button
says "Filters", a one-line filter summary shows above the page, static tables wrap, and
:func:`dashboard.charts.show_table` draws a compact table (the label and the main numbers) that
replaces the full one below ``NARROW_PX``.
"""

from __future__ import annotations

__all__ = [
    "OKABE_ITO", "CLASS_COLOURS", "CLASS_DASHES", "INCREASE", "DECREASE", "SEQUENTIAL", "DIVERGING", "GAP_FILL",
    "SEQUENTIAL_COLOURS", "DIVERGING_DECREASE", "DIVERGING_INCREASE", "DIVERGING_NEUTRAL", "DIVERGING_COLOURS",
    "NO_DATA_COLOUR", "HEX_COLOURS", "GI_COLOURS", "SUB_GROUP_COLOURS", "OTHER_WARD_COLOUR", "WARD_PALETTE",
    "PRESENT_COLOUR", "MISSING_COLOUR", "BAND_FILL", "COMPARISON_LINE", "SNAP_POINT_FILL", "VALUE_COLOUR", "BASELINE_COLOUR", "PERIOD_FILL", "AREA_COLOURS",
    "MAIDSTONE_COLOUR", "DISTRICT_COLOUR", "HIGHLIGHT_ROW", "HIGHLIGHT_ROW_CSS", "TEXT", "TEXT_MUTED", "AXIS",
    "GRID", "OUTLINE", "OUTLINE_STRONG", "LEGEND_BG", "BLACK", "WHITE", "TRANSPARENT", "OTHER_WARD_LINE", "AREA_LINE", "HEX_LINE", "HIGHLIGHT_FILL", "FOCUS", "CAPTION", "NARROW_PX", "APP_CSS", "PRINT_CSS",
    "PRINT_SCREEN_CSS", "apply_theme", "contrast_ratio", "EMERGING_PALETTE", "REPEAT_COLOUR", "OTHER_PLACE_COLOUR",
]

# ---------------------------------------------------------------- text and lines
TEXT = "#1A1A1A"  # body text on white: 17.4:1
TEXT_MUTED = "#444444"  # small notes: 9.7:1 on white
CAPTION = "#4A4C55"  # captions (Streamlit's grey was 4.42:1 on the sidebar): 8.6:1 on white, 7.6:1 on the sidebar
AXIS = "#555555"
GRID = "#E5E5E5"
OUTLINE = "#333333"  # area boundaries
OUTLINE_STRONG = "#000000"  # the selected area
LEGEND_BG = "rgba(255,255,255,0.9)"
BLACK, WHITE = "#000000", "#FFFFFF"
TRANSPARENT = "rgba(0,0,0,0)"
OTHER_WARD_LINE = "#9A9A9A"  # boundaries of the wards outside the cluster shown
AREA_LINE = "#5A5A5A"  # LSOA outlines under the hotspot maps
HEX_LINE = "#50280A"  # hexagon edges on the density map (dark brown, seen on every orange)
HIGHLIGHT_FILL = "#fdb863"  # an area picked on a boundary map (light orange, with its name in the legend)
FOCUS = "#0B5CAD"  # keyboard focus ring: 6.7:1 on white, 6.0:1 on the sidebar grey

# ---------------------------------------------------------------- categories (Okabe & Ito)
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
CLASS_COLOURS = {"VBC": "#0072B2", "CAS": "#E69F00", "ASB": "#009E73", "All crime": "#000000"}
CLASS_DASHES = {"VBC": "solid", "CAS": "dash", "ASB": "dot", "All crime": "dashdot"}  # not colour alone
AREA_COLOURS = {"High Street": "#D55E00", "Rest of borough": "#0072B2"}  # vermillion / blue
MAIDSTONE_COLOUR, DISTRICT_COLOUR = "#D55E00", "#0072B2"  # Maidstone among the Kent districts
SUB_GROUP_COLOURS = {"": "#56B4E9", "A": "#56B4E9", "B": "#E69F00"}  # sky blue / orange
OTHER_WARD_COLOUR = "#E8E8E8"
WARD_PALETTE = ("#0072B2", "#009E73", "#CC79A7", "#D55E00", "#F0E442", "#000000")  # map colours last
PRESENT_COLOUR = "#0072B2"  # months with data; white text on it 5.1:1
MISSING_COLOUR = "#E8E8E8"  # months without data, labelled "no data" (never colour alone)
VALUE_COLOUR = "#0072B2"  # an SPC series
BASELINE_COLOUR = "#56B4E9"  # the SPC baseline band
PERIOD_FILL = "rgba(230,159,0,0.10)"  # the selected period on a chart
GAP_FILL = "rgba(120,120,120,0.15)"  # months with no data
BAND_FILL = "rgba(120,120,120,0.16)"  # a reference band (e.g. "close to the Kent and Medway rate")
COMPARISON_LINE = "#777777"  # the legend key of faded comparison lines
SNAP_POINT_FILL = "rgba(255,255,255,0.35)"  # snap points over a filled map (their black ring carries them)
HIGHLIGHT_ROW = "#DCEBF7"  # the selected row of a static table (with bold text, never colour alone)
TABLE_LINE = "#D6D8DD"  # cell borders of a static table (decoration; the text carries the meaning)
TABLE_HEAD = "#F4F5F7"  # its header row (body text on it: 16.1:1)
HIGHLIGHT_ROW_CSS = f"background-color: {HIGHLIGHT_ROW}; font-weight: bold"

# ---------------------------------------------------------------- change (PuOr: orange = more, purple = fewer)
INCREASE, DECREASE = "#B35806", "#542788"
DIVERGING = "PuOr_r"  # plotly scale name: purple (decrease) - white - orange (increase)
DIVERGING_DECREASE = ["#542788", "#8073ac", "#b2abd2", "#d8daeb"]  # strongest fall first
DIVERGING_INCREASE = ["#fee0b6", "#fdb863", "#e08214", "#b35806"]  # weakest rise first
DIVERGING_NEUTRAL = "#f7f7f7"
DIVERGING_COLOURS = DIVERGING_DECREASE + [DIVERGING_NEUTRAL] + DIVERGING_INCREASE

# ---------------------------------------------------------------- amounts (single hue)
SEQUENTIAL = "Blues"  # plotly scale name
SEQUENTIAL_COLOURS = {  # ColorBrewer Blues by number of classes
    3: ["#deebf7", "#9ecae1", "#3182bd"],
    4: ["#eff3ff", "#bdd7e7", "#6baed6", "#2171b5"],
    5: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    6: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"],
    7: ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"],
}
HEX_COLOURS = ["#feedde", "#fdbe85", "#fd8d3c", "#e6550d", "#a63603"]  # ColorBrewer Oranges (hexagon density)
NO_DATA_COLOUR = "#d9d9d9"
GI_COLOURS = {  # Getis-Ord Gi* classes: hot = orange, cold = purple (PuOr), not significant = grey
    "Hot spot 99% confidence": "#b35806",
    "Hot spot 95% confidence": "#e08214",
    "Hot spot 90% confidence": "#fdb863",
    "Not significant": NO_DATA_COLOUR,
    "Cold spot 90% confidence": "#b2abd2",
    "Cold spot 95% confidence": "#8073ac",
    "Cold spot 99% confidence": "#542788",
}
# emerging hot spot patterns (Okabe & Ito), in the order new, intensifying, persistent, diminishing, sporadic,
# no pattern (light grey); every pattern is also named in the legend and the table
EMERGING_PALETTE = ("#E69F00", "#D55E00", "#CC79A7", "#0072B2", "#F0E442", "#E5E5E5")
REPEAT_COLOUR = "#B35806"  # patrol sheet: a REPEAT location (dark orange, white numbers 4.9:1)
OTHER_PLACE_COLOUR = "#0072B2"  # patrol sheet: any other location (blue)


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.x contrast ratio of two ``#rrggbb`` colours.

    >>> round(contrast_ratio("#707173", "#f1f4f8"), 1)  # Streamlit's sidebar caption: axe-core reported 4.42
    4.4
    >>> contrast_ratio(CAPTION, "#f0f2f6") >= 4.5 and contrast_ratio(CAPTION, "#ffffff") >= 4.5
    True
    """
    hi, lo = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---------------------------------------------------------------- CSS
PIN_FIRST_REM = 2.6  # the width of a scrolling table's pinned first column (a row number)
NARROW_PX = 700  # below this width (phones, and 200 % zoom on small laptops) the narrow layout applies

APP_CSS = f"""
/* captions: readable grey everywhere (Streamlit's default was 4.42:1 on the sidebar) */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p {{ color: {CAPTION} !important; }}
/* Streamlit also fades some captions to 60 % opacity (3.0:1 on white): the colour above is the one shown */
[data-testid="stCaptionContainer"] {{ opacity: 1 !important; }}
/* a multiselect full of chips squeezed its text box to 10 px: keep it a 24 px touch target (WCAG 2.5.8) */
[data-testid="stMultiSelect"] input[role="combobox"] {{ min-width: 24px !important; }}
/* keyboard focus: a visible ring that differs from the current page's highlight */
[data-testid="stSidebarNavLink"]:focus-visible, a:focus-visible, button:focus-visible, summary:focus-visible,
[role="tab"]:focus-visible, [role="radio"]:focus-visible, input:focus-visible {{
  outline: 3px solid {FOCUS} !important; outline-offset: 2px !important; }}
[data-testid="stSidebarNavLink"]:focus-visible {{ background: #ffffff !important; }}
/* static tables (safe_text.table_html): plain HTML, drawn at once (st.table rendered each cell as Markdown) */
.smp-table-wrap {{ overflow-x: auto; border: 1px solid {TABLE_LINE}; border-radius: 0.5rem; max-width: 100%; }}
.smp-table {{ border-collapse: separate; border-spacing: 0; min-width: 100%; font-size: 0.875rem; line-height: 1.5;
  color: {TEXT}; margin: 0; }}
.smp-table :is(th, td) {{ padding: 0.25rem 0.45rem; text-align: left; vertical-align: top;
  border-bottom: 1px solid {TABLE_LINE}; border-right: 1px solid {TABLE_LINE}; }}
.smp-table td.nw {{ white-space: nowrap; }}
.smp-table td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
.smp-table thead th {{ font-weight: 600; background: {TABLE_HEAD}; }}
.smp-table tbody tr:last-child :is(th, td) {{ border-bottom: none; }}
.smp-table tr :is(th, td):last-child {{ border-right: none; }}
/* a wide table that scrolls sideways (safe_text.table_html(scroll=True), the patrol sheet): its first two
   columns (number and place) stay in view while the reader swipes */
.smp-scroll :is(th, td):first-child {{ position: sticky; left: 0; z-index: 1; box-sizing: border-box;
  width: {PIN_FIRST_REM}rem; min-width: {PIN_FIRST_REM}rem; max-width: {PIN_FIRST_REM}rem; }}
.smp-scroll :is(th, td):nth-child(2) {{ position: sticky; left: {PIN_FIRST_REM}rem; z-index: 1;
  box-shadow: 2px 0 0 {TABLE_LINE}; }}
.smp-scroll td:is(:first-child, :nth-child(2)) {{ background: {WHITE}; }}
.smp-scroll:focus-visible {{ outline: 3px solid {FOCUS}; outline-offset: 2px; }}
/* the filter summary is for narrow screens only; the compact tables replace the full ones there */
.st-key-phone_filters, [class*="st-key-tblnarrow_"], [class*="st-key-mapnarrow_"] {{ display: none; }}
@media (max-width: {NARROW_PX}px) {{
  .st-key-phone_filters, [class*="st-key-tblnarrow_"], [class*="st-key-mapnarrow_"] {{ display: block; }}
  [class*="st-key-tblwide_"], [class*="st-key-mapwide_"] {{ display: none; }}
  /* the collapsed sidebar's button says what it opens */
  [data-testid="stExpandSidebarButton"] {{ width: auto !important; padding: 0.2rem 0.6rem !important;
    border: 1px solid {AXIS} !important; border-radius: 0.5rem !important; gap: 0.25rem; color: {TEXT} !important; }}
  [data-testid="stExpandSidebarButton"]::after {{ content: "Filters"; font-size: 1rem; font-weight: 600; }}
  [data-testid="stExpandSidebarButton"] span {{ color: {TEXT} !important; }}
  /* static tables fit the screen: smaller text, wrapping cells, columns sharing the width (fixed layout: an
     automatic one kept some 6-column tables 40 px too wide), no sideways scrolling */
  /* (tables written in Markdown too, e.g. About's sources) */
  :is(.smp-table-wrap, [data-testid="stMarkdownContainer"]) table {{ font-size: 0.78rem; width: 100%;
    table-layout: fixed; }}
  :is(.smp-table-wrap, [data-testid="stMarkdownContainer"]) :is(th, td) {{ padding: 0.2rem 0.3rem !important;
    white-space: normal !important; overflow-wrap: anywhere; word-break: normal; min-width: 0 !important; }}
  :is(.smp-table-wrap, [data-testid="stMarkdownContainer"]) :is(th, td) * {{
    overflow-wrap: anywhere !important; hyphens: auto; }}
  /* ...except a table meant to scroll: its columns keep their widths, the place wraps, the rest does not */
  .smp-table-wrap.smp-scroll table {{ width: auto; min-width: 100%; table-layout: auto; }}
  .smp-table-wrap.smp-scroll :is(th, td) {{ white-space: nowrap !important; overflow-wrap: normal !important; }}
  .smp-table-wrap.smp-scroll :is(th, td):first-child {{ min-width: {PIN_FIRST_REM}rem !important; }}
  .smp-table-wrap.smp-scroll :is(th, td):nth-child(2) {{ white-space: normal !important;
    min-width: 7.5rem !important; max-width: 9.5rem; }}
  /* the patrol sheet's phone copy: eight narrow columns of counts; the place gets the room and breaks only
     between words, the counts stay on one line, the headings may break anywhere */
  [data-table="tbln_patrol"] table {{ table-layout: auto; }}
  [data-table="tbln_patrol"] td {{ overflow-wrap: normal !important; }}
  [data-table="tbln_patrol"] td.num {{ white-space: nowrap !important; }}
  [data-testid="stMainBlockContainer"] {{ padding-left: 0.75rem !important; padding-right: 0.75rem !important; }}
  h1 {{ font-size: 2rem !important; }}
  [data-testid="stMetricValue"] {{ font-size: 1.9rem !important; }}
}}
"""

# hides the dashboard chrome and every widget when printing (any view)
PRINT_CSS = """<style>
@media print {
  section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stExpander"], [data-testid="stDownloadButton"], [data-testid="stButton"],
  [data-testid="stSelectbox"], [data-testid="stElementToolbar"], .st-key-cl_print_help,
  .st-key-cl_picker, .st-key-phone_filters, [class*="st-key-tblnarrow_"],
  [class*="st-key-mapnarrow_"] { display: none !important; }
  [data-testid="stMainBlockContainer"], .block-container {
    padding: 0.3rem 0.6rem !important; max-width: 100% !important; }
  [data-testid="stHorizontalBlock"] { display: flex !important; flex-wrap: nowrap !important; }
  html { font-size: 11px !important; }
  h1 { font-size: 1.6rem !important; padding: 0 !important; }
  [data-testid="stVerticalBlock"] { gap: 0.2rem !important; }
  [data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] { font-size: 0.95rem !important; }
  table { font-size: 0.85rem !important; }
  .smp-table { line-height: 1.2 !important; }
  hr { margin: 0.2rem 0 !important; }
  table td, table th { padding: 0.15rem 0.35rem !important; }
  @page { size: A4 landscape; margin: 7mm; }
}
</style>"""

# the cluster print summary on screen: no sidebar, tighter spacing
PRINT_SCREEN_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
.st-key-phone_filters { display: none !important; }
[data-testid="stMainBlockContainer"], .block-container { padding-top: 1.2rem !important; }
[data-testid="stVerticalBlock"] { gap: 0.4rem; }
[data-testid="stMetricValue"] { font-size: 1.7rem !important; }
</style>"""


def apply_theme() -> None:
    """Add the dashboard's CSS to this run's page (style-only HTML takes no space in the layout)."""
    import streamlit as st  # noqa: PLC0415  (the constants above need no Streamlit)

    st.html(f"<style>{APP_CSS}</style>")
