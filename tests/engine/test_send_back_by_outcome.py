"""The leader's "send back" outcome in the diagram returns the step, pre-filled, to the official who did it."""
from __future__ import annotations

from samples import HH_APPROVE, SIGN_SEND_BACK
from sqlalchemy import delete, select
from support import act, open_task, receive

from engine.models import Membership
from engine.task_context import task_context


def test_the_diagrams_send_back_returns_the_step_to_its_official_pre_filled(rt, session, users):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    act(rt, session, users, d.id, "sign", SIGN_SEND_BACK)
    back = open_task(session, d.id)
    assert (back.bpmn_id, back.state, back.assignee_id) == ("examine", "claimed", users["tanlap.specialist"].id)
    context = task_context(rt, session, back.id, actor=users["tanlap.specialist"], now=rt.clock.now())
    assert context.sent_back is not None and context.sent_back.reason == SIGN_SEND_BACK["reason"]
    assert context.prefill["business_name"] == HH_APPROVE["business_name"] and "outcome" not in context.prefill


def test_without_the_role_any_more_the_step_goes_to_the_group(rt, session, users):
    d = receive(rt, session, users).dossier
    act(rt, session, users, d.id, "examine", HH_APPROVE)
    specialist = users["tanlap.specialist"]
    held = session.scalars(select(Membership).where(Membership.user_id == specialist.id,
                                                    Membership.role == "specialist")).all()
    kept = [(m.user_id, m.agency_id, m.role) for m in held]
    session.execute(delete(Membership).where(Membership.id.in_([m.id for m in held])))
    session.commit()
    session.expire_all()
    try:
        act(rt, session, users, d.id, "sign", SIGN_SEND_BACK)
        back = open_task(session, d.id)
        assert (back.bpmn_id, back.state, back.assignee_id) == ("examine", "ready", None)
    finally:  # memberships are seeded rows, not cleaned between tests
        session.rollback()
        session.add_all([Membership(user_id=u, agency_id=a, role=r) for u, a, r in kept])
        session.commit()
