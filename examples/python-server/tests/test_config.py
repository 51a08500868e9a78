"""The host's settings: what its logs show of ``--db``."""

from __future__ import annotations

from signalcraft_server.config import describe_db


def test_a_file_path_is_shown_as_it_is() -> None:
    assert describe_db("/var/lib/signalcraft/signalcraft.db") == "/var/lib/signalcraft/signalcraft.db"
    assert describe_db("sqlite:/tmp/sc.db") == "sqlite:/tmp/sc.db"


def test_a_postgres_url_is_shown_without_its_password() -> None:
    shown = describe_db("postgres://signalcraft:s3cr%40t@127.0.0.1:5432/alerts?sslmode=require")
    assert shown == "postgres://signalcraft:***@127.0.0.1:5432/alerts?sslmode=require"
    shown = describe_db("postgresql://signalcraft@db.internal/alerts?password=hunter2&sslmode=disable")
    assert shown == "postgresql://signalcraft@db.internal/alerts?password=***&sslmode=disable"
    assert describe_db("postgres://127.0.0.1:5432/alerts") == "postgres://127.0.0.1:5432/alerts"
    assert "hunter2" not in describe_db("POSTGRES://u:hunter2@[::1]:5432/db")


def test_an_unparsable_url_shows_only_its_scheme() -> None:
    assert describe_db("postgres://u:hunter2@[::1/db") == "postgres://(an unparsable URL)"
