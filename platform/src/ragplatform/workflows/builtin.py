"""The built-in workflows.

- ``rebuild_index`` (admin): content rows and datasets → build a version → evaluate it on the
  gate's evaluation set → promote it through the gate. A refused promotion completes the run with
  ``promoted: false`` and the gate's reason (the version stays registered for a person to judge).
- ``ingest_documents`` (any signed-in user): text documents given in the inputs → parsed, stored
  and indexed into the user's own documents, one step per stage, all or none.
- ``evaluate_index`` (admin): a version (production by default) on an evaluation set of ``evals/``,
  logged to MLflow like every evaluation.
- ``qualify_leads`` (admin): ``lead_agent``'s qualification of every lead not yet qualified (or of
  the leads named).
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ragplatform.errors import InvalidInput, NotFound, PromotionRefused
from ragplatform.evaluation.evaluate import evaluate
from ragplatform.evaluation.sets import EvalSet, load_jsonl
from ragplatform.spec import IndexSpec
from ragplatform.workflows.base import WorkflowContext, WorkflowRegistry

EVAL_SET_NAME = r"^[A-Za-z0-9_.-]{1,100}\.jsonl$"
MAX_DOCUMENTS = 20
MAX_DOCUMENT_CHARS = 2_000_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _evals_dir(ctx: WorkflowContext) -> Path:
    gate = ctx.platform.settings.promotion_gate
    return Path(gate).parent if gate else Path("evals")


def _eval_set(ctx: WorkflowContext, name: str | None) -> EvalSet | None:
    """``name`` from ``evals/`` (a file name only), else the gate's configured set (None: none)."""
    if name is None:
        return ctx.platform.indexes.gate.load_eval_set()
    path = _evals_dir(ctx) / name
    if not path.is_file():
        raise InvalidInput(f"no evaluation set {name!r} in {_evals_dir(ctx)}", field="eval_set", value=name)
    return load_jsonl(path)


def _reporting(ctx: WorkflowContext) -> Any:
    """A ``Progress`` callback for platform work that reports into the current step."""

    def progress(stage: str, done: int, total: int) -> None:
        ctx.progress(done, total) if total else None

    return progress


# -- rebuild_index ---------------------------------------------------------------------------------


class RebuildInput(_Strict):
    spec: IndexSpec | None = Field(
        default=None, description="what to build; default: production's spec (or the default spec when none)"
    )
    promote: bool = Field(default=True, description="promote the new version through the gate")
    force: bool = Field(default=False, description="promote even when the gate refuses (recorded as forced)")
    eval_set: str | None = Field(
        default=None,
        pattern=EVAL_SET_NAME,
        description="an evaluation set file of evals/; default: the gate's",
    )


class RebuildIndex:
    name = "rebuild_index"
    description = "Build a new index version from the datasets and content rows, evaluate it, promote it through the gate."
    admin_only = True
    steps: tuple[str, ...] = ("build", "evaluate", "promote")
    Input = RebuildInput

    def run(self, params: RebuildInput, ctx: WorkflowContext) -> dict[str, Any]:
        indexes = ctx.platform.indexes
        spec = params.spec
        if spec is None:
            current = indexes.production()
            spec = current.spec if current is not None else IndexSpec()
        eval_set = _eval_set(ctx, params.eval_set)
        with ctx.step("build"):
            built = indexes.build(spec, progress=_reporting(ctx), run_tags={"workflow": self.name})
            version = built.version.version
            ctx.note(version=version, documents=built.stats.documents, chunks=built.stats.chunks)
        outputs: dict[str, Any] = {"version": version, "metrics": None, "promoted": False}
        with ctx.step("evaluate"):
            if eval_set is not None:
                report = evaluate(
                    indexes, version, eval_set, top_k=indexes.gate.top_k, progress=_reporting(ctx)
                )
                outputs["metrics"] = report.metrics
                outputs["eval_set"] = eval_set.name
                ctx.note(eval_set=eval_set.name, run_id=report.run_id)
            else:
                ctx.note(skipped="no evaluation set configured")
        with ctx.step("promote"):
            if not params.promote:
                outputs["promotion"] = "not requested"
                return outputs
            try:
                result = indexes.promote(
                    version, force=params.force, reason="rebuild_index workflow", eval_set=eval_set
                )
            except PromotionRefused as refused:
                outputs["promotion"] = "refused"
                outputs["refusal"] = refused.message
                ctx.note(refused=refused.message)
                return outputs
            outputs["promoted"] = True
            outputs["promotion"] = "forced" if params.force else "promoted"
            outputs["production"] = result.version
        return outputs


