"""Partner sign-in: sign in or out, and who you are.

Partner sign-in unlocks uploading partner figures and seeing figures partners marked restricted.
Everything else on the dashboard is public and needs no sign-in.
"""

import streamlit as st

from dashboard import auth
from smp_data.settings import SETTINGS


def render_not_configured(why: str) -> None:
    st.info("Partner sign-in is not configured on this server, so the dashboard is in public mode only: "
            "police.uk data and the published partner figures.", icon=":material/lock_open:")
    with st.expander("How to configure partner sign-in (for the administrator)"):
        st.markdown(
            f"Reason: {why}.\n\n"
            "1. Create the sign-in config **outside the repository** and add a user (you are asked for the "
            "password; only its bcrypt hash is stored):\n\n"
            "   `python -m smp_data add-partner-user --username jsmith --name \"Jo Smith\" "
            "--email jo.smith@example.org`\n"
            f"2. The config path is `{SETTINGS['auth_config'].env}` "
            f"(default `{SETTINGS['auth_config'].default}`); restart the dashboard if you changed it.\n\n"
            "See the README section *Partner area*."
        )


def render_signed_in(partner: auth.Partner) -> None:
    st.success(f"Signed in as **{partner.name}** (username `{partner.username}`, {partner.email}).",
               icon=":material/verified_user:")
    st.markdown("As a signed-in partner you can:")
    st.page_link("pages/partner_upload.py", label="Upload partner figures (CSV)", icon=":material/upload_file:")
    st.page_link("pages/partner_data.py", label="See all partner figures, including restricted ones",
                 icon=":material/table_view:")
    st.caption("Restricted figures are shown only to signed-in partners; the public pages never show them. "
               "Sign out when you have finished, especially on a shared computer.")
    st.button("Sign out", key="partner_sign_out", on_click=auth.sign_out, icon=":material/logout:")


def render_sign_in(cfg) -> None:
    st.markdown("Partners of the Safer Maidstone Partnership can sign in to upload partner figures and to see "
                "figures marked **restricted**. You do not need to sign in to use the rest of the dashboard.")
    if st.session_state.pop("smp_partner_revoke_failed", False):
        st.error("You are signed out here, but the server could not record the sign-out, so a copy of your "
                 "sign-in cookie may still work until it expires. Tell the dashboard administrator.")
    auth.sign_in_form(cfg)
    if cfg.notes:
        st.caption("Sign-in lasts until you close or reload this browser tab (no sign-in cookie: "
                   + "; ".join(cfg.notes) + ").")
    elif not cfg.cookie_enabled:
        st.caption("Sign-in lasts until you close or reload this browser tab.")
    else:
        hours = cfg.cookie_lifetime_seconds / 3600
        st.caption(f"Signing in keeps you signed in on this browser for {hours:g} hour(s) at most. Signing out "
                   "ends it everywhere, including any copy of this browser's sign-in cookie.")


auth.ensure_router()
cfg, why = auth.config_status()
partner = auth.current_partner()
if cfg is None:
    render_not_configured(why)
elif partner is None:
    render_sign_in(cfg)
else:
    auth.keep_cookie(cfg)
    render_signed_in(partner)
