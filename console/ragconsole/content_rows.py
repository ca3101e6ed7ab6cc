"""FAQ items, emergency contacts and events on the Content page: one layout for the three.

Each kind is a table with a search box, a form to create one, and for the selected row a form
to edit it, a button to (de)activate it and a delete that asks first. What a kind is made of
(its fields and the client methods that store it) is declared by the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
import streamlit as st
from pydantic import BaseModel

from ragconsole import calls
from ragconsole.calls import FieldErrors
from ragconsole.widgets import confirm_button, flash

PAGE = "content"
FieldKind = Literal["text", "long", "bool", "datetime", "optional_datetime", "prices"]
PRICE_COLUMNS = ["type", "amount", "currency"]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: FieldKind = "text"
    help: str | None = None


@dataclass(frozen=True)
class RowKind:
    key: str  # in widget and session keys: content_<key>_...
    singular: str
    plural: str
    title_field: str
    fields: Sequence[Field]
    columns: Sequence[str]
    list_rows: Callable[[], Sequence[BaseModel]]
    create: Callable[..., BaseModel]
    update: Callable[..., BaseModel]
    delete: Callable[[int], None]

    def title(self, row: BaseModel) -> str:
        return f"#{row_id(row)} · {getattr(row, self.title_field)}"


def row_id(row: BaseModel) -> int:
    return int(getattr(row, "id"))  # noqa: B009 - every content row has an int id


def matches(row: BaseModel, search: str) -> bool:
    if not search:
        return True
    needle = search.casefold()
    return any(needle in str(value).casefold() for value in row.model_dump().values())


def table(kind: RowKind, rows: Sequence[BaseModel]) -> pd.DataFrame:
    records = []
    for row in rows:
        data = row.model_dump()
        if "price" in data:
            data["price"] = ", ".join(f"{p['type']} {p['amount']:g} {p['currency']}" for p in data["price"])
        records.append({column: data.get(column) for column in kind.columns})
    return pd.DataFrame(records, columns=list(kind.columns))


def _naive_utc(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _prices(frame: pd.DataFrame) -> list[dict[str, Any]]:
    prices = []
    for record in frame.to_dict("records"):
        kind = record.get("type")
        if kind is None or pd.isna(kind) or not str(kind).strip():
            continue
        amount = record.get("amount")
        prices.append(
            {
                "type": str(kind).strip(),
                "amount": None if amount is None or pd.isna(amount) else float(amount),
                "currency": str(record.get("currency") or "").strip(),
            }
        )
    return prices


def inputs(kind: RowKind, row: BaseModel | None, errors: FieldErrors, key: str) -> dict[str, Any]:
    """One widget per field (prefilled from ``row``), each followed by its error slot."""
    values: dict[str, Any] = {}
    for field in kind.fields:
        current = getattr(row, field.name) if row is not None else None
        widget_key = f"{key}_{field.name}"
        if field.kind == "text":
            values[field.name] = st.text_input(
                field.label, value=current or "", key=widget_key, help=field.help
            )
        elif field.kind == "long":
            values[field.name] = st.text_area(
                field.label, value=current or "", key=widget_key, help=field.help
            )
        elif field.kind == "bool":
            default = field.name == "is_active" if current is None else bool(current)
            values[field.name] = st.checkbox(field.label, value=default, key=widget_key, help=field.help)
        elif field.kind in ("datetime", "optional_datetime"):
            start = _naive_utc(current) if current is not None or field.kind == "optional_datetime" else "now"
            chosen = st.datetime_input(field.label, value=start, key=widget_key, help=field.help)
            values[field.name] = _utc(chosen)
        else:  # prices
            frame = pd.DataFrame([p.model_dump() for p in current or []], columns=PRICE_COLUMNS)
            edited = st.data_editor(frame, num_rows="dynamic", key=widget_key, hide_index=True)
            values[field.name] = _prices(edited)
        errors.slot(field.name)
    return values


def create_form(kind: RowKind) -> None:
    generation = st.session_state.setdefault(f"{PAGE}_{kind.key}_new_generation", 0)
    key = f"{PAGE}_{kind.key}_new_{generation}"
    with st.form(key):
        errors = FieldErrors()
        values = inputs(kind, None, errors, key)
        submitted = st.form_submit_button(f"Create {kind.singular}", type="primary", icon=":material/add:")
    if submitted and (created := errors.submit(kind.create, **values)) is not None:
        st.session_state[f"{PAGE}_{kind.key}_new_generation"] = generation + 1  # fresh, empty form
        st.session_state[f"{PAGE}_{kind.key}_selected"] = row_id(created)
        flash(PAGE, "success", f"Created {kind.singular} {kind.title(created)}.")
        st.rerun()


def edit_panel(kind: RowKind, row: BaseModel) -> None:
    rid = row_id(row)
    key = f"{PAGE}_{kind.key}_edit_{rid}"
    with st.form(key):
        errors = FieldErrors()
        values = inputs(kind, row, errors, key)
        submitted = st.form_submit_button("Save changes", type="primary", icon=":material/save:")
    if submitted and (updated := errors.submit(kind.update, rid, **values)) is not None:
        flash(PAGE, "success", f"Saved {kind.singular} {kind.title(updated)}.")
        st.rerun()

    active = bool(getattr(row, "is_active", True))
    toggle, delete = st.columns(2)
    with toggle:
        label = "Deactivate" if active else "Activate"
        if st.button(label, key=f"{PAGE}_{kind.key}_toggle_{rid}", icon=":material/toggle_on:"):
            changed = calls.attempt(kind.update, rid, is_active=not active)
            if changed is not None:
                flash(PAGE, "success", f"{label}d {kind.singular} {kind.title(changed)}.")
                st.rerun()
    with delete:
        prompt = (
            f"Delete {kind.singular} {kind.title(row)} for good? "
            "This cannot be undone; deactivate it instead to keep it out of answers."
        )
        if confirm_button("Delete…", f"{PAGE}_{kind.key}_delete_{rid}", prompt, confirm_label="Yes, delete"):
            if not calls.perform(kind.delete, rid):
                return
            flash(PAGE, "success", f"Deleted {kind.singular} {kind.title(row)}.")
            st.session_state.pop(f"{PAGE}_{kind.key}_selected", None)
            st.rerun()


def render(kind: RowKind) -> None:
    rows = list(calls.fetch(kind.list_rows))
    search = st.text_input(
        "Search", key=f"{PAGE}_{kind.key}_search", placeholder=f"words in any field of the {kind.plural}"
    )
    shown = [row for row in rows if matches(row, search)]
    st.dataframe(table(kind, shown), hide_index=True)
    st.caption(f"{len(shown)} of {len(rows)} {kind.plural}")

    with st.expander(f"New {kind.singular}", icon=":material/add:", expanded=not rows):
        create_form(kind)

    if not shown:
        return
    by_id = {row_id(row): row for row in shown}
    selected_key = f"{PAGE}_{kind.key}_selected"
    if st.session_state.get(selected_key) not in by_id:
        st.session_state[selected_key] = next(iter(by_id))
    chosen = st.selectbox(
        f"{kind.singular[0].upper()}{kind.singular[1:]} to edit",
        list(by_id),
        format_func=lambda rid: kind.title(by_id[rid]),
        key=selected_key,
    )
    st.subheader(f"Edit {kind.title(by_id[chosen])}")
    edit_panel(kind, by_id[chosen])