# -- ingest_documents ------------------------------------------------------------------------------


class DocumentInput(_Strict):
    filename: str = Field(min_length=1, max_length=255)
    text: str | None = Field(default=None, max_length=MAX_DOCUMENT_CHARS, description="the document as text")
    content_base64: str | None = Field(
        default=None, max_length=MAX_DOCUMENT_CHARS, description="or its bytes, base64"
    )
    content_type: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _one_body(self) -> DocumentInput:
        if (self.text is None) == (self.content_base64 is None):
            raise ValueError("give exactly one of text or content_base64")
        return self

    def data(self) -> bytes:
        if self.text is not None:
            return self.text.encode()
        try:
            return base64.b64decode(self.content_base64 or "", validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                f"{self.filename}: content_base64 is not valid base64", field="content_base64"
            ) from None


class IngestInput(_Strict):
    documents: list[DocumentInput] = Field(min_length=1, max_length=MAX_DOCUMENTS)


class IngestDocuments:
    name = "ingest_documents"
    description = "Parse, store and index documents into your own documents (all or none)."
    admin_only = False
    steps: tuple[str, ...] = ("ingest",)
    Input = IngestInput

    def run(self, params: IngestInput, ctx: WorkflowContext) -> dict[str, Any]:
        documents = ctx.platform.documents
        stored = []
        with ctx.step("ingest"):
            try:
                for done, item in enumerate(params.documents):
                    record = documents.ingest(
                        ctx.user_id, item.filename, item.data(), content_type=item.content_type
                    )
                    stored.append(record)
                    ctx.progress(done + 1, len(params.documents))
            except Exception:
                for record in stored:
                    documents.delete(record.id)
                raise
        return {
            "documents": [
                {"id": r.id, "filename": r.filename, "status": r.status, "chunks": r.chunks} for r in stored
            ]
        }


# -- evaluate_index --------------------------------------------------------------------------------


class EvaluateInput(_Strict):
    version: str | None = Field(default=None, max_length=100, description="default: the production version")
    eval_set: str | None = Field(default=None, pattern=EVAL_SET_NAME, description="default: the gate's set")
    top_k: int = Field(default=100, ge=1, le=1000)


class EvaluateIndex:
    name = "evaluate_index"
    description = "Evaluate an index version (production by default) on an evaluation set; logged to MLflow."
    admin_only = True
    steps: tuple[str, ...] = ("evaluate",)
    Input = EvaluateInput

    def run(self, params: EvaluateInput, ctx: WorkflowContext) -> dict[str, Any]:
        indexes = ctx.platform.indexes
        version = params.version
        if version is None:
            current = indexes.production()
            if current is None:
                raise NotFound("no version is promoted yet; name one to evaluate")
            version = current.version
        eval_set = _eval_set(ctx, params.eval_set) or _eval_set(ctx, "demo.jsonl")
        assert eval_set is not None
        with ctx.step("evaluate"):
            report = evaluate(indexes, version, eval_set, top_k=params.top_k, progress=_reporting(ctx))
        return {
            "version": version,
            "eval_set": eval_set.name,
            "metrics": report.metrics,
            "run_id": report.run_id,
        }


# -- qualify_leads ---------------------------------------------------------------------------------


class QualifyInput(_Strict):
    lead_ids: list[str] | None = Field(
        default=None, max_length=1000, description="default: every unqualified lead"
    )


class QualifyLeads:
    name = "qualify_leads"
    description = "Qualify leads with lead_agent's rules (or the configured LLM): every unqualified lead, or those named."
    admin_only = True
    steps: tuple[str, ...] = ("qualify",)
    Input = QualifyInput

    def run(self, params: QualifyInput, ctx: WorkflowContext) -> dict[str, Any]:
        leads = ctx.platform.leads
        with ctx.step("qualify"):
            ids = params.lead_ids if params.lead_ids is not None else leads.unqualified_ids()
            results = []
            for done, lead_id in enumerate(ids):
                analysis = leads.qualify(lead_id)
                results.append({"lead_id": lead_id, "score": analysis.score, "intent": analysis.intent})
                ctx.progress(done + 1, len(ids))
        return {"qualified": len(results), "leads": results}


def default_workflows() -> WorkflowRegistry:
    return WorkflowRegistry([RebuildIndex(), IngestDocuments(), EvaluateIndex(), QualifyLeads()])
