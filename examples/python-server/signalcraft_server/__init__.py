"""The SignalCraft server on FastAPI + uvicorn, embedding the ``signalcraft`` package: every route
of ``examples/api/openapi.yaml`` with the same statuses, bodies and errors as the Node host."""
