"""Sign in with an admin account (``POST /api/login``); the JWT stays in this browser session."""

from __future__ import annotations

import streamlit as st

from ragconsole import calls, session
from ragplatform.client import ApiError, ApiUnavailable, AuthError, RagClient

st.title("ragplatform console")
notice = session.take_notice()
if notice:
    st.info(notice, icon=":material/info:")

with st.form("sign_in_form"):
    username = st.text_input("Email", key="sign_in_username", placeholder="admin@example.com")
    password = st.text_input("Password", type="password", key="sign_in_password")
    submitted = st.form_submit_button("Sign in", type="primary", icon=":material/login:")

if submitted:
    settings = session.console_settings()
    with RagClient(settings.api_url, timeout=settings.api_timeout_s) as api:
        try:
            token = api.login(username.strip(), password)
            api.overview()  # admin-only: an account without the admin role stops here
        except ApiUnavailable as exc:
            st.error(calls.unavailable_message(exc), icon=":material/cloud_off:")
        except AuthError as exc:
            if exc.status == 403:
                st.error(
                    f"**{username}** may not use the console: {exc}. "
                    "Sign in with an admin account (`ADMIN_USERNAME`).",
                    icon=":material/block:",
                )
            else:
                st.error(f"Wrong email or password ({exc}).", icon=":material/key_off:")
        except ApiError as exc:
            st.error(f"Could not sign in: {exc}", icon=":material/error:")
        else:
            session.sign_in(token, username.strip())
            st.rerun()
st.caption(f"API: {session.api_url()}")
