"""Words for the codes the engine stores (roles, states, risk levels, channels), in the page's language."""
from __future__ import annotations

from api.web.i18n import gettext, ngettext
from bpmn.durations import parse_duration


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

AUDIT_ACTIONS = {
    "received": _l("Dossier received"),
    "receipt_issued": _l("Receipt issued (form 01)"),
    "claimed": _l("Taken"),
    "unclaimed": _l("Put back in the group's inbox"),
    "assigned": _l("Assigned"),
    "completed": _l("Step completed"),
    "sent_back": _l("Sent back to the previous step"),
    "withdrawn": _l("Withdrawn by the applicant"),
    "viewed": _l("Dossier opened"),
    "printed": _l("Form printed"),
    "rated": _l("Rated by the applicant"),
    "applicant_notified": _l("Applicant notified (e-mail or SMS)"),
    "handed_over": _l("Handed over to another agency (inter-agency)"),
    "handover_confirmed": _l("Hand-over confirmed by the receiving agency"),
    "returned_to_group": _l("Returned to the group's inbox (official deactivated)"),
    "timer_fired": _l("Timer of the procedure fired"),
    "consultation_silence": _l("Consulted agency did not answer in time (procedure's rule applied)"),
    "extended": _l("Time extended"),
    "apology_issued": _l("Apology letter issued (form 04)"),
    "stopped": _l("Processing stopped"),
    "payment_recorded": _l("Payment recorded"),
    "document_attached": _l("Document attached"),
    "document_reused": _l("Earlier document reused"),
    "document_removed": _l("Document removed"),
    "document_downloaded": _l("Document downloaded"),
    "documents_viewed": _l("Documents viewed"),
    "result_issued": _l("Electronic result issued and signed"),
    "result_downloaded": _l("Electronic result downloaded by the applicant"),
    "dossier.migrated": _l("Moved to a new version of the procedure"),
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


def register(jinja_env) -> None:
    jinja_env.globals.update(
        role_label=lambda code: label(ROLES, code),
        task_state_label=lambda code: label(TASK_STATES, code),
        risk_label=lambda code: label(RISKS, code),
        dossier_state_label=lambda code: label(DOSSIER_STATES, code),
        channel_label=lambda code: label(CHANNELS, code),
        time_left_words=time_left_words,
        working_time_words=working_time_words,
        mark_label=lambda code: label(MARKS, code),
        action_label=lambda code: label(AUDIT_ACTIONS, code),
        admin_action_label=lambda code: label(ADMIN_ACTIONS, code),
    )


def time_left_words(left) -> str:
    """engine.time_left.TimeLeft in words: "còn 2 ngày 3 giờ làm việc", "quá hạn 4 giờ làm việc"."""
    if left is None:
        return ""
    parts = []
    if left.days:
        parts.append(ngettext("%(num)d day", "%(num)d days", left.days))
    if left.hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", left.hours))
    if not left.days and (left.minutes or not left.hours):
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", left.minutes))
    amount = " ".join(parts)
    if left.overdue:
        return gettext("overdue by %(amount)s of working time", amount=amount)
    return gettext("%(amount)s of working time left", amount=amount)


def working_time_words(iso: str | None) -> str:
    """A budget of working time (ISO 8601, "P1D", "PT4H") in words: "1 ngày 4 giờ làm việc"."""
    if not iso:
        return ""
    try:
        duration = parse_duration(iso)
    except ValueError:
        return iso
    hours, minutes = divmod(duration.seconds // 60, 60)
    parts = [ngettext("%(num)d day", "%(num)d days", duration.days)] if duration.days else []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if minutes or not parts:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return gettext("%(amount)s of working time", amount=" ".join(parts))
