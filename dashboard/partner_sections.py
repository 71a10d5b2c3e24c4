"""Partner indicators for each SMP priority and theme (Strategic Assessment 2024/25 figures, not police.uk),
drawn inside the priorities page's sections. Streamlit rendering only: the shaping is in
:mod:`dashboard.partner_indicators_view` (pure, tested).

Only public partner queries (``partner.*``) are used: published partner files and uploads marked public,
never restricted rows. Every table and chart says its source, the report's table or paragraph, the kind
of period (as published) and shows the source's notes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import explain, theme
from dashboard import partner_indicators_view as piv
from dashboard import priorities_view as pv
from dashboard import town_centre_view as tcv
from dashboard.charts import download_csv, show_chart, show_table
from dashboard.data import query
from dashboard.maps import choropleth, display_geojson
from dashboard.partner_view import theme_label
from dashboard.safe_text import md_escape, safe_table, styled_table

__all__ = ["render"]

INTRO = ("Figures as published in the SMP Strategic Assessment 2024/25 (and public partner uploads), for their own "
         "periods and areas: the sidebar's period, area and crime-type filters do not apply to them, and they are "
         "never added to police.uk counts. Each table says where in the report a figure comes from; the notes "
         "carry the report's own caveats and inconsistencies (values are never corrected).")


# --- small building blocks -----------------------------------------------------------------------

def _theme(theme: str) -> pd.DataFrame:
    return query("partner.by_theme", theme=theme)


def _static(df: pd.DataFrame) -> None:
    """A small table shown in full (long notes wrap, nothing is cut off); cells shown as written."""
    safe_table(df, hide_index=True)


def _caption(text: str) -> None:
    """A caption that may quote partner text (sources, notes; uploads too): shown as plain text."""
    st.caption(md_escape(text))


def _facts(df: pd.DataFrame, key: str, filename: str, caption: str | None = None) -> None:
    """Published figures as a readable list: indicator, area, period, value, the report's table, note."""
    if df.empty:
        st.info("No partner figures of this kind in the store.")
        return
    table = piv.figures_table(df)
    cols = ["Indicator", "Period", "Value", "Source table", "Note"]
    if table["Area"].nunique() > 1:
        cols.insert(1, "Area")
    shared, own = piv.common_notes(table["Note"])
    _static(table[cols].assign(Note=own) if shared else table[cols])
    _caption((caption or piv.source_caption(df)) + (f" Note on every figure here: {'; '.join(shared)}."
                                                      if shared else ""))
    download_csv(table, filename, key)


def _notes(df: pd.DataFrame, title: str = "Notes from the source") -> None:
    lines = piv.notes_list(df)
    if lines:
        with st.expander(f"{title} ({len(lines)})"):
            st.markdown("\n".join(f"- {md_escape(line)}" for line in lines))


def _all_figures(df: pd.DataFrame, key: str) -> None:
    if df.empty:
        st.info("No partner figures for this theme in the store.")
        return
    table = piv.figures_table(df)
    show_table(table, key, f"partner_{key}.csv", column_config={
        "Note": st.column_config.TextColumn(width="large"),
        "Indicator": st.column_config.TextColumn(width="medium", pinned=True)})
    _caption(f"{len(table):,} published figures. Hover a cell to read a long note in full, or download the CSV. "
             "Change rows (Diff, % change) are shown with their sign.")


def _flag(text: str | list[str], heading: str = "As published (not corrected):", escaped: bool = False) -> None:
    """A published inconsistency or caveat that matters for reading the figures (values kept as published);
    several are listed as bullets. Items are partner text, shown as written (``escaped``: already escaped)."""
    items = [t if escaped else md_escape(t) for t in ([text] if isinstance(text, str) else text) if t]
    if len(items) == 1:
        st.warning(f"**{heading}** {items[0]}")
    elif items:
        st.warning(f"**{heading}**\n" + "\n".join(f"- {t}" for t in items))


def _tabs(key: str, labels: list[str]) -> list:
    """A section's inner tabs: only the open one's figures, tables and charts run and are sent (``tab.open``),
    as for the priority tabs themselves; the first is open on arrival."""
    return st.tabs(labels, key=key, on_change="rerun")


