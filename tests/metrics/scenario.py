"""A hand-built March 2024 of services web and api in prod, with every number worked out by hand.

web:  w1 v1 04 Mar 10:00 · w2 v2 05 Mar 10:00 · w3 v3 06 Mar 10:00 · w4 v1 06 Mar 12:00 (rollback: w2 failed)
      w5 v4 11 Mar 09:00 · w6 v4-hotfix 11 Mar 15:00 (rollforward: w5 failed) · w7 v5 20 Mar 10:00
api:  a1 a1 04 Mar 11:00 · a2 a2 13 Mar 08:00
failures: f_early web 01 Mar 00:00-02:00 (before any deployment: unattributed)
          f_web   web 11 Mar 10:00-16:00 (w5, 1 h before: heuristic, medium; w6 is the first deployment during it)
          f_both  web+api 13 Mar 09:00-09:30 (web's latest is 42 h old: only a2, 1 h before, medium)
          f_open  api 25 Mar 00:00, open (a2 is 12 days old: unattributed)

Change failures: w2 (rollback, recovered by w4 after 26 h), w5 (rollforward and attributed, recovered by w6 after
6 h), a2 (attributed, recovered when f_both resolved after 1.5 h). Rework: w4 (rollback), w6 (rollforward, first
deployment during f_web).
"""

from __future__ import annotations

from doralens.domain.events import Deployment, Failure
from tests.builders import deployment, failure

MARCH = ("2024-03-01T00:00:00Z", "2024-04-01T00:00:00Z")


def scenario_deployments() -> list[Deployment]:
    return [
        deployment("web", id="w1-deployment-01", version="v1", finished="2024-03-04T10:00:00Z", team="shop"),
        deployment("web", id="w2-deployment-02", version="v2", finished="2024-03-05T10:00:00Z", team="shop"),
        deployment("web", id="w3-deployment-03", version="v3", finished="2024-03-06T10:00:00Z", team="shop"),
        deployment("web", id="w4-deployment-04", version="v1", finished="2024-03-06T12:00:00Z", team="shop"),
        deployment("web", id="w5-deployment-05", version="v4", finished="2024-03-11T09:00:00Z", team="shop"),
        deployment("web", id="w6-deployment-06", version="v4-hotfix", finished="2024-03-11T15:00:00Z", team="shop"),
        deployment("web", id="w7-deployment-07", version="v5", finished="2024-03-20T10:00:00Z", team="shop"),
        deployment("api", id="a1-deployment-01", version="a1", finished="2024-03-04T11:00:00Z", team="core"),
        deployment("api", id="a2-deployment-02", version="a2", finished="2024-03-13T08:00:00Z", team="core"),
    ]


def scenario_failures() -> list[Failure]:
    return [
        failure(("web",), id="f-early-failure-1", started="2024-03-01T00:00:00Z", finished="2024-03-01T02:00:00Z"),
        failure(("web",), id="f-web-failure-002", started="2024-03-11T10:00:00Z", finished="2024-03-11T16:00:00Z"),
        failure(
            ("web", "api"), id="f-both-failure-03", started="2024-03-13T09:00:00Z", finished="2024-03-13T09:30:00Z"
        ),
        failure(("api",), id="f-open-failure-04", started="2024-03-25T00:00:00Z", severity="SEV-1"),
    ]


TTR_SORTED = (1800, 7200, 21600)  # f_both, f_early, f_web
RECOVERY_SORTED = (5400, 21600, 93600)  # a2, w5, w2
