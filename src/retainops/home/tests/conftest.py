"""The process fixtures (a complete client team, the shipped hand-off, the clock)."""

from retainops.playbooks.tests.conftest import (  # noqa: F401
    START,
    clock,
    csm,
    handoff,
    harbor,
    ops_lead,
    publish,
    sales_rep,
    team_lead,
)