def _pivot_chart(df: pd.DataFrame, rows, key: str, title: str, y_title: str, caption: str,
                 stacked: bool = False, totals=None, width_px: float = 900) -> None:
    numbers = piv.numeric_pivot(df, rows)
    show_chart(piv.bar_by_period(numbers, title, y_title, stacked=stacked, totals=totals, width_px=width_px),
               numbers, f"pi_{key}", f"{key}.csv", md_escape(caption))


# --- domestic abuse ------------------------------------------------------------------------------

def _da_by_year(da: pd.DataFrame) -> None:
    table = piv.select(da, [i for i, _ in piv.DA_ROWS], "borough")
    if table.empty:
        st.info("The para 53 table is not in the store.")
        return
    _static(piv.period_pivot(table, piv.DA_ROWS, "Domestic abuse crimes (para 53)"))
    _caption(piv.source_caption(table) + " Rows marked ↳ are part of the row above them and are never added "
               "to the total.")
    _notes(table)
    top = [r for r in piv.DA_ROWS if r[0] in ("da_crimes_vap", "da_crimes_sexual_offences", "da_crimes_other")]
    totals = piv.numeric_pivot(table, [("da_crimes", "Total")]).iloc[0, 1:].tolist()
    left, right = st.columns(2)
    with left:
        _pivot_chart(table, top, "da_top", "DA crimes by Dec–Nov year", "Crimes",
                     "Stacked: VAP + sexual offences + other crimes, which make up the published total (written "
                     "above each bar). Dec–Nov years as published, not calendar years.", stacked=True, totals=totals,
                     width_px=420)
    with right:
        nested = [r for r in piv.DA_ROWS if r[1].startswith("↳")]
        _pivot_chart(table, nested, "da_nested", "Parts of VAP and of sexual offences", "Crimes",
                     "Side by side, not stacked: each is part of a larger category (stalking and harassment and "
                     "coercion and control are in VAP; rape is in sexual offences). Dec–Nov years as published.",
                     width_px=420)
    changes = piv.select(da, ["da_crimes_pct_change", "da_crimes_vap_pct_change", "da_crimes_vap_share_pct",
                              "da_crimes_stalking_harassment_pct_change", "da_crimes_coercion_control_pct_change",
                              "da_crimes_sexual_offences_pct_change"], "borough")
    st.markdown("**Changes quoted in the text (paras 52–53)**")
    _facts(changes, "pi_da_changes", "da_changes_quoted.csv")


def _da_by_ward(da: pd.DataFrame) -> None:
    wards = query("partner.ward_values", indicator_id="da_crimes")
    names, clusters = dict(zip(wards["area_code"], wards["ward_2022_name"])), dict(zip(wards["area_code"],
                                                                                        wards["cluster_2022"]))
    table, shared = piv.da_ward_table(da, names, clusters)
    if table.empty:
        st.info("Tables 6 and 7 are not in the store.")
        return
    value_cols = [c for c in table.columns if c.startswith(("DA crimes", "Per 1,000", "Change"))]
    this_year = [c for c in value_cols if c.startswith("DA crimes")][-1]
    options = {f"Table 6: {this_year}": (this_year, "DA crimes", False, 0),
               f"Table 7: {[c for c in value_cols if c.startswith('Per 1,000')][-1]}":
                   ([c for c in value_cols if c.startswith("Per 1,000")][-1], "Per 1,000 people", False, 1),
               "Table 6: change in crimes on the year before (published)":
                   ("Change in crimes (published)", "Change in crimes", True, 0)}
    choice = st.radio("Map", list(options), horizontal=True, key="pi_da_ward_measure")
    col, label, diverging, decimals = options[choice]
    data = piv.ward_map_data(table, col)
    fig, _ = choropleth(display_geojson("wards_2022"), data, "ward_2022_code", "value", label,
                        {"ward": "Ward (pre-May-2024)", "cluster": "Cluster (2022)", "value_text": label,
                         "flag": "Ward has its own note"}, diverging=diverging, decimals=decimals, height=520)
    show_chart(fig, data.drop(columns=["value_text"]), "pi_da_ward_map", "da_by_ward_map.csv",
               f"{len(data)} wards in force before May 2024 (Table 6 counts and Table 7 rates use these wards). "
               + ("Purple = fewer crimes than the year before, orange = more. " if diverging else
                  "Darker blue = higher. ") + "Dec–Nov years, as published. Grey = no figure.")
    flags = [(w, piv.inconsistencies(n)) for w, n in zip(table["Ward (pre-May-2024)"], table["Note"])]
    _flag([f"**{md_escape(w)}**: {md_escape(text)}" for w, text in flags if text],
          "Tables 6 and 7 contradict each other for these wards (values kept as published):", escaped=True)
    shown = table.drop(columns=["ward_2022_code"])
    show_table(shown, "pi_da_wards", "da_by_ward.csv", placeholder="not published",
               height=36 * (len(shown) + 1) + 4, column_config={
        **{c: st.column_config.NumberColumn(format="%.1f") for c in shown.columns if c.startswith("Per 1,000")},
        **{c: st.column_config.NumberColumn(format="localized") for c in shown.columns
           if c.startswith(("DA crimes", "Change"))},
        "% change (published)": st.column_config.NumberColumn(format="%.1f%%"),
        "Note": st.column_config.TextColumn(width="large")})
    borough_notes = [n for n in piv.select(da, ["da_crimes"], "borough")["note"] if isinstance(n, str) and n]
    _caption(piv.source_caption(piv.select(da, ["da_crimes", "da_crimes_per_1000"], "ward_2022"))
               + (" Every ward: " + "; ".join(shared) + "." if shared else "")
               + (" Ward counts against the para 53 totals: " + "; ".join(borough_notes) + "." if borough_notes else ""))


