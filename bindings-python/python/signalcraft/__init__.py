"""SignalCraft: an embeddable alert-processing engine (normalize, deduplicate, route, notify).

    from signalcraft import Engine
    engine = Engine("signalcraft.db")
    engine.create_workspace("acme")
    out = engine.ingest("acme", "sentry", {"Sentry-Hook-Resource": "event_alert"}, body)

Every method makes one call into the Rust engine (with the GIL released) and answers with plain
dicts and lists, shaped exactly like the CLI's JSON output. Errors are ``SignalCraftError``s.
"""

from ._native import SCHEMA_VERSION, Engine
from .errors import (
    ConflictError,
    ForbiddenError,
    InternalError,
    InvalidInputError,
    NotFoundError,
    SignalCraftError,
    SignatureError,
    StorageError,
)

__all__ = [
    "Engine",
    "SCHEMA_VERSION",
    "SignalCraftError",
    "InvalidInputError",
    "SignatureError",
    "NotFoundError",
    "StorageError",
    "ConflictError",
    "ForbiddenError",
    "InternalError",
]
