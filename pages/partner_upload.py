"""Upload partner figures (signed-in partners only): choose a CSV in the partner long format, preview it,
read the dry-run validation report (the same validator the store build uses), choose who may see the
figures (restricted by default) and confirm. Who uploaded and when are recorded."""

from pathlib import Path

import streamlit as st

from dashboard import auth
from dashboard.downloads import slug
from dashboard.partner_area import UPLOAD_MAX_BYTES, UPLOAD_MAX_ROWS, check_upload_size, record_upload, validate_upload
from dashboard.partner_view import VISIBILITY, preview_table, reconciliation_line, rejects_csv, rejects_table
from dashboard.safe_text import md_escape
from smp_data.partner import LONG_COLUMNS, PartnerFileError, PartnerUploadError

partner = auth.refuse_unless_partner()  # None (a refusal is shown) without a partner session
ss = st.session_state


def render_last_upload() -> None:
    done = ss.pop("partner_last_upload", None)
    if done:
        st.success(done, icon=":material/check_circle:")
        st.page_link("pages/partner_data.py", label="See it on the Partner data page", icon=":material/table_view:")


def render_format_help() -> None:
    with st.expander("The partner CSV format"):
        st.markdown(
            "One row per figure, UTF-8 CSV, with exactly these 13 columns in this order:\n\n"
            f"`{','.join(LONG_COLUMNS)}`\n\n"
            "The format is the one the published partner files use (see the README, *Partner indicators*). "
            "Every row is checked; rows with problems are listed with their line number and reason and are "
            "not loaded. A figure already loaded (same indicator, area and period) is refused.\n\n"
            f"One file may hold at most {UPLOAD_MAX_ROWS:,} rows and {UPLOAD_MAX_BYTES // 1048576} MB."
        )


def render_preview(content: bytes) -> None:
    st.subheader("Preview")
    table = preview_table(content)
    if table.empty:
        st.warning("The file has no rows to preview.")
    else:
        st.dataframe(table, hide_index=True)
        st.caption(f"The first {len(table)} data row(s), exactly as written in the file.")


def render_report(v) -> None:
    st.subheader("Validation report (dry run: nothing has been loaded yet)")
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows read", f"{v.rows_read:,}")
    c2.metric("Rows that would load", f"{v.rows_loaded:,}")
    c3.metric("Rows rejected", f"{v.rows_rejected:,}")
    st.markdown(reconciliation_line(v.rows_read, v.rows_loaded, v.rows_rejected))
    if v.rows_rejected:
        st.warning(f"{v.rows_rejected:,} row(s) have problems and would not be loaded. Fix them in your file and "
                   "upload it again, or load the valid rows now.")
        st.dataframe(rejects_table(v.rejects), hide_index=True)
        st.download_button("Download the rejected rows (CSV)", rejects_csv(v.rejects),
                           file_name=f"{slug(Path(v.source_name).stem) or 'upload'}_rejected_rows.csv", mime="text/csv",
                           icon=":material/download:")
    else:
        st.success("Every row is valid.")


def render_confirm(v) -> None:
    st.subheader("Who may see these figures?")
    choice = st.radio("Access", list(VISIBILITY), format_func=VISIBILITY.get, key="partner_upload_access",
                      label_visibility="collapsed")
    if choice == "public":
        st.warning("Public figures appear on the public dashboard pages for everyone, without sign-in.")
    label = f"Load {v.rows_loaded:,} row(s) as {'PUBLIC' if choice == 'public' else 'restricted'}"
    if st.button(label, type="primary", key="partner_upload_confirm", icon=":material/upload:"):
        try:
            result = record_upload(v, is_public=(choice == "public"))
        except PartnerUploadError as exc:
            st.error(md_escape(f"Nothing was loaded: {exc}"))  # quotes the file's own text
            return
        access = "restricted (signed-in partners only)" if result.is_restricted else "public"
        ss["partner_last_upload"] = (
            f"Loaded {result.rows:,} row(s) from **{md_escape(result.source_name)}** as {access}, by "
            f"{md_escape(result.uploaded_by)} at {result.uploaded_at:%d %b %Y %H:%M} UTC (upload "
            f"`{result.upload_id}`).")
        ss["partner_upload_round"] += 1  # a fresh, empty file chooser
        st.rerun()


def render_page() -> None:
    ss.setdefault("partner_upload_round", 0)
    st.markdown(f"Signed in as **{md_escape(partner.name)}**. Upload figures in the partner CSV format. They are kept in "
                "the partner uploads store (not in the police.uk data) and are included by every rebuild of the "
                "store.")
    render_last_upload()
    render_format_help()
    uploaded = st.file_uploader("Partner CSV file", type=["csv"],
                                key=f"partner_upload_file_{ss.partner_upload_round}")
    if uploaded is None:
        st.info("Choose a CSV file to check. Nothing is loaded until you confirm.")
        return
    try:
        check_upload_size(uploaded.size, uploaded.name)
    except PartnerFileError as exc:
        st.error(md_escape(f"This file is too large to upload, so nothing was read from it: {exc}"))
        return
    content = uploaded.getvalue()
    render_preview(content)
    try:
        validation = validate_upload(content, uploaded.name)
    except PartnerFileError as exc:
        st.error(md_escape(f"This file cannot be loaded, so nothing was loaded from it: {exc}"))
        return
    render_report(validation)
    if validation.rows_loaded == 0:
        st.warning("No row of this file can be loaded.")
        return
    render_confirm(validation)


if partner is not None:
    render_page()