def _domestic_abuse(df: pd.DataFrame) -> None:
    tabs = _tabs("pi_tabs_da", ["DA crimes by year (para 53)", "By ward (Tables 6 and 7)", "MARAC and support",
                                "Shares quoted in the text", "All figures and notes"])
    if tabs[0].open:
        with tabs[0]:
            _da_by_year(df)
    if tabs[1].open:
        with tabs[1]:
            _da_by_ward(df)
    if tabs[2].open:
        with tabs[2]:
            marac = piv.select(df, prefix="marac")
            support = piv.select(df, ["da_sanctuary_referrals_pct_change", "da_sanctuary_spend_gbp",
                                      "da_one_stop_shop_partner_attendees_per_week"])
            _facts(pd.concat([marac, support]), "pi_da_marac", "da_marac_support.csv")
            _caption("The report does not date MARAC's 'current' and 'previous' periods, the sanctuary change or "
                       "One Stop Shop attendance: the notes say which year each is read as.")
    if tabs[3].open:
        with tabs[3]:
            shares = piv.select(df, prefix="da_share_")
            _facts(shares, "pi_da_shares", "da_shares.csv")
            _flag(piv.rows_note(df, "da_share_vap_crime_pct"))
    if tabs[4].open:
        with tabs[4]:
            _all_figures(df, "domestic_abuse")


# --- children and young people ---------------------------------------------------------------------

MCET_ROWS = (("missing_reports", "Missing reports"), ("missing_individuals", "Missing individuals"),
             ("missing_avg_hours", "Average time missing"), ("missing_repeat_rate_pct", "Repeat rate"),
             ("missing_possible_cse", "Episodes with possible CSE"), ("missing_found_harmed", "Found harmed"))
AGE_ROWS = (("youth_offenders_by_age_under_12", "Under 12"), ("youth_offenders_by_age_13", "13"),
            ("youth_offenders_by_age_14", "14"), ("youth_offenders_by_age_15", "15"),
            ("youth_offenders_by_age_16", "16"), ("youth_offenders_by_age_17_plus", "17 and over"))


def _missing_children(df: pd.DataFrame) -> None:
    mcet = piv.select(df, [i for i, _ in MCET_ROWS], "borough")
    if mcet.empty:
        st.info("The M-CET table is not in the store.")
        return
    table = piv.period_pivot(mcet, MCET_ROWS, "M-CET (para 79)")
    table["Diff +/- (as published)"], table["% Change (as published)"] = piv.published_changes(
        df, [i for i, _ in MCET_ROWS])
    _static(table)
    changes = piv.select(df, [i + s for i, _ in MCET_ROWS for s in ("_diff", "_pct_change")], "borough")
    _caption(piv.source_caption(mcet) + " Average time missing is in hours; the repeat rate is a percentage "
               "(its % change is relative, not percentage points).")
    if any("2022 minus 2021" in str(n) for n in changes["note"]):
        _flag("the published 'Diff +/-' column equals 2022 minus 2021 for every row, while the '% Change' column "
              "is 2023 against 2022; para 78's '+31%' also matches 2022 against 2021. Both columns are shown as "
              "printed; the notes give the figures.")
    _notes(pd.concat([mcet, changes]))
    st.markdown("**Missing children: Maidstone against the Kent police divisions**")
    areas = df[df["indicator_id"].isin(["missing_reports", "missing_individuals"])
               & df["area_type"].isin(["kent_district", "kent_division"])]
    if areas.empty:
        return
    rows = [("missing_reports", "Missing reports"), ("missing_individuals", "Missing individuals")]
    _static(piv.area_pivot(areas.sort_values("area_type", ascending=False, kind="stable"), rows))
    shared, own = piv.common_notes(areas["note"])
    _caption(piv.source_caption(areas) + (f" Every figure: {'; '.join(shared)}." if shared else ""))
    _flag("; ".join(dict.fromkeys(n for n in own if n)))
    download_csv(piv.figures_table(areas), "missing_children_districts.csv", "pi_missing_districts")


