"""Safer Maidstone Partnership crime & ASB dashboard: the router.

Page config, navigation, the shared filter bar, the data-currency line and attribution;
each page is a thin script in ``pages/`` that reads the filters and draws.
Run with ``streamlit run app.py`` (build the store first: ``python -m smp_data build``).
"""

import streamlit as st

from dashboard.data import StoreMissing
from dashboard.layout import ATTRIBUTION, PAGES
from dashboard.state import data_currency_line, filter_bar, filter_context

st.set_page_config(
    page_title="Maidstone crime & ASB dashboard",
    page_icon=":material/shield:",
    layout="wide",
    initial_sidebar_state="expanded",
)

page = st.navigation(PAGES)

try:
    context = filter_context()
except StoreMissing as exc:
    st.error(str(exc))
    st.stop()

filters = filter_bar(context)
st.title(page.title)
data_currency_line(context, filters)
page.run()
st.divider()
st.caption(ATTRIBUTION)
