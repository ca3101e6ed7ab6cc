"""The promotion gate on the demo index: a worse candidate is refused with the reason and production
stays; a forced promotion is recorded as forced; rollback restores; no eval set, no comparison.

Every test leaves the session's production version where it found it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from ragplatform import cli
from ragplatform.errors import InvalidInput, PromotionRefused
from ragplatform.evaluation import GateConfig, load_jsonl
from ragplatform.evaluation.gate import check, primary_value
from ragplatform.registry.base import IndexVersion
from ragplatform.spec import CorpusSpec

if TYPE_CHECKING:
    from ragplatform.factory import Platform

REPO = Path(__file__).resolve().parents[3]
DEMO = REPO / "evals" / "demo.jsonl"


@pytest.fixture
def production(platform: Platform, monkeypatch: pytest.MonkeyPatch) -> Iterator[IndexVersion]:
    """The production version before the test; restored afterwards if the test moved it."""
    monkeypatch.setattr(platform.indexes, "gate", GateConfig(top_k=20))
    before = platform.indexes.production()
    assert before is not None
    yield before
    after = platform.indexes.production()
    if after is not None and after.version != before.version:
        platform.indexes.promote(before.version, force=True, reason="restore after gate test")


@pytest.fixture(scope="module")
def worse(platform: Platform) -> IndexVersion:
    """The demo index without six of its seven articles: most questions lose their document."""
    production = platform.indexes.production()
    assert production is not None
    spec = production.spec.model_copy(
        update={"name": "warsaw-only", "corpus": CorpusSpec(paths=("demo/warsaw.md",), include_content=False)}
    )
    return platform.indexes.build(spec).version


def test_worse_candidate_is_refused_with_the_reason(
    platform: Platform, production: IndexVersion, worse: IndexVersion
) -> None:
    with pytest.raises(PromotionRefused) as refused:
        platform.indexes.promote(worse.version, reason="try the small one", eval_set=load_jsonl(DEMO))
    message = refused.value.message
    prod_score = float(platform.registry.get_version(production.version).tags["eval.demo.ndcg_at_10"])
    assert prod_score > 0.9  # measured 0.988 on the demo index with content rows
    assert f"< production {prod_score:.3f} - tolerance 0.010 on eval set 'demo'" in message
    current = platform.indexes.production()
    assert current is not None and current.version == production.version, "production unchanged"
    tags = platform.registry.get_version(worse.version).tags
    assert tags["promotion.verdict"] == "refused"
    assert tags["promotion.reason"].startswith("nDCG@10 ")
    candidate_score = float(tags["eval.demo.ndcg_at_10"])
    assert candidate_score < 0.5, "the candidate was evaluated and its result recorded"
    assert message.startswith(
        f"promotion of version {worse.version} refused: nDCG@10 {candidate_score:.3f} <"
    )


def test_forced_promotion_is_recorded_as_forced_and_rollback_restores(
    platform: Platform, production: IndexVersion, worse: IndexVersion
) -> None:
    result = platform.indexes.promote(
        worse.version, force=True, reason="demo of force", eval_set=load_jsonl(DEMO)
    )
    assert (result.verdict, result.forced, result.previous) == ("forced", True, production.version)
    assert result.reason.startswith("demo of force; gate: regression accepted by force: nDCG@10")
    tags = platform.registry.get_version(worse.version).tags
    assert tags["promotion.forced"] == "true" and tags["promotion.verdict"] == "forced"
    assert platform.index.resolve_alias("production") == worse.collection

    back = platform.indexes.rollback()
    assert back.version == production.version
    current = platform.indexes.production()
    assert current is not None and current.version == production.version
    assert platform.index.resolve_alias("production") == production.collection


def test_equal_candidate_passes_and_the_verdict_is_recorded(
    platform: Platform, production: IndexVersion
) -> None:
    retrieval = production.spec.retrieval.model_copy(update={"top_k": 6})  # answer context size only
    same_data = production.spec.model_copy(update={"retrieval": retrieval})
    candidate = platform.indexes.build(same_data).version
    result = platform.indexes.promote(candidate.version, eval_set=load_jsonl(DEMO).head(12))
    assert result.verdict == "promoted"
    assert re.search(
        r"gate: nDCG@10 (\d\.\d{3}) >= production \1 - tolerance 0\.010 on eval set 'demo-12'", result.reason
    ), result.reason
    assert platform.registry.get_version(candidate.version).tags["promotion.reason"] == result.reason
    platform.indexes.rollback()


def test_without_an_eval_set_no_comparison_is_made(
    platform: Platform, production: IndexVersion, worse: IndexVersion
) -> None:
    result = platform.indexes.promote(worse.version, reason="no gate")
    assert result.verdict == "promoted"
    assert result.reason == "no gate; gate: no evaluation set given, no comparison"
    platform.indexes.rollback()


def test_configured_eval_set_gates_callers_that_pass_none(
    platform: Platform, production: IndexVersion, worse: IndexVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platform.indexes, "gate", GateConfig(eval_set=DEMO, tolerance=0.2, top_k=20))
    with pytest.raises(PromotionRefused, match=r"tolerance 0\.200 on eval set 'demo'"):
        platform.indexes.promote(worse.version)


def test_gate_config_file(tmp_path: Path) -> None:
    shipped = GateConfig.from_yaml(REPO / "evals" / "promotion.yaml")
    assert (shipped.primary_metric, shipped.tolerance) == ("ndcg_at_10", 0.01)
    assert shipped.eval_set == DEMO.resolve()
    loaded = shipped.load_eval_set()
    assert loaded is not None and loaded.name == "demo"
    bad = tmp_path / "gate.yaml"
    bad.write_text("primary_metric: ndcg_at_10\ntolerence: 0.1\n")
    with pytest.raises(InvalidInput, match="unknown gate setting\\(s\\) tolerence"):
        GateConfig.from_yaml(bad)
    with pytest.raises(InvalidInput, match="tolerance must be between 0 and 1"):
        GateConfig(tolerance=2)


def test_cli_promote_shows_the_verdict(
    platform: Platform, production: IndexVersion, worse: IndexVersion, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextmanager
    def same_platform() -> Iterator[Platform]:
        yield platform

    monkeypatch.setattr(cli, "platform", same_platform)
    runner = CliRunner()
    refused = runner.invoke(cli.app, ["promote", worse.version, "--evals", str(DEMO)])
    assert refused.exit_code == 2
    assert "refused" in refused.output and "eval set 'demo'" in refused.output
    forced = runner.invoke(
        cli.app, ["promote", worse.version, "--evals", str(DEMO), "--force", "--reason", "x"]
    )
    assert forced.exit_code == 0, forced.output
    assert f"forced: production is version {worse.version}" in forced.output
    assert "regression accepted by force" in forced.output


def test_the_gate_is_pure_policy_on_two_scores() -> None:
    config = GateConfig(tolerance=0.01)
    about = {"eval_set": "demo", "candidate_version": "7", "production_version": "3"}
    passed = check(0.805, 0.81, config, **about)
    assert passed.passed and (passed.candidate, passed.production) == (0.805, 0.81)
    assert passed.reason == (
        "nDCG@10 0.805 >= production 0.810 - tolerance 0.010 on eval set 'demo' (candidate v7, production v3)"
    )
    refused = check(0.79, 0.81, config, **about)
    assert not refused.passed and "nDCG@10 0.790 < production 0.810" in refused.reason
    assert primary_value({"ndcg_at_10": 0.5, "mrr_at_10": 0.4}, config) == 0.5
    with pytest.raises(InvalidInput, match="primary metric 'ndcg_at_10' is not produced"):
        primary_value({"mrr_at_10": 0.4}, config)