def _youth_justice(df: pd.DataFrame) -> None:
    offences = piv.select(df, ["youth_offences"], "borough")
    if not offences.empty:
        _pivot_chart(offences, [("youth_offences", "Youth offences")], "youth_offences",
                     "Youth offences by financial year (Apr–Mar)", "Offences",
                     piv.source_caption(offences))
        _flag(piv.rows_note(df, "youth_offences", 2022))
    ages = piv.select(df, [i for i, _ in AGE_ROWS] + ["youth_offenders"], "borough")
    if not ages.empty:
        left, right = st.columns([3, 2])
        with left:
            _pivot_chart(ages, AGE_ROWS, "youth_ages", "Youth offenders by age band", "Offenders",
                         "Bars side by side per financial year. " + piv.source_caption(ages), width_px=520)
        with right:
            _static(piv.period_pivot(ages, [*AGE_ROWS, ("youth_offenders", "Total (as published)")], "Age band"))
            _caption(piv.rows_note(df, "youth_offenders_by_age_under_12", 2022))
    text = piv.select(df, ["youth_offences_change", "youth_offences_pct_change", "youth_offenders_change",
                           "youth_offenders_pct_change", "youth_population_convicted_pct"])
    st.markdown("**Quoted in the text (para 81)**")
    _facts(text, "pi_youth_text", "youth_justice_text.csv")


def _young_people_services(df: pd.DataFrame) -> None:
    town = _theme("safe_town_centre")
    hub_ids = ["youth_hub_young_people", "youth_hub_visits", "youth_hub_sessions", "youth_hub_repeat_attendance_pct",
               "youth_hub_male_pct"]
    hub = piv.select(town, hub_ids + sorted(set(piv.select(town, prefix="youth_hub_")["indicator_id"]) - set(hub_ids)))
    st.markdown("**326 Youth Hub (para 73)**")
    _facts(hub, "pi_youth_hub", "youth_hub.csv")
    _caption("Filed under the safe town centre priority in the report (para 73); shown here too because it is "
               "about young people. The report gives no end date: the figures run from February 2023, open-ended.")
    st.markdown("**Contextual safeguarding and the Child Centred Policing Team (para 76)**")
    _facts(piv.select(df, prefix="dcsm_").pipe(lambda d: pd.concat([d, piv.select(df, prefix="ccpt_")])),
           "pi_cyp_other", "young_people_other.csv")


def _children_young_people(df: pd.DataFrame) -> None:
    tabs = _tabs("pi_tabs_cyp", ["Missing children (M-CET)", "Youth justice", "Youth Hub and other",
                                 "All figures and notes"])
    if tabs[0].open:
        with tabs[0]:
            _missing_children(df)
    if tabs[1].open:
        with tabs[1]:
            _youth_justice(df)
    if tabs[2].open:
        with tabs[2]:
            _young_people_services(df)
    if tabs[3].open:
        with tabs[3]:
            _all_figures(df, "children_young_people")


# --- substance misuse ------------------------------------------------------------------------------

NEEDLE_SPC_HOW = (  # plain words (dashboard.explain); the method is one click away
    explain.UNUSUAL_MONTH_PLAIN + " A single very high month (April 2020) widens the usual range for every month.")

