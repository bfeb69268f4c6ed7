"""``tsunagu.db.get_row``: the one lookup by id of the console's pages, which treats an id outside PostgreSQL's
32-bit id columns as no row (a typed URL with a huge number is a 404, not a database error)."""

from __future__ import annotations

from sqlmodel import Session

from core.db import MAX_ROW_ID, get_row, make_engine
from handoff.canned import CannedReply
from tsunagu.db import migrate


def test_get_row_finds_a_row_and_treats_ids_out_of_range_as_none(sqlite_url: str) -> None:
    migrate(sqlite_url)
    engine = make_engine(sqlite_url)
    with Session(engine) as session:
        reply = CannedReply(team="市民課", title="題", text="本文")
        session.add(reply)
        session.commit()
        assert reply.id is not None
        assert get_row(session, CannedReply, reply.id) is reply
        for row_id in (0, -1, MAX_ROW_ID + 1, 2**63, reply.id + 1):
            assert get_row(session, CannedReply, row_id) is None
    engine.dispose()
