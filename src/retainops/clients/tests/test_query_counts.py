"""The client list costs the same number of queries whatever the number of clients:
no query per row (its templates, the other apps' columns, the API's schema)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retainops.clients.testing import ClientFactory, make_contract
from retainops.core.testing import ApiCaller


def seed(unit, count: int) -> None:
    for index in range(count):
        client = ClientFactory.create(name=f"Dental {index:03d}", business_unit=unit)
        make_contract(client, {"seo": "100.00"})


def queries_of(call) -> int:
    call()  # warm-up: whatever is read once per process (sessions, caches) is read here
    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "dental"}, {"sort": "-mrr"}, {"status": "onboarding"}, {"page": "1"}],
    ids=["first page", "search", "mrr sort", "status", "page 1"],
)
def test_the_list_page_and_the_api_cost_the_same_queries_at_3_and_30_clients(
    client, account_manager, north, params
):
    client.force_login(account_manager)
    caller = ApiCaller(account_manager)
    api_params = {("search" if k == "q" else k): v for k, v in params.items()}
    counts = []
    for added in (3, 27):  # 3 clients, then 30
        seed(north, added)
        counts.append(
            (
                queries_of(lambda: client.get("/clients/", params)),
                queries_of(lambda: caller.get("/clients", **api_params)),
            )
        )
    assert counts[0] == counts[1]
