"""Find my area: one search box for a postcode, a street or place, a ward, a cluster or an LSOA; where it is
on both ward sets, its area's figures against the borough, and the records around a point. The choice is in
the URL (``q`` the text, ``find`` the place, ``radius`` in metres), checked against the store when read."""

import streamlit as st

from dashboard import search_view as sv
from dashboard.compare import comparison_for
from dashboard.search import RADII, clean_text, parse_find, search
from dashboard.state import current_filters, filter_context

f, ctx = current_filters(), filter_context()
cmp, ss = comparison_for(f, ctx), st.session_state
index = sv.search_index()

if "srch_q" not in ss:  # first view in this session: read the URL (validated)
    ss["srch_q"] = clean_text(st.query_params.get("q", ""))[0]
    found = parse_find(st.query_params.get("find", ""))
    ss["srch_find"] = f"{found[0]}:{found[1]}" if found and index.target(*found) else ""
    if st.query_params.get("find") and not ss["srch_find"]:
        st.warning("The place in this link was not found in the current data; search again below.")
if "srch_radius" not in ss:
    radius = st.query_params.get("radius", "500")
    ss["srch_radius"] = int(radius) if radius in {str(r) for r in RADII} else 500

typed = sv.search_box("srch_box", ss["srch_q"])
if typed is not None:
    ss["srch_q"], _ = clean_text(typed)
    ss["srch_find"] = ""
    ss.pop("srch_area", None)
if not index.has_postcodes:
    st.caption("Postcode search is not available: this data store was built without postcodes.")

result = search(index, ss["srch_q"]) if ss["srch_q"] else None
if result is not None and result.status == "found" and not ss["srch_find"]:
    ss["srch_find"] = result.target.param
target = index.target(*parse_find(ss["srch_find"])) if ss["srch_find"] else None

if ss["srch_q"]:
    st.text(f"You searched for: {ss['srch_q']}")  # the reader's own text, shown as plain text only
if result is not None and (target is None or result.status == "choose"):
    sv.render_result(result)
elif result is not None:
    for note in result.notes:
        st.info(sv.md_escape(note))
if result is None and target is None:
    st.markdown("Type a **postcode**, a **street or place**, a **ward** (either boundary set), a **ward cluster** "
                "or an **LSOA** (name or code, including the Strategic Assessment's 2011 codes) and press Enter. "
                "You will see which wards, cluster and LSOA it is in, how crime and ASB there compare with the "
                "borough, and what police.uk records near it.")

params = {"q": ss["srch_q"], "find": ss["srch_find"]}
if target is not None:
    st.header(sv.md_escape(target.label), anchor=False)
    if target.note:
        st.caption(sv.md_escape(target.note))
    sv.render_where(index, target, f)
    options = sv.area_options(index, target, f)
    area = None
    if options:
        st.subheader("Crime and ASB in the area", anchor=False)
        labels = {f"{o[0]}:{o[1]}:{o[2]}": o for o in options}
        if ss.get("srch_area") not in labels:
            ss["srch_area"] = next(iter(labels))
        if len(labels) > 1:
            st.radio("Figures for", list(labels), key="srch_area", horizontal=True,
                     format_func=lambda k: sv.md_escape(labels[k][3]))
        area = labels[ss["srch_area"]]
        if cmp.has_data:
            sv.render_area(area, f, ctx, cmp)
        else:
            st.error("No police.uk data exists for any month of the selected period. Choose another period.")

        c1, c2, c3 = st.columns(3)
        pick = ("pages/overview.py" if c1.button("Open this area on the Overview", icon=":material/dashboard:",
                                                  width="stretch") else
                "pages/ward_map.py" if c2.button("Open the Ward map", icon=":material/map:", width="stretch") else
                "pages/patrol.py" if c3.button("Patrol sheet for this area", icon=":material/directions_walk:",
                                               width="stretch") else None)
        if pick:  # the router sets the filters to this area on the next page (dashboard.state.filter_bar)
            sv.switch_keeping_filters(pick, f_wards=area[2], f_area_type=area[0], f_area_code=area[1])
    near, radius = None, None
    if target.kind in ("postcode", "street") and cmp.has_data:
        st.subheader("Around this point", anchor=False)
        radius = st.radio("Distance", list(RADII), key="srch_radius", horizontal=True, format_func=RADII.get)
        near = sv.render_around(target, radius, f, cmp)
        st.page_link("pages/patrol.py", label=f"Patrol sheet: the top locations within {RADII[radius]}",
                     icon=":material/directions_walk:", query_params={"find": target.param, "radius": str(radius)})
        if radius != 500:
            params["radius"] = str(radius)
    if cmp.has_data:
        st.subheader("Map", anchor=False)
        sv.render_map(target, area, f, cmp, near, radius)

current = st.query_params.to_dict()
wanted = {**{k: v for k, v in current.items() if k not in ("q", "find", "radius")},
          **{k: v for k, v in params.items() if v}}
if current != wanted:
    st.query_params.from_dict(wanted)
