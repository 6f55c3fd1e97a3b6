"""Liveness and readiness probes (no keys needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from doralens.api.deps import StoreDep
from doralens.errors import StoreError

router = APIRouter(tags=["Health"])


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    """Always ``ok`` while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and migrated")
def readyz(store: StoreDep) -> JSONResponse:
    """200 when the store answers and its schema is current, else 503 with the reason."""
    try:
        store.check_ready()
    except StoreError as exc:
        return JSONResponse({"status": "unavailable", "reason": str(exc)}, status_code=503)
    return JSONResponse({"status": "ok"})
