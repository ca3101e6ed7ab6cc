"""Workflows page: a workflow started from the page, its steps followed until it ends, what it
produced, refused inputs under the form, and past runs with their details."""

from __future__ import annotations

import uuid

from console_support import assert_clean, console, next_to, open_page, page_text, submit, wait_for
from streamlit.testing.v1 import AppTest

from ragplatform.client import RagClient

HOT_MESSAGE = "We are a team of 40 agents and need pricing and a demo this month; budget is approved."


def progress_texts(at: AppTest) -> list[str]:
    return [p.text for p in at.get("progress")]


def finish(at: AppTest, run_id: str, api: RagClient) -> None:
    """Reruns the page until the run it follows has ended and the page says so."""

    def ended() -> bool:
        at.run()
        return api.workflow_run(run_id).finished and "Done" in [b.label for b in at.button]

    wait_for(ended, timeout_s=600, every_s=1)
    assert_clean(at)


def test_start_qualify_leads_follow_its_step_and_find_it_among_past_runs(
    admin_token: str, api: RagClient
) -> None:
    lead = api.create_lead(f"ops.{uuid.uuid4().hex[:8]}@quarry.io", consent=True, message=HOT_MESSAGE)
    at = open_page(console(admin_token), "workflows")
    assert_clean(at)
    offered = at.selectbox(key="workflows_workflow").options
    assert {"rebuild_index", "evaluate_index", "qualify_leads", "ingest_documents"} <= set(offered)

    at.selectbox(key="workflows_workflow").set_value("qualify_leads").run()
    at.text_area(key="workflows_qualify_leads_lead_ids").input(lead.id)
    submit(at, "workflows_qualify_leads_form", "Start")
    assert_clean(at)
    run_id = at.session_state["workflows_run"]
    run = api.workflow_run(run_id)
    assert run.workflow_id == "qualify_leads" and run.inputs == {"lead_ids": [lead.id]}
    assert f"run `{run_id}`" in page_text(at)
    assert any(t.startswith("qualify:") for t in progress_texts(at)), progress_texts(at)

    finish(at, run_id, api)
    text = page_text(at)
    assert "**completed**" in text and "**1 leads qualified**" in text
    assert "qualify: completed 100%" in progress_texts(at)
    qualified = next(d.value for d in at.dataframe if "lead_id" in d.value.columns)
    assert list(qualified["lead_id"]) == [lead.id]
    assert list(qualified["score"]) == [api.lead(lead.id).score]

    past = at.dataframe[-1].value
    assert run_id in list(past["run"]) and past[past["run"] == run_id]["status"].item() == "completed"
    at.button(key="workflows_run_done").click().run()
    assert "workflows_run" not in at.session_state
    at.selectbox(key="workflows_history_run").set_value(run_id).run()
    assert_clean(at)
    assert f"run `{run_id}`" in page_text(at) and lead.id in str(at.json[-1].value)


def test_a_rebuild_shows_each_step_the_version_and_its_evaluation(admin_token: str, api: RagClient) -> None:
    production = next(v.version for v in api.list_indexes() if v.is_production)
    at = open_page(console(admin_token), "workflows")
    at.selectbox(key="workflows_workflow").set_value("rebuild_index").run()
    at.checkbox(key="workflows_rebuild_index_promote").uncheck()
    submit(at, "workflows_rebuild_index_form", "Start")
    assert_clean(at)
    run_id = at.session_state["workflows_run"]
    bars = progress_texts(at)
    assert [t.split(":")[0] for t in bars[1:4]] == ["build", "evaluate", "promote"], bars

    finish(at, run_id, api)
    run = api.workflow_run(run_id)
    assert run.status == "completed" and run.outputs is not None
    version = run.outputs["version"]
    text = page_text(at)
    assert f"**Version v{version}**" in text and "not promoted" in text
    assert [t for t in progress_texts(at) if t.endswith("completed 100%")] == [
        "build: completed 100%",
        "evaluate: completed 100%",
        "promote: completed 100%",
    ]
    metrics = next(d.value for d in at.dataframe if list(d.value.columns) == ["metric", "value"])
    assert "nDCG@10" in set(metrics["metric"])
    assert f"version: {version}" in text  # the build step's note
    assert next(v.version for v in api.list_indexes() if v.is_production) == production


def test_refused_inputs_show_under_the_form_and_start_nothing(admin_token: str, api: RagClient) -> None:
    before = api.workflow_runs(workflow_id="evaluate_index").count
    at = open_page(console(admin_token), "workflows")
    at.selectbox(key="workflows_workflow").set_value("evaluate_index").run()
    at.text_input(key="workflows_evaluate_index_eval_set").input("../secrets.jsonl")
    submit(at, "workflows_evaluate_index_form", "Start")
    assert not at.exception
    slot = next_to(at, "workflows_evaluate_index_top_k")
    assert "inputs.eval_set" in str(slot.value), slot
    assert "workflows_run" not in at.session_state
    assert api.workflow_runs(workflow_id="evaluate_index").count == before
