"""PostgreSQL: a transaction that only read ends with COMMIT, so psycopg keeps its prepared statements
(engine.db._end_reads_with_commit); one that wrote or failed still rolls back."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from engine.db import make_engine, make_sessionmaker

PROBE = "SELECT count(*) FROM agency WHERE id > :floor"


@pytest.fixture
def sessions(db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("psycopg's prepared statements: PostgreSQL only")
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _prepared(sessions) -> list[str]:
    with sessions() as s:
        return list(s.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def test_read_only_requests_keep_their_prepared_statements(sessions):
    for _ in range(6):  # psycopg prepares a statement on its fifth run on a connection
        with sessions() as s:  # closed without commit, as a page that only read
            s.execute(text(PROBE), {"floor": 0}).all()
    assert any("FROM agency WHERE id >" in statement for statement in _prepared(sessions))


def test_a_write_left_uncommitted_is_still_rolled_back(sessions):
    with sessions() as s:
        before = s.execute(text("SELECT name FROM agency ORDER BY id LIMIT 1")).scalar_one()
    for _ in range(2):
        with sessions() as s:
            s.execute(text(PROBE), {"floor": 0}).all()  # a read first, then a write, then no commit
            s.execute(text("UPDATE agency SET name = name || ' (đổi)' WHERE id = (SELECT min(id) FROM agency)"))
    with sessions() as s:
        assert s.execute(text("SELECT name FROM agency ORDER BY id LIMIT 1")).scalar_one() == before


def test_a_failed_transaction_rolls_back_and_the_connection_goes_on(sessions):
    with sessions() as s:
        with pytest.raises(ProgrammingError):
            s.execute(text("SELECT no_such_column FROM agency"))
    with sessions() as s:
        assert s.execute(text(PROBE), {"floor": 0}).scalar_one() > 0