def _needle_spc() -> pd.Series | None:
    monthly = query("partner.monthly_series", indicator_id="needle_finds")
    series = piv.monthly_values(monthly)
    chart, note = pv.spc_for(series, None) if len(series) else (None, "No monthly needle finds in the store.")
    if note:
        st.info(note)
    if chart is None:
        return None
    lim = chart.limits
    gaps = [m for m, v in series.items() if pd.isna(v)]
    fig = pv.spc_figure(chart, "Needle finds per month: is any month unusual?", "Needle finds per month",
                        show_baseline=False, value_name="Monthly needle finds")
    table = pv.xmr_display_table(chart).rename(columns={"records": "needle finds"})
    show_chart(fig, table, "pi_needle_spc", "needle_finds_xmr.csv",
               f"Monthly needle finds, {series.index[0]:%b %Y} – {series.index[-1]:%b %Y} (calendar months, Jan–Dec "
               f"each year). Average {lim.centre:,.1f} a month; usual range {max(lim.lcl, 0):,.1f} to "
               f"{lim.ucl:,.1f} (worked out from every month with a figure). "
               + (f"No figure published for {', '.join(f'{m:%b %Y}' for m in gaps)}: a gap (grey band), not "
                  "zero. " if gaps else "")
               + NEEDLE_SPC_HOW, placeholder="—")
    explain.how_worked_out(f"{explain.CONTROL_CHART_METHOD} Here: centre line {lim.centre:,.1f}, control limits "
                           f"{lim.lcl:,.1f} to {lim.ucl:,.1f}, baseline every month with a figure. Chart notes: "
                           + md_escape(" ".join(chart.notes)))
    return series


def _needle_context(df: pd.DataFrame, series: pd.Series | None) -> None:
    if series is not None and series.notna().any():
        table = pv.seasonal_display_table(series)
        show_chart(pv.seasonal_figure(table, "Needle finds: same month across years", "Needle finds per month"),
                   table, "pi_needle_season", "needle_finds_seasonality.csv",
                   "One line per calendar year (the latest solid and thickest); a month with no figure breaks "
                   "its line.")
    yearly = piv.select(df, ["needle_finds"], "borough", period_type="calendar_year")
    st.markdown("**Yearly totals (calendar years, as published)**")
    _facts(pd.concat([yearly, piv.select(df, ["needle_finds_pct_change"])]), "pi_needle_years",
           "needle_finds_yearly.csv")
    totals = piv.numeric_pivot(yearly, [("needle_finds", "Needle finds")])
    if len(totals.columns) >= 3 and totals.iloc[0, -1] > totals.iloc[0, -2]:
        _caption(f"Para 105 opens 'The sustained reduction in needles', though the published totals rise from "
                   f"{totals.iloc[0, -2]:,.0f} ({totals.columns[-2]}) to {totals.iloc[0, -1]:,.0f} "
                   f"({totals.columns[-1]}); the side heading says 'rise'.")


def _needle_locations(df: pd.DataFrame) -> None:
    tops = piv.top_locations(df)
    if not tops:
        st.info("No top-location tables in the store.")
        return
    for col, (period, table) in zip(st.columns(len(tops)), tops.items()):
        with col:
            st.markdown(f"**Top 5, {period}**")
            _static(table)
    located = piv.select(df, ["needle_finds"], "location")
    _caption(piv.source_caption(located) + " Location names as published (e.g. 'Cemetary', 'Ampitheatre'); "
               "ranks as published. Locations are not added up.")
    _flag("; ".join(dict.fromkeys(t for t in map(piv.inconsistencies, located["note"]) if t)))
    _notes(located)
    download_csv(pd.concat([t.assign(period=p) for p, t in tops.items()]), "needle_top_locations.csv",
                 "pi_needle_top")


def _substance_misuse(df: pd.DataFrame) -> None:
    tabs = _tabs("pi_tabs_needles", ["Needle finds: unusual months?", "Needle finds by month and year",
                                     "Needle finds: top locations", "Drug offences (Kent Police)", "All figures and notes"])
    if tabs[0].open:
        with tabs[0]:
            series = _needle_spc()
            _caption("The police.uk drugs offences for Maidstone are charted the same way further down this section "
                       "(police.uk data starts in January 2022).")
    if tabs[1].open:
        with tabs[1]:
            _needle_context(df, series)
    if tabs[2].open:
        with tabs[2]:
            _needle_locations(df)
    if tabs[3].open:
        with tabs[3]:
            _facts(piv.select(df, prefix="drug_offences"), "pi_drug_offences", "drug_offences.csv")
            _caption("Kent Police recorded drug offences for calendar year 2023. police.uk has no 2023 months in "
                       "this store, so there is no police.uk count for the same year; the police.uk drugs series below "
                       "covers 2022, 2024 and 2025.")
    if tabs[4].open:
        with tabs[4]:
            _all_figures(df, "substance_misuse")


