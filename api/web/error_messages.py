"""The API's problem documents and the engine's refusals in the reader's language (vi default, en).

Messages are written in English where they are raised (the engine knows no language); this module holds
them as message ids of the workspace's catalog, so that `make messages` extracts them and the Vietnamese
lives in messages.po beside the pages' words. A message with values ("no dossier 12") matches its template
("no dossier %(a)s") and is translated with the values kept. A message no template matches is shown as
written. "<known>: <rest>" translates the known prefix ("must be one of: counter, postal").
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask import current_app, has_request_context


def _l(msgid: str) -> str:
    return msgid


#: HTTP status titles of the problem documents
TITLES = [
    _l("Bad Request"), _l("Unauthorized"), _l("Forbidden"), _l("Not Found"), _l("Method Not Allowed"),
    _l("Conflict"), _l("Request Entity Too Large"), _l("Unsupported Media Type"), _l("Unprocessable Entity"),
    _l("Too Many Requests"), _l("Internal Server Error"), _l("Service Unavailable"),
]

#: the engine's and the API's messages (templates: %(a)s, %(b)s … stand for the values)
MESSAGES = [
    # the API's own
    _l("the request has invalid fields"),
    _l("unknown query parameters: %(a)s"),
    _l("too many look-ups from your address; wait and try again"),
    _l("the Bearer token is invalid or revoked"),
    _l("log in or send a Bearer token"),
    _l("wrong username or password"),
    _l("the JSON body is nested deeper than %(a)s levels"),
    _l("too many dossiers for one printed book"),
    _l("The requested URL was not found on the server. If you entered the URL manually please check your "
       "spelling and try again."),
    _l("The method is not allowed for the requested URL."),
    # the engine's refusals
    _l("%(a)s error(s) in the BPMN packages; nothing was deployed"),
    _l("'%(a)s' is handled by a %(b)s agency, not a %(c)s"),
    _l("'%(a)s' is not offered by %(b)s"),
    _l("a day swap needs a name"),
    _l("a new appointment date may be set only once: dossier %(a)s already has one (%(b)s)"),
    _l("a personal token cannot create tokens: log in to create one"),
    _l("a refusal needs its reason"),
    _l("a saved filter needs a name of 1 to 80 characters"),
    _l("a token needs a name"),
    _l("a withdrawal needs the citizen's reason"),
    _l("an extension needs its reason"),
    _l("at most %(a)s saved filters"),
    _l("bad page"),
    _l("bad period"),
    _l("documents must be a list"),
    _l("the dossier is not complete: issue a request to supplement (form 02) instead"),
    _l("dossier %(a)s has no apology letter"),
    _l("dossier %(a)s is already %(b)s"),
    _l("form data must be an object"),
    _l("no agency %(a)s"),
    _l("no agency of kind '%(a)s' exists for this procedure's lanes"),
    _l("no calendar override on %(a)s"),
    _l("no deployed procedure '%(a)s'"),
    _l("no dossier %(a)s"),
    _l("no dossier with this code and secret"),
    _l("no escalation %(a)s"),
    _l("no saved filter %(a)s"),
    _l("no task %(a)s"),
    _l("no token %(a)s"),
    _l("no user %(a)s"),
    _l("say which agency's book"),
    _l("sending back needs a reason"),
    _l("task %(a)s belongs to another agency or role"),
    _l("task %(a)s belongs to role '%(b)s' of another agency or official"),
    _l("task %(a)s belongs to role '%(b)s' of another official"),
    _l("task %(a)s is already %(b)s"),
    _l("task %(a)s is already claimed by another official"),
    _l("task %(a)s is claimed by another official"),
    _l("task %(a)s is not claimed by you"),
    _l("the apology letter cannot be issued"),
    _l("the assignee must hold the role '%(a)s' in this agency"),
    _l("the comment is empty"),
    _l("the current password is wrong"),
    _l("the cursor belongs to another sort order"),
    _l("the dossier cannot be received"),
    _l("the due time cannot be computed"),
    _l("the due-time question has invalid parameters"),
    _l("the extension is not a working-time duration"),
    _l("the form '%(a)s' has errors"),
    _l("the form of '%(a)s' has errors"),
    _l("the list of documents received has errors"),
    _l("the new password is the current one"),
    _l("the password is too short"),
    _l("the procedure allows at most %(a)s in all"),
    _l("the rating has errors"),
    _l("the request to supplement has errors"),
    _l("the service can be rated once the result has been returned"),
    _l("the slip cannot be issued"),
    _l("the supplement's reception time is wrong"),
    _l("the token's lifetime is out of range"),
    _l("the version history is for the procedure catalog's designers and admins"),
    _l("this dossier has already been rated"),
    _l("this escalation is about a dossier, not a step: there is no task to reassign"),
    _l("this is the first step: there is no previous step to send back to"),
    _l("this procedure's law allows no extension of its legal time"),
    _l("this task is no longer waiting for work"),
    _l("too many failed logins for this account or from your address; wait and try again"),
    _l("unknown filter parameters"),
    _l("unknown grouping"),
    _l("unknown letter state"),
    _l("unknown risk level"),
    _l("you are no official of this agency"),
    # field messages
    _l("required"),
    _l("must be one of"),
    _l("bad field names"),
    _l("needs a time zone offset"),
    _l("cannot be in the future"),
    _l("expected an object"),
    _l("a whole number from 1 to 5"),
    _l("a whole number >= 1"),
    _l("wrong password"),
    _l("unknown parameter"),
    _l("the postmark time is required for a postal dossier"),
    _l("Missing data for required field."),
    _l("Unknown field."),
    _l("Not a valid integer."),
    _l("Not a valid string."),
    _l("Not a valid boolean."),
    _l("Not a valid datetime."),
    _l("Not a valid date."),
    _l("Field may not be null."),
    _l("Invalid input type."),
    _l("Must be one of: %(a)s."),
    _l("Length must be between %(a)s and %(b)s."),
    _l("Shorter than minimum length %(a)s."),
    _l("Longer than maximum length %(a)s."),
    _l("Must be greater than or equal to %(a)s."),
    _l("Must be less than or equal to %(a)s."),
    _l("Must be greater than or equal to %(a)s and less than or equal to %(b)s."),
    _l("String does not match expected pattern."),
    _l("Not a valid email address."),
    _l("Not a valid URL."),
    _l("Not a valid list."),
    _l("Not a valid mapping type."),
    _l("Not a valid number."),
]

_PLACEHOLDER = re.compile(r"%\(([a-z])\)s")


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    out = []
    for template in MESSAGES:
        if not _PLACEHOLDER.search(template):
            continue
        pieces, at = [], 0
        for m in _PLACEHOLDER.finditer(template):
            pieces.append(re.escape(template[at:m.start()].replace("%%", "%")))
            pieces.append(f"(?P<{m.group(1)}>.+?)")
            at = m.end()
        pieces.append(re.escape(template[at:].replace("%%", "%")))
        out.append((re.compile("".join(pieces), re.DOTALL), template))
    return tuple(out)


def _catalog():
    if not has_request_context() or "babel" not in current_app.extensions:
        return None
    from api.web.i18n import translations

    return translations()


def translate(text):
    """`text` in this request's language when the catalog knows it (or its template); else unchanged."""
    if not isinstance(text, str) or not text:
        return text
    catalog = _catalog()
    if catalog is None:
        return text
    found = catalog.ugettext(text)
    if found != text:
        return found
    for pattern, template in _patterns():
        match = pattern.fullmatch(text)
        if match:
            translated = catalog.ugettext(template)
            return translated % match.groupdict() if translated != template else text
    prefix, sep, rest = text.partition(": ")
    if sep and catalog.ugettext(prefix) != prefix:
        return f"{catalog.ugettext(prefix)}: {rest}"
    return text


def translate_errors(errors):
    """A problem document's `errors` (field -> messages, nested dicts allowed) with each message translated."""
    if isinstance(errors, dict):
        return {key: translate_errors(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return [translate_errors(value) for value in errors]
    return translate(errors)
