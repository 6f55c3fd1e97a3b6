"""A hand-built March 2024 on service web in prod, shared by the metric tests.

Deployments d1-d6 finish in March (d0 and d7 outside it); d2, d4, d5 and d7 are change failures (d2 rolled
back by d3, d4 caused f1, d5 never recovered); d3 and d6 are rework. Failures f1, f4, f2 start in March (f3
too, still open); f0 started in February.
"""

from __future__ import annotations

from doralens.domain.buckets import Window
from doralens.domain.changefailure import DeploymentVerdict, RemediationType
from doralens.domain.events import Deployment, Failure
from tests.builders import deployment, failure, ts

MARCH = Window(ts("2024-03-01T00:00:00Z"), ts("2024-04-01T00:00:00Z"))


def verdict(
    deployment_id: str,
    *,
    change_failure: bool = False,
    remediated_by: str | None = None,
    failure_ids: tuple[str, ...] = (),
    is_rework: bool = False,
) -> DeploymentVerdict:
    return DeploymentVerdict(
        deployment_id=deployment_id,
        is_change_failure=change_failure,
        reasons=(),
        overridden_reasons=(),
        remediated_by=remediated_by,
        remediation_type=RemediationType.ROLLBACK if remediated_by else None,
        remediates=(),
        is_rework=is_rework,
        rework_reasons=(),
        failure_ids=failure_ids,
        rework_failure_ids=(),
    )


def march_deployments() -> list[Deployment]:
    return [
        deployment(id="d0", finished="2024-02-29T10:00:00Z"),  # before the window
        deployment(id="d1", finished="2024-03-04T10:00:00Z"),  # Monday
        deployment(id="d2", finished="2024-03-05T10:00:00Z"),  # Tuesday; failed, rolled back by d3
        deployment(id="d3", finished="2024-03-05T10:30:00Z"),
        deployment(id="d4", finished="2024-03-13T09:00:00Z"),  # Wednesday; caused f1
        deployment(id="d5", finished="2024-03-25T12:00:00Z"),  # Monday; failed, never recovered
        deployment(id="d6", finished="2024-03-26T08:00:00Z"),  # Tuesday; first deployment during f2
        deployment(id="d7", finished="2024-04-02T10:00:00Z"),  # after the window; failed
    ]


def march_verdicts() -> dict[str, DeploymentVerdict]:
    verdicts = [
        verdict("d2", change_failure=True, remediated_by="d3"),
        verdict("d3", is_rework=True),
        verdict("d4", change_failure=True, failure_ids=("f1",)),
        verdict("d5", change_failure=True),
        verdict("d6", is_rework=True),
        verdict("d7", change_failure=True),
    ]
    return {v.deployment_id: v for v in verdicts}


def march_failures() -> list[Failure]:
    return [
        failure(id="f0", started="2024-02-28T10:00:00Z", finished="2024-03-01T10:00:00Z"),  # before
        failure(id="f1", started="2024-03-13T09:30:00Z", finished="2024-03-13T11:00:00Z"),  # 1.5 h
        failure(("api",), id="f4", started="2024-03-20T00:00:00Z", finished="2024-03-20T00:30:00Z"),  # 0.5 h
        failure(id="f2", started="2024-03-26T07:00:00Z", finished="2024-03-26T09:00:00Z"),  # 2 h
        failure(id="f3", started="2024-03-28T12:00:00Z"),  # open
    ]