# --- anti-social behaviour -------------------------------------------------------------------------

CPW_TYPES = (("asb", "ASB"), ("dogs", "Nuisance/dangerous dog (incl. barking)"), ("noise", "Noise (incl. with ASB)"),
             ("nuisance", "Nuisance"), ("unauthorised_encampment", "Unauthorised encampment"))
CPT_ROWS = (("cpt_service_requests_asb", "All ASB complaints"),
            ("cpt_service_requests_noise", "All noise nuisances (incl. amplified music and barking)"),
            ("cpt_service_requests_noise_barking_dogs", "↳ of which barking dogs (in noise)"),
            ("cpt_service_requests_noise_amplified_music", "↳ of which amplified music (in noise)"),
            ("cpt_service_requests_other_nuisance", "Other nuisance (odour, dust etc.)"),
            ("cpt_service_requests_dangerous_nuisance_dogs", "Dangerous and nuisance dogs (not strays)"),
            ("cpt_service_requests_dog_fouling", "Dog fouling"),
            ("cpt_service_requests_stray_lost_dogs", "Straying and lost dogs' enquiries"),
            ("cpt_service_requests_dangerous_dog_allegations", "Comments column: allegations of dangerous dogs"),
            ("cpt_service_requests_dog_attacks_on_animals", "Comments column: alleged dog attacks on animals"))


def _cpw_cpn(df: pd.DataFrame, family: str, name: str, para: str) -> None:
    rows = [(f"{family}_issued_{t}", label) for t, label in CPW_TYPES]
    sel = piv.select(df, [i for i, _ in rows] + [f"{family}_issued"], "borough")
    if sel.empty:
        return
    st.markdown(f"**{name} issued, by type ({para})**")
    _static(piv.period_pivot(sel, [*rows, (f"{family}_issued", "Total (as published)")], "Type"))
    _caption(piv.source_caption(sel))
    _pivot_chart(sel, rows, f"{family}_types", f"{name.split(' (')[0]} by type and calendar year", "Issued",
                 "Types side by side, not stacked: the published totals are in the table (the 2023 CPW total "
                 "does not equal the sum of its types).")
    _flag(piv.rows_note(df, f"{family}_issued", 2023))
    _notes(sel)


def _asb(df: pd.DataFrame) -> None:
    tabs = _tabs("pi_tabs_asb", ["CPWs and CPNs", "CPT service requests (Appendix 5)", "Other ASB figures",
                                 "All figures and notes"])
    if tabs[0].open:
        with tabs[0]:
            totals = piv.numeric_pivot(piv.select(df, ["cpw_issued", "cpn_issued"], "borough"),
                                       [("cpw_issued", "CPW"), ("cpn_issued", "CPN")])
            if len(totals.columns) >= 3 and len(totals) == 2:
                (w0, w1), (n0, n1) = totals.iloc[0, -2:].tolist(), totals.iloc[1, -2:].tolist()
                y0, y1 = totals.columns[-2], totals.columns[-1]
                st.info(f"The report's side headings say CPW use 'has increased' and that CPNs increased relative to "
                        f"CPWs, but the published totals are {w0:,.0f} CPWs in {y0} and {w1:,.0f} in {y1}, and "
                        f"{n0:,.0f} CPNs in {y0} and {n1:,.0f} in {y1}. Paras 89–90 say the 2023 figures are incomplete "
                        "(Kent Police warnings had not all been obtained).")
            _cpw_cpn(df, "cpw", "Community Protection Warnings (CPWs)", "para 89")
            _cpw_cpn(df, "cpn", "Community Protection Notices (CPNs)", "para 90")
    if tabs[1].open:
        with tabs[1]:
            sel = piv.select(df, [i for i, _ in CPT_ROWS], "borough")
            _static(piv.period_pivot(sel, CPT_ROWS, "CPT service requests"))
            top = [r for r in CPT_ROWS[:8] if not r[1].startswith("↳")]
            _pivot_chart(sel, top, "cpt_requests", "CPT service requests by category and calendar year", "Requests",
                         "Bars side by side; the barking-dog and amplified-music figures are part of noise and are not "
                         "drawn. " + piv.source_caption(sel))
            para87 = [piv.rows_note(df, i, 2023) for i in ("cpt_service_requests_asb", "cpt_service_requests_noise",
                                                             "cpt_service_requests_other_nuisance",
                                                             "cpt_service_requests_dangerous_nuisance_dogs")]
            _flag(para87, "Para 87 against this table (Appendix 5), as published:")
            _notes(sel)
    if tabs[2].open:
        with tabs[2]:
            _facts(piv.select(df, ["community_triggers_requested", "asb_case_reviews_threshold_met",
                                   "unauthorised_encampments_public_land", "cpt_service_complaints_pct_change_since_2020"]),
                   "pi_asb_other", "asb_other.csv")
    if tabs[3].open:
        with tabs[3]:
            _all_figures(df, "asb")


