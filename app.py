"""Safer Maidstone Partnership crime & ASB dashboard: the router.

Page config, navigation, the shared filter bar, the data-currency line and attribution;
each page is a thin script in ``pages/`` that reads the filters and draws.
Run with ``streamlit run app.py`` (build the store first: ``python -m smp_data build``).
"""

import streamlit as st

from dashboard.auth import ROUTER_RAN, is_partner, mode_caption
from dashboard.data import StoreUnavailable
from dashboard.layout import ATTRIBUTION, is_partner_page, navigation
from dashboard.state import data_currency_line, filter_bar, filter_context, resume_deep_link
from dashboard.theme import apply_theme

st.set_page_config(
    page_title="Maidstone crime & ASB dashboard",
    page_icon=":material/shield:",
    layout="wide",
    initial_sidebar_state="auto",  # open on desktop, closed on phones (the filters are one tap away)
)

apply_theme()  # colours, focus rings and the phone layout: dashboard/theme.py

# public mode unless this session signed in (nothing from the URL can change the mode)
# one flat list: Streamlit draws named sections as <div>s inside its <ul>, which fails axe-core's list rules
pages = [p for group in navigation(signed_in=is_partner()).values() for p in group]
page = st.navigation(pages)
resume_deep_link(pages)
st.session_state[ROUTER_RAN] = True

try:
    context = filter_context()
except StoreUnavailable as exc:  # not built, built by older code, damaged, or an update taking too long
    st.error(str(exc))
    st.stop()

st.title(page.title)
if not is_partner_page(page):  # the partner pages are not police.uk views: no filter bar
    filters = filter_bar(context)
    data_currency_line(context, filters)
mode_caption()
try:
    page.run()
except StoreUnavailable as exc:  # e.g. a data block found damaged by this page's queries
    st.error(str(exc))
st.divider()
st.caption(ATTRIBUTION)
