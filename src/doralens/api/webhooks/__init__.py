"""Inbound integrations over HTTP: thin adapters that read, authenticate, map (``doralens.integrations``), store."""

from __future__ import annotations

from fastapi import APIRouter

from doralens.api.webhooks import cdevents, signed

router = APIRouter()
router.include_router(cdevents.router)
router.include_router(signed.router)