# --- serious violence and organised crime ------------------------------------------------------------

def _style_ranking(shown: pd.DataFrame):
    """The ranking table as shown: Maidstone's row shaded and bold, the ranks centred."""
    return (shown.style.apply(lambda r: [theme.HIGHLIGHT_ROW_CSS if r["District"] == "Maidstone" else ""
                                         for _ in r], axis=1)
            .hide(axis="index").set_properties(subset=list(shown.columns[1:]), **{"text-align": "center"}))


def _ranking(df: pd.DataFrame, family: str) -> None:
    table = piv.ranking_table(df, family)
    if table.empty:
        st.info("No rankings in the store.")
        return
    shown = table.drop(columns=["area_code", "is_maidstone"])
    styled_table(_style_ranking, shown)  # laid out once per distinct table (kept by content)
    sel = piv.select(df, prefix=f"{family}_rank_")
    _caption("Rank among the 13 Kent and Medway districts, 1 = highest (equal values share a rank). Columns: age "
               "band · measure (count of crimes, harm score, rate per 1,000 population). Maidstone is shaded and "
               "bold. Rows in order of the all-ages count rank. " + piv.source_caption(sel))
    download_csv(shown, f"vru_{family}_ranks.csv", f"pi_rank_{family}")


def _serious_violence(df: pd.DataFrame) -> None:
    tabs = _tabs("pi_tabs_svoc", ["Kent violence rankings (VRU)", "Hate crime", "Hospital admissions for assault",
                                  "All figures and notes"])
    if tabs[0].open:
        with tabs[0]:
            st.markdown("Kent and Medway Violence Reduction Unit rankings for the year to June 2023 (Jul 2022 – Jun "
                        "2023): all serious violent crime (ASVC, para 31, includes MSVC) and most serious violent crime "
                        "(MSVC, para 32), by age band (U18, U25, 25+, all) and measure (count, harm score, rate per 1,000 "
                        "population). The report does not say whether the age bands are victims' or suspects' ages.")
            inner = _tabs("pi_tabs_vru", ["ASVC ranks", "MSVC ranks", "Maidstone's ranks (chart)"])
            if inner[0].open:
                with inner[0]:
                    _ranking(df, "asvc")
            if inner[1].open:
                with inner[1]:
                    _ranking(df, "msvc")
            if inner[2].open:
                with inner[2]:
                    ranks = piv.maidstone_rank_table(query("partner.maidstone_ranks"))
                    if ranks.empty:
                        st.info("No Maidstone ranks in the store.")
                    else:
                        show_chart(piv.rank_dot_figure(ranks, "Maidstone's rank among Kent and Medway districts, year to "
                                                              "June 2023"), ranks, "pi_rank_maidstone", "maidstone_ranks.csv",
                                   "Further left = higher in Kent (1 = highest). Blue circles: ASVC; orange diamonds: MSVC. "
                                   "Ranks are positions, not amounts: they are never added or averaged.")
    if tabs[1].open:
        with tabs[1]:
            _facts(piv.select(df, prefix="hate_crimes"), "pi_hate", "hate_crime.csv")
            _caption("Hate crime is counted over December to November (Dec 2022 – Nov 2023), not a calendar year.")
    if tabs[2].open:
        with tabs[2]:
            _facts(piv.select(df, prefix="hospital_admissions_"), "pi_svoc_admissions", "assault_admissions.csv")
    if tabs[3].open:
        with tabs[3]:
            _all_figures(df, "serious_violence_organised_crime")


