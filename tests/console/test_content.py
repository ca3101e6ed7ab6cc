"""Content page: FAQ items, emergency contacts, events and documents, changed on the page and read
back through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from console_support import assert_clean, console, next_to, open_page, page_text, submit
from streamlit.testing.v1 import AppTest

from ragplatform.client import RagClient


def content(token: str, kind: str = "FAQ") -> AppTest:
    at = open_page(console(token), "content")
    if kind != "FAQ":
        at.segmented_control(key="content_kind").set_value(kind).run()
    assert_clean(at)
    return at


def select(at: AppTest, kind: str, item_id: int) -> None:
    at.selectbox(key=f"content_{kind}_selected").set_value(item_id).run()
    assert_clean(at)


def test_create_faq_item(admin_token: str, api: RagClient) -> None:
    question = f"Which colour is console test sprocket {uuid.uuid4().hex[:6]}?"
    at = content(admin_token)
    form = "content_faq_new_0"
    at.text_input(key=f"{form}_question").input(question)
    at.text_area(key=f"{form}_answer").input("The console test sprocket is teal.")
    submit(at, form, "Create FAQ item")
    assert_clean(at)
    assert "Created FAQ item" in page_text(at)
    created = [f for f in api.list_faq() if f.question == question]
    assert len(created) == 1
    assert created[0].answer == "The console test sprocket is teal." and created[0].is_active


def test_api_validation_error_shows_next_to_the_field(admin_token: str, api: RagClient) -> None:
    before = len(api.list_faq())
    at = content(admin_token)
    form = "content_faq_new_0"
    at.text_input(key=f"{form}_question").input("")
    at.text_area(key=f"{form}_answer").input("An answer without a question.")
    submit(at, form, "Create FAQ item")
    assert not at.exception
    slot = next_to(at, f"{form}_question")
    assert slot.type == "error" and "at least 1 character" in slot.value
    assert len(api.list_faq()) == before  # nothing was stored


def test_edit_deactivate_and_delete_faq_item_with_confirmation(admin_token: str, api: RagClient) -> None:
    item = api.create_faq(f"Console edit test {uuid.uuid4().hex[:6]}?", "First answer.")
    at = content(admin_token)
    select(at, "faq", item.id)
    form = f"content_faq_edit_{item.id}"
    at.text_area(key=f"{form}_answer").input("Second answer, edited on the content page.")
    submit(at, form, "Save changes")
    assert_clean(at)
    assert next(f for f in api.list_faq() if f.id == item.id).answer.startswith("Second answer")

    at.button(key=f"content_faq_toggle_{item.id}").click().run()
    assert_clean(at)
    assert next(f for f in api.list_faq() if f.id == item.id).is_active is False
    assert all(f.id != item.id for f in api.list_faq(active_only=True))

    select(at, "faq", item.id)
    at.button(key=f"content_faq_delete_{item.id}").click().run()
    assert "cannot be undone" in page_text(at)
    assert any(f.id == item.id for f in api.list_faq())  # asked, not yet deleted
    at.button(key=f"content_faq_delete_{item.id}_yes").click().run()
    assert_clean(at)
    assert all(f.id != item.id for f in api.list_faq())


def test_search_filters_the_table(admin_token: str, api: RagClient) -> None:
    marker = uuid.uuid4().hex[:8]
    api.create_faq(f"Where is the {marker} kept?", "In the console test cupboard.")
    at = content(admin_token)
    at.text_input(key="content_faq_search").input(marker).run()
    table = at.dataframe[0].value
    assert len(table) == 1 and marker in table.iloc[0]["question"]


def test_emergency_contact_create_with_field_error_then_fix(admin_token: str, api: RagClient) -> None:
    name = f"Console test harbour master {uuid.uuid4().hex[:6]}"
    at = content(admin_token, "Emergency contacts")
    form = "content_contact_new_0"
    at.text_input(key=f"{form}_name").input(name)
    submit(at, form, "Create emergency contact")
    slot = next_to(at, f"{form}_phone_number")
    assert slot.type == "error" and "at least 1 character" in slot.value
    assert all(c.name != name for c in api.list_contacts())

    at.text_input(key=f"{form}_phone_number").input("+351 210 000 000")
    submit(at, form, "Create emergency contact")
    assert_clean(at)
    contact = next(c for c in api.list_contacts() if c.name == name)
    assert contact.phone_number == "+351 210 000 000"


def test_event_create_and_rename(admin_token: str, api: RagClient) -> None:
    name = f"Console test regatta {uuid.uuid4().hex[:6]}"
    at = content(admin_token, "Events")
    form = "content_event_new_0"
    at.text_input(key=f"{form}_name").input(name)
    at.text_input(key=f"{form}_address").input("Pier 3")
    at.datetime_input(key=f"{form}_date_start").set_value(datetime(2031, 5, 17, 9, 30))
    submit(at, form, "Create event")
    assert_clean(at)
    event = next(e for e in api.list_events() if e.name == name)
    assert event.address == "Pier 3"
    assert event.date_start.astimezone(UTC).replace(tzinfo=None) == datetime(2031, 5, 17, 9, 30)

    select(at, "event", event.id)
    form = f"content_event_edit_{event.id}"
    at.text_input(key=f"{form}_name").input(name + " (moved)")
    submit(at, form, "Save changes")
    assert_clean(at)
    assert next(e for e in api.list_events() if e.id == event.id).name == name + " (moved)"


def test_upload_several_documents_then_delete_one(admin_token: str, api: RagClient) -> None:
    marker = uuid.uuid4().hex[:8]
    files = [
        (
            f"console-{marker}-a.md",
            b"# Lighthouse\n\nThe console test lighthouse is painted red.",
            "text/markdown",
        ),
        (f"console-{marker}-b.txt", b"The console test ferry leaves at noon.", "text/plain"),
    ]
    at = content(admin_token, "Documents")
    at.file_uploader(key="content_docs_files_0").set_value(files).run()
    at.button(key="content_docs_upload").click().run()
    assert_clean(at)
    text = page_text(at)
    assert f"console-{marker}-a.md: parsed" in text and f"console-{marker}-b.txt: parsed" in text
    docs = {d.filename: d for d in api.list_documents() if marker in d.filename}
    assert set(docs) == {name for name, _, _ in files}
    assert all(d.status == "parsed" and d.chunks >= 1 for d in docs.values())

    gone = docs[f"console-{marker}-b.txt"]
    at.selectbox(key="content_docs_selected").set_value(gone.id).run()
    at.button(key=f"content_docs_delete_{gone.id}").click().run()
    at.button(key=f"content_docs_delete_{gone.id}_yes").click().run()
    assert_clean(at)
    left = {d.filename for d in api.list_documents() if marker in d.filename}
    assert left == {f"console-{marker}-a.md"}
