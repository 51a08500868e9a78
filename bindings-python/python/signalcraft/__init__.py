"""SignalCraft: an embeddable alert-processing engine (normalize, deduplicate, route, notify).

    from signalcraft import Engine
    engine = Engine("signalcraft.db")
    engine.create_workspace("acme")
    out = engine.ingest("acme", "sentry", {"Sentry-Hook-Resource": "event_alert"}, body)

Every method makes one call into the Rust engine (with the GIL released) and answers with plain
dicts and lists, shaped exactly like the CLI's JSON output. Errors are ``SignalCraftError``s.
"""

from ._native import SCHEMA_VERSION, Engine
from . import errors
from .errors import *  # noqa: F403 - the exception family is part of the package's surface

__all__ = ["Engine", "SCHEMA_VERSION", *errors.__all__]