# --- the other themes ---------------------------------------------------------------------------

def _safe_town_centre(df: pd.DataFrame) -> None:
    tabs = _tabs("pi_tabs_town_centre", ["Town centre table (para 64)", "Youth Hub, Task Force and funding",
                                         "All figures and notes"])
    if tabs[0].open:
        with tabs[0]:
            published = tcv.published_table(df)
            if published.empty:
                st.info("The para 64 table is not in the store.")
            else:
                _static(published)
                shared = tcv.published_notes(df)
                _caption(piv.source_caption(piv.select(df, prefix="tc_")) + " Pre-May-2024 High Street ward. "
                           + (f"Notes: {'; '.join(shared)}. " if shared else "")
                           + "The Town centre page sets these beside the police.uk counts for the same months.")
                _flag(piv.rows_note(df, "tc_da_share_pct"))
    if tabs[1].open:
        with tabs[1]:
            _facts(df[~df["indicator_id"].str.startswith("tc_")], "pi_tc_other", "town_centre_other.csv")
    if tabs[2].open:
        with tabs[2]:
            _all_figures(df, "safe_town_centre")


def _mental_health(df: pd.DataFrame) -> None:
    refs = [("mh_referrals_18_64", "Adults 18–64"), ("mh_referrals_65_plus", "Older adults 65+")]
    sel = piv.select(df, [i for i, _ in refs], "borough")
    if not sel.empty:
        _pivot_chart(sel, refs, "mh_referrals", "Mental health referrals by financial year (Apr–Mar)", "Referrals",
                     piv.source_caption(sel))
    _facts(df, "pi_mental_health", "mental_health.csv")


def _public_perception(df: pd.DataFrame) -> None:
    safe = [("survey_public_safe_local_area_day_pct", "Felt safe in local area, daytime"),
            ("survey_public_safe_local_area_night_pct", "Felt safe in local area, at night")]
    sel = piv.select(df, [i for i, _ in safe])
    if not sel.empty:
        _pivot_chart(sel, safe, "survey_safe", "Feeling safe: 2021 public survey against its 2019 comparator",
                     "% of respondents", "Percentages of respondents (not added up). " + piv.source_caption(sel))
    _facts(df, "pi_public_perception", "public_perception.csv")
    _caption("The surveys are from 2020 (residents' Covid-19 survey) and 2021 (public and youth surveys); the "
               "report plans new surveys in 2024.")


def _public_health(_: pd.DataFrame) -> None:
    catalogue = query("partner.catalogue")
    ids = [i for i in catalogue["indicator_id"] if str(i).startswith("hospital_admissions_")]
    rows = pd.concat([query("partner.by_indicator", indicator_id=i) for i in ids]) if ids else pd.DataFrame()
    if rows.empty:
        st.info("No partner figures for a public health approach in the store.")
        return
    st.markdown("No partner file uses the theme 'public health'. The hospital admission figures below are filed "
                "under other themes (" + ", ".join(sorted({theme_label(t) for t in rows["theme"]})) + ").")
    _facts(rows, "pi_public_health", "public_health.csv")


def _reoffending(df: pd.DataFrame) -> None:
    if df.empty:
        st.info("**There are no partner figures for reoffending.** The Strategic Assessment's only reoffending "
                "figures are national (Ministry of Justice proven reoffending, England and Wales, January to March "
                "2021: 24.3% overall, para 48), so no local figure can be shown here.")
        return
    _facts(df, "pi_reoffending", "reoffending.csv")


SECTIONS = {
    "domestic_abuse": _domestic_abuse,
    "children_young_people": _children_young_people,
    "substance_misuse": _substance_misuse,
    "asb": _asb,
    "serious_violence_organised_crime": _serious_violence,
    "safe_town_centre": _safe_town_centre,
    "mental_health": _mental_health,
    "public_perception": _public_perception,
    "public_health": _public_health,
    "reoffending": _reoffending,
}


def render(priority_id: str) -> None:
    """The partner indicators for one priority or theme (its own partner rows, by theme)."""
    st.markdown("#### Partner indicators (SMP Strategic Assessment 2024/25, not police.uk)")
    _caption(INTRO)
    df = _theme(priority_id)
    section = SECTIONS.get(priority_id)
    if section is None:
        _all_figures(df, priority_id) if not df.empty else st.info("No partner figures for this theme.")
        return
    section(df)
