"""The embedded run's database URLs: the socket of this run's own data folder, never a port,
so a URL of another checkout's folder (or a real server) is not the embedded one."""
from __future__ import annotations

from sqlalchemy.engine import make_url

from emarket import embedded_pg
from emarket.config import Settings


def test_the_default_urls_are_the_embedded_servers_socket_under_var(tmp_path, monkeypatch):
    # Settings read from this environment (no URL set), not the settings in force.
    for name in ("account", "emarket", "bank"):
        monkeypatch.delenv(f"EMARKET_DB_{name.upper()}", raising=False)
    s = Settings(var_dir=str(tmp_path / "var"))
    for name in ("account", "emarket", "bank"):
        url = make_url(getattr(s, f"db_{name}"))
        assert (url.get_backend_name(), url.database, url.host, url.port) == ("postgresql", name, None, None)
        assert url.query["host"] == str(tmp_path / "var" / "postgres")
    assert embedded_pg.uses_embedded(tmp_path / "var", s.db_emarket)


def test_another_folders_server_or_a_real_one_is_not_the_embedded_one(tmp_path):
    mine, theirs = tmp_path / "mine" / "var", tmp_path / "theirs" / "var"
    assert not embedded_pg.uses_embedded(mine, embedded_pg.url(theirs, "emarket"))
    assert not embedded_pg.uses_embedded(mine, "postgresql+psycopg2://postgres@127.0.0.1:5432/emarket")
    assert embedded_pg.uses_embedded(mine, "redis://127.0.0.1:6389/0", embedded_pg.url(mine, "bank"))
