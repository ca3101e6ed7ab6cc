"""Dependencies the routes use, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ragplatform.answering.service import AnswerService
from ragplatform.factory import Platform
from ragserve.notify import NotificationHub


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def get_answers(request: Request) -> AnswerService:
    return get_platform(request).answers


PlatformDep = Annotated[Platform, Depends(get_platform)]
Answers = Annotated[AnswerService, Depends(get_answers)]


def get_hub(request: Request) -> NotificationHub:
    hub: NotificationHub = request.app.state.hub
    return hub


Hub = Annotated[NotificationHub, Depends(get_hub)]
