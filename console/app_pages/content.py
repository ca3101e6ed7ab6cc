"""Content: FAQ items, emergency contacts and events (table, search, create, edit, deactivate,
delete), and the documents users uploaded (upload several, status, delete)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ragconsole import calls, content_rows, session
from ragconsole.content_rows import Field, RowKind
from ragconsole.widgets import confirm_button, flash, show_flashes

PAGE = "content"
api = session.client()

KINDS = {
    "FAQ": RowKind(
        key="faq",
        singular="FAQ item",
        plural="FAQ items",
        title_field="question",
        fields=(
            Field("question", "Question"),
            Field("answer", "Answer", "long"),
            Field("is_active", "Active (answers questions and is part of the next build)", "bool"),
        ),
        columns=("id", "question", "answer", "is_active", "updated_at"),
        list_rows=api.list_faq,
        create=api.create_faq,
        update=api.update_faq,
        delete=api.delete_faq,
    ),
    "Emergency contacts": RowKind(
        key="contact",
        singular="emergency contact",
        plural="emergency contacts",
        title_field="name",
        fields=(
            Field("name", "Name"),
            Field("phone_number", "Phone number"),
            Field("description", "Description", "long"),
            Field("is_active", "Active", "bool"),
        ),
        columns=("id", "name", "phone_number", "description", "is_active", "updated_at"),
        list_rows=api.list_contacts,
        create=api.create_contact,
        update=api.update_contact,
        delete=api.delete_contact,
    ),
    "Events": RowKind(
        key="event",
        singular="event",
        plural="events",
        title_field="name",
        fields=(
            Field("name", "Name"),
            Field("description", "Description", "long"),
            Field("address", "Address"),
            Field("date_start", "Starts (UTC)", "datetime"),
            Field("date_end", "Ends (UTC, optional)", "optional_datetime"),
            Field("price", "Prices (type, amount, currency)", "prices"),
            Field("featured", "Featured", "bool"),
            Field("is_active", "Active", "bool"),
        ),
        columns=("id", "name", "date_start", "date_end", "address", "price", "featured", "is_active"),
        list_rows=api.list_events,
        create=api.create_event,
        update=api.update_event,
        delete=api.delete_event,
    ),
}


def documents() -> None:
    generation = st.session_state.setdefault(f"{PAGE}_docs_generation", 0)
    files = st.file_uploader(
        "Upload documents into your own knowledge base (.txt, .md, .pdf, .docx, .html, .csv, .json ...)",
        accept_multiple_files=True,
        key=f"{PAGE}_docs_files_{generation}",
    )
    if st.button(
        "Upload", type="primary", icon=":material/upload:", disabled=not files, key=f"{PAGE}_docs_upload"
    ):
        bar = st.progress(0.0, text="Uploading…")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total if total else 1.0, text=f"{done} of {total} files parsed and indexed")

        payload = [(f.name, f.getvalue(), f.type or "") for f in files or []]
        outcomes = calls.attempt(api.upload_documents, payload, progress)
        if outcomes is not None:
            for outcome in outcomes:
                if outcome.document is not None:
                    doc = outcome.document
                    flash(PAGE, "success", f"{doc.filename}: {doc.status}, {doc.chunks} chunks.")
                else:
                    flash(
                        PAGE, "error", f"{outcome.filename} was refused ({outcome.status}): {outcome.error}"
                    )
            st.session_state[f"{PAGE}_docs_generation"] = generation + 1  # an empty uploader
            st.rerun()

    docs = calls.fetch(api.list_documents)
    table = pd.DataFrame(
        [
            {
                "filename": d.filename,
                "status": d.status,
                "chunks": d.chunks,
                "owner": d.owner_name or d.owner,
                "size (bytes)": d.size,
                "uploaded": d.created_at,
                "error": d.error or "",
                "id": d.id,
            }
            for d in docs
        ],
        columns=["filename", "status", "chunks", "owner", "size (bytes)", "uploaded", "error", "id"],
    )
    st.dataframe(table, hide_index=True)
    st.caption(f"{len(docs)} documents")
    if not docs:
        return
    by_id = {d.id: d for d in docs}
    chosen = st.selectbox(
        "Document",
        list(by_id),
        format_func=lambda i: f"{by_id[i].filename} ({by_id[i].owner_name or by_id[i].owner})",
        key=f"{PAGE}_docs_selected",
    )
    doc = by_id[chosen]
    prompt = f"Delete {doc.filename} with its {doc.chunks} indexed chunks and the stored file? This cannot be undone."
    confirmed = confirm_button("Delete…", f"{PAGE}_docs_delete_{doc.id}", prompt, confirm_label="Yes, delete")
    if confirmed and calls.perform(api.delete_document, doc.id):
        flash(PAGE, "success", f"Deleted {doc.filename}.")
        st.rerun()


st.title("Content")
show_flashes(PAGE)
kind = st.segmented_control(
    "What to manage",
    [*KINDS, "Documents"],
    default="FAQ",
    required=True,
    key=f"{PAGE}_kind",
    label_visibility="collapsed",
)
if kind == "Documents":
    documents()
else:
    content_rows.render(KINDS[kind or "FAQ"])
