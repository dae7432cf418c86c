"""How-to "A FastAPI service with a supervision tree": testing the service in-process."""

# --8<-- [start:test]
from __future__ import annotations

import httpx
import pytest

from examples.fastapi_service.app import app, service


@pytest.mark.actors  # run on actor-supervision's pytest plugin (see "Test your actors")
async def test_a_request_id_reaches_the_audit_through_the_bus() -> None:
    transport = httpx.ASGITransport(app=app)
    async with (
        service.lifespan(),  # starts the tree, and shuts it down at the end
        httpx.AsyncClient(transport=transport, base_url="http://test") as http,
    ):
        headers = {"X-Request-ID": "order-17"}
        response = await http.post("/items/pears?quantity=4", headers=headers)
        assert response.json() == {"item": "pears", "in_stock": 4}
        await service.system.wait_idle()  # the audit has handled the event
        [change] = (await http.get("/audit")).json()
        assert change["request"] == "order-17"


# --8<-- [end:test]
