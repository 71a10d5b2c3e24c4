"""Partner data (signed-in partners only): every partner figure, published and uploaded, including the
ones marked restricted, and the list of uploads with who uploaded them and when."""

import streamlit as st

from dashboard import auth
from dashboard.data import query
from dashboard.downloads import csv_bytes
from dashboard.partner_view import RESTRICTED_LABEL, indicator_table, theme_label, uploads_table
from dashboard.safe_text import md_escape

partner = auth.refuse_unless_partner()  # None (a refusal is shown) without a partner session

ALL_THEMES, ALL_INDICATORS = "", ""


def render_uploads() -> None:
    st.subheader("Uploads")
    ups = query("restricted.uploads")
    if ups.empty:
        st.info("No partner uploads yet. Use the upload page to add figures.")
        return
    st.dataframe(uploads_table(ups), hide_index=True)
    restricted = int((ups["restricted_rows"] > 0).sum())
    st.caption(f"{len(ups):,} upload(s), newest first: {restricted:,} with restricted rows, "
               f"{len(ups) - restricted:,} public. {RESTRICTED_LABEL} rows are shown only to signed-in partners; "
               "public rows also appear on the public pages.")


def render_figures() -> None:
    st.subheader("All partner figures")
    catalogue = query("restricted.catalogue")
    if catalogue.empty:
        st.info("The store holds no partner figures. Build it with the partner files, or upload some.")
        return
    c1, c2 = st.columns(2)
    themes = [ALL_THEMES, *sorted(catalogue["theme"].unique())]
    theme = c1.selectbox("Theme", themes, key="partner_data_theme",
                         format_func=lambda t: "All themes" if t == ALL_THEMES else theme_label(t))
    in_theme = catalogue if theme == ALL_THEMES else catalogue[catalogue["theme"] == theme]
    labels = dict(zip(in_theme["indicator_id"], in_theme["indicator"]))
    indicator = c2.selectbox("Indicator", [ALL_INDICATORS, *labels], key="partner_data_indicator",
                             format_func=lambda i: "All indicators" if i == ALL_INDICATORS else labels[i])
    if indicator != ALL_INDICATORS:
        rows = query("restricted.by_indicator", indicator_id=indicator)
    elif theme != ALL_THEMES:
        rows = query("restricted.by_theme", theme=theme)
    else:
        rows = query("restricted.all_indicators")
    restricted = int(rows["is_restricted"].sum()) if not rows.empty else 0
    if st.toggle("Only restricted figures", key="partner_data_only_restricted") and not rows.empty:
        rows = rows[rows["is_restricted"]]
    table = indicator_table(rows)
    st.markdown(f"**{len(table):,} figure(s)** shown; **{restricted:,} restricted** in this choice.")
    st.dataframe(table, hide_index=True, column_config={
        "Access": st.column_config.TextColumn(width=120),
        "Indicator": st.column_config.TextColumn(width=300),
        "Value": st.column_config.NumberColumn(format="localized", width=130),
        "Uploaded at": st.column_config.DatetimeColumn("Uploaded at (UTC)", format="D MMM YYYY, HH:mm"),
    })
    st.download_button("Download these figures (CSV)", csv_bytes(rows, [
        "Maidstone crime & ASB dashboard: partner figures, including RESTRICTED rows (signed-in partners only)",
        "Do not share outside the partnership"]),
                       file_name="partner_figures_restricted.csv", mime="text/csv", icon=":material/download:")
    st.caption("Published figures come from the Strategic Assessment 2024/25 partner files; uploaded figures "
               "show who uploaded them and when. An empty period end means open-ended (\"since ...\").")


if partner is not None:
    st.markdown(f"Signed in as **{md_escape(partner.name)}**. This page shows restricted figures: do not share screenshots "
                "of them outside the partnership.")
    render_uploads()
    render_figures()
