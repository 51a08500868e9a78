"""One router per domain, each a few lines per route: authorize through the engine, one engine
call, the answer as it is (errors become the contract's error body in ``routing.ErrorRoute``)."""
