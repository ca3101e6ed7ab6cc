"""The ragplatform admin console: ``streamlit run console/streamlit_app.py`` (``make run`` starts it).

Signed out, the only page is the sign-in; signed in, the navigation holds every admin page.
Pages live in ``app_pages/`` and talk to the platform only through ``ragplatform.client``.
"""

from __future__ import annotations

import streamlit as st

from ragconsole import calls, session

st.set_page_config(page_title="ragplatform console", page_icon=":material/hub:", layout="wide")


def notifications_title() -> str:
    """ "Notifications (3)" while some are unread: one small call per run, silent when it fails."""
    found = calls.quietly(session.client().notifications, unread_only=True, limit=1)
    return f"Notifications ({found.unread})" if found is not None and found.unread else "Notifications"


def admin_pages() -> dict[str, list[st.Page]]:
    return {
        "Platform": [
            st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page("app_pages/metrics.py", title="Metrics", icon=":material/monitoring:"),
            st.Page("app_pages/workflows.py", title="Workflows", icon=":material/account_tree:"),
            st.Page(
                "app_pages/notifications.py", title=notifications_title(), icon=":material/notifications:"
            ),
        ],
        "Knowledge": [
            st.Page("app_pages/content.py", title="Content", icon=":material/library_books:"),
            st.Page("app_pages/sessions.py", title="Sessions", icon=":material/forum:"),
        ],
        "Retrieval": [
            st.Page("app_pages/indexes.py", title="Indexes", icon=":material/stacks:"),
            st.Page("app_pages/playground.py", title="Playground", icon=":material/science:"),
        ],
        "Business": [
            st.Page("app_pages/leads.py", title="Leads", icon=":material/person_search:"),
        ],
    }


sign_in = st.Page("app_pages/sign_in.py", title="Sign in", icon=":material/login:", url_path="sign-in")

if session.signed_in():
    with st.sidebar:
        st.caption(f"Signed in as **{session.user_name()}**  \nAPI {session.api_url()}")
        if st.button("Sign out", icon=":material/logout:", key="auth_sign_out"):
            session.sign_out("You signed out.")
    navigation = st.navigation(admin_pages())
else:
    navigation = st.navigation([sign_in], position="hidden")
navigation.run()
