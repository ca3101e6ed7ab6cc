"""Indexes page: versions with spec and metrics, a rebuild started and followed on the page,
promotion and rollback with confirmation and the gate's verdict."""

from __future__ import annotations

from console_support import assert_clean, console, open_page, page_text, wait_for
from streamlit.testing.v1 import AppTest

from ragplatform.client import RagClient


def production(api: RagClient) -> str:
    return next(v.version for v in api.list_indexes() if v.is_production)


def test_versions_spec_metrics_chart_and_mlflow_link(admin_token: str, api: RagClient) -> None:
    at = open_page(console(admin_token), "indexes")
    assert_clean(at)
    versions = api.list_indexes()
    table = at.dataframe[0].value
    assert list(table["version"]) == [v.version for v in versions]
    assert list(table["serving"]) == ["production" if v.is_production else "" for v in versions]

    current = next(v for v in versions if v.is_production)
    at.selectbox(key="indexes_details_version").set_value(current.version).run()
    assert at.json[0].value and current.spec["name"] in at.json[0].value
    links = [b.proto.url for b in at.get("link_button")]
    assert any(current.run_id in url for url in links), links

    at.multiselect(key="indexes_chart_metrics").set_value(["chunks", "documents"]).run()
    assert_clean(at)
    assert at.get("vega_lite_chart"), "a chart compares the chosen metrics"


def confirm(at: AppTest, key: str) -> None:
    at.button(key=key).click().run()
    assert "Cancel" in [b.label for b in at.button]  # asked first
    at.button(key=f"{key}_yes").click().run()
    assert not at.exception


def test_rebuild_then_promote_and_roll_back_with_the_gates_verdict(admin_token: str, api: RagClient) -> None:
    before = production(api)
    known = {v.version for v in api.list_indexes()}
    at = open_page(console(admin_token), "indexes")
    at.button(key="indexes_build_start").click().run()
    assert_clean(at)
    job_id = at.session_state["indexes_build_job"]
    assert api.build_job(job_id).status in ("queued", "running", "succeeded")

    def finished() -> bool:
        at.run()
        return "Built v" in page_text(at)

    wait_for(finished, timeout_s=600, every_s=2)
    built = api.build_job(job_id)
    assert built.status == "succeeded" and built.version not in known
    assert f"Built v{built.version}" in page_text(at)
    at.button(key="indexes_build_done").click().run()
    assert built.version in list(at.dataframe[0].value["version"])
    assert production(api) == before  # a build does not serve until promoted

    try:
        at.selectbox(key="indexes_promote_version").set_value(built.version).run()
        confirm(at, f"indexes_promote_{built.version}")
        assert production(api) == built.version
        outcome = api.get_index(built.version).promotion
        text = page_text(at)
        assert f"production v{before} → v{built.version}" in text and "verdict: promoted" in text
        assert outcome.get("verdict") == "promoted"

        confirm(at, "indexes_rollback")
        assert production(api) == before
        assert f"Rolled back: production v{built.version} → v{before}" in page_text(at)
    finally:
        if production(api) != before:
            api.promote(before, force=True, reason="restore after console test")


def test_the_gate_refuses_a_regression_and_force_overrides_it(admin_token: str, api: RagClient) -> None:
    before = production(api)
    current = api.get_index(before)
    # Same collection (built in a moment), but dense search with a distance threshold that keeps no
    # chunk: nDCG@10 drops to 0.
    worse_retrieval = {**current.spec["retrieval"], "mode": "dense", "distance_threshold": 0.05}
    spec = {**current.spec, "retrieval": worse_retrieval}
    job = api.start_build(spec)
    worse = wait_for(lambda: (j := api.build_job(job.job_id)).finished and j, timeout_s=600, every_s=1)
    assert worse.status == "succeeded" and worse.version

    at = open_page(console(admin_token), "indexes")
    try:
        at.selectbox(key="indexes_promote_version").set_value(worse.version).run()
        confirm(at, f"indexes_promote_{worse.version}")
        text = page_text(at)
        assert f"The gate refused v{worse.version}" in text and "nDCG@10 0.000 <" in text
        assert production(api) == before

        at.selectbox(key="indexes_promote_version").set_value(worse.version).run()
        at.checkbox(key="indexes_promote_force").check().run()
        confirm(at, f"indexes_promote_{worse.version}")
        assert "verdict: forced" in page_text(at)
        assert production(api) == worse.version
        assert api.get_index(worse.version).promotion["verdict"] == "forced"

        confirm(at, "indexes_rollback")
        assert production(api) == before
    finally:
        if production(api) != before:
            api.promote(before, force=True, reason="restore after console test")
