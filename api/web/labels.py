"""Words for the codes the engine stores (roles, states, risk levels, channels), in the page's language."""
from __future__ import annotations

from dataclasses import replace

from api.web.i18n import current_language, gettext, ngettext
from engine.audit import ACTION_VI
from engine.time_left import amount_words, budget_words


def _l(msgid: str) -> str:
    """Marks a message for `make messages`; translated when shown (label())."""
    return msgid


ROLES = {
    "reception": _l("Reception officer"),
    "specialist": _l("Specialist"),
    "head": _l("Head of office"),
    "leader": _l("Leader"),
    "clerk": _l("Clerk"),
    "supervisor": _l("Supervisor"),
    "designer": _l("Process designer"),
    "admin": _l("Agency administrator"),
    "approver": _l("Procedure approver"),
}

TASK_STATES = {
    "ready": _l("Waiting to be taken"),
    "claimed": _l("Being handled"),
    "completed": _l("Done"),
    "cancelled": _l("Cancelled"),
}

RISKS = {
    "on_track": _l("On track"),
    "at_risk": _l("At risk"),
    "overdue": _l("Overdue"),
}

DOSSIER_STATES = {
    "received": _l("Received"),
    "processing": _l("Being processed"),
    "supplement_requested": _l("Waiting for a supplement"),
    "awaiting_payment": _l("Waiting for payment"),
    "processed": _l("Result ready"),
    "returned": _l("Result returned"),
    "refused": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
    "stopped": _l("Stopped"),
}

MARKS = {
    "early": _l("Early"),
    "on_time": _l("On time"),
    "late": _l("Late"),
}

#: the English words for the events recorded about a dossier; their Vietnamese is the engine's (engine.audit.
#: ACTION_VI, which the API's timeline says too), so these are not in the catalog (action_label)
AUDIT_ACTIONS = {
    "received": "Dossier received",
    "receipt_issued": "Receipt issued (form 01)",
    "claimed": "Taken",
    "unclaimed": "Put back in the group's inbox",
    "assigned": "Assigned",
    "completed": "Step completed",
    "sent_back": "Sent back to the previous step",
    "withdrawn": "Withdrawn by the applicant",
    "viewed": "Dossier opened",
    "printed": "Form printed",
    "rated": "Rated by the applicant",
    "applicant_notified": "Applicant notified (e-mail or SMS)",
    "handed_over": "Handed over to another agency (inter-agency)",
    "handover_confirmed": "Hand-over confirmed by the receiving agency",
    "returned_to_group": "Returned to the group's inbox (official deactivated)",
    "timer_fired": "Timer of the procedure fired",
    "consultation_silence": "Consulted agency did not answer in time (procedure's rule applied)",
    "extended": "Time extended",
    "apology_issued": "Apology letter issued (form 04)",
    "stopped": "Processing stopped",
    "payment_recorded": "Payment recorded",
    "document_attached": "Document attached",
    "document_reused": "Earlier document reused",
    "document_removed": "Document removed",
    "document_downloaded": "Document downloaded",
    "documents_viewed": "Documents viewed",
    "result_issued": "Electronic result issued and signed",
    "result_downloaded": "Electronic result downloaded by the applicant",
    "dossier.migrated": "Moved to a new version of the procedure",
}

CHANNELS = {
    "counter": _l("At the counter"),
    "online": _l("Online"),
    "postal": _l("By post"),
}


ADMIN_ACTIONS = {
    "admin.agency_created": _l("Agency created"),
    "admin.agency_changed": _l("Agency changed"),
    "admin.official_created": _l("Official created"),
    "admin.official_changed": _l("Official changed"),
    "admin.role_granted": _l("Role granted"),
    "admin.role_withdrawn": _l("Role withdrawn"),
    "admin.official_deactivated": _l("Official deactivated"),
    "admin.official_reactivated": _l("Official reactivated"),
    "admin.password_reset": _l("Password reset"),
    "admin.day_set": _l("Calendar day set"),
    "admin.day_cleared": _l("Calendar day cleared"),
    "admin.procedure_set": _l("Procedure settings changed"),
}


def label(table: dict, code: str | None) -> str:
    """The word for a code, or the code itself when it has none (a procedure may add its own)."""
    if code is None:
        return ""
    return gettext(table[code]) if code in table else code


def action_label(code: str | None) -> str:
    """An audit event's words: the engine's Vietnamese, or the English of AUDIT_ACTIONS; the code itself when
    it has none."""
    if code is None:
        return ""
    return (ACTION_VI if current_language() == "vi" else AUDIT_ACTIONS).get(code, code)


def register(jinja_env) -> None:
    jinja_env.globals.update(
        role_label=lambda code: label(ROLES, code),
        task_state_label=lambda code: label(TASK_STATES, code),
        risk_label=lambda code: label(RISKS, code),
        dossier_state_label=lambda code: label(DOSSIER_STATES, code),
        channel_label=lambda code: label(CHANNELS, code),
        time_left_words=time_left_words,
        working_time_words=working_time_words,
        working_time_used_words=working_time_used_words,
        mark_label=lambda code: label(MARKS, code),
        action_label=action_label,
        admin_action_label=lambda code: label(ADMIN_ACTIONS, code),
    )


def time_left_words(left) -> str:
    """engine.time_left.TimeLeft in words: "còn 2 ngày 3 giờ làm việc", "quá hạn 4 giờ làm việc"."""
    if left is None:
        return ""
    # minutes only when under a day: "còn 2 ngày 3 giờ" says enough of a longer wait
    amount = amount_words(replace(left, minutes=0) if left.days else left, _unit_words)
    if left.overdue:
        return gettext("overdue by %(amount)s of working time", amount=amount)
    return gettext("%(amount)s of working time left", amount=amount)


def working_time_words(iso: str | None) -> str:
    """A budget of working time (ISO 8601, "P1D", "PT4H") in words: "1 ngày 4 giờ làm việc" (engine.time_left
    splits it; its Vietnamese is the printed forms' budget_vi)."""
    return budget_words(iso, _unit_words, lambda amount: gettext("%(amount)s of working time", amount=amount))


def working_time_used_words(used) -> str:
    """Working time used (engine.time_left.TimeLeft) in words: "đã dùng 3 giờ 20 phút làm việc"; the printed
    form's words are engine.time_left.used_vi."""
    return gettext("%(amount)s of working time used", amount=amount_words(used, _unit_words))


def _unit_words(unit: str, n: int) -> str:
    """n working days, hours or minutes (the engine's unit names) in the page's language."""
    if unit == "day":
        return ngettext("%(num)d day", "%(num)d days", n)
    if unit == "hour":
        return ngettext("%(num)d hour", "%(num)d hours", n)
    return ngettext("%(num)d minute", "%(num)d minutes", n)
