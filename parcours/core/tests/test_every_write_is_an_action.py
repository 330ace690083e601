"""Every write service of every app is an action (issue 15, item 1): ``@action`` from
``parcours.lib.actions``, one frame for the transaction, the audit rows and the rollback of files.

The test reads the service modules (each app's ``services.py`` and the other modules that write:
letters, the hospital record, the FHIR write adapters, the e-mail outbox, the SMTP bridge, the
directory import) and finds the public
functions that write: those that call an ORM write (``save``, ``create``, ``bulk_create``,
``update(...)`` with keywords, ``delete``...), ``audit_log``, ``notify``, or another function
that writes, in the module or imported. Each must carry the mark ``@action`` sets
(``parcours.lib.actions.is_action``), unless the short list below says why not.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

import parcours
from parcours.lib.actions import is_action

ROOT = Path(parcours.__file__).parent

# Modules that hold write services besides each app's services.py.
OTHER_SERVICE_MODULES = [
    "parcours.messaging.letters",
    "parcours.patients.record",
    "parcours.fhir.tokens",
    "parcours.fhir.scheduling",
    "parcours.fhir.workflow",
    "parcours.fhir.summary",
    "parcours.notifications.tasks",
    "parcours.messaging.gateway",
    "parcours.directory.annuaire",
]

# Public functions that write but are not actions, each with its reason.
NOT_ACTIONS = {
    "parcours.audit.services.audit_log": (
        "the audit primitive every action calls: inside an action its row joins the action's "
        "buffer; alone (an audited read) it is one INSERT"
    ),
    "parcours.audit.services.audit_batch": (
        "a context manager that is action_scope itself, for audited reads of many rows"
    ),
    "parcours.notifications.services.notify": (
        "a step of the calling action: writes its rows in the caller's transaction, pushes on "
        "commit"
    ),
    "parcours.patients.services.identity_hooks_run": (
        "runs, inside the calling action, the hooks other apps register; each hook is an action"
    ),
    "parcours.fhir.tokens.api_token_authenticate": (
        "authentication on every API call: one idempotent UPDATE of last_used_at at most once a "
        "minute, not a user's action"
    ),
    "parcours.messaging.services.keys_rotate": (
        "a batch command: commits chunk by chunk so that it can stop and resume; each chunk is "
        "an action (_rotate_chunk)"
    ),
    "parcours.oncall.services.handover_notify_due": (
        "a worker job: one action per shift announced (_handover_one, SKIP LOCKED), so that a "
        "failure leaves the other hand-overs announced"
    ),
    "parcours.messaging.services.outbound_send_due": (
        "a worker job: one action per outgoing e-mail (_outbound_send_next), so that a killed "
        "worker loses nothing"
    ),
    "parcours.notifications.services.notifications_read_on_open": (
        "runs on every page view: one idempotent UPDATE, atomic in autocommit; a transaction "
        "would add two statements to every page"
    ),
    "parcours.notifications.tasks.notification_send_emails": (
        "a worker job: one action per e-mail (_send_next_email), so that a killed worker loses "
        "nothing"
    ),
    "parcours.messaging.gateway.mail_receive": (
        "the SMTP bridge's adapter: parses an e-mail, calls one action (message_send) and "
        "catches the duplicate's IntegrityError outside it"
    ),
    "parcours.directory.annuaire.import_annuaire": (
        "a batch import: its ImportRun row is recorded whatever happens, outside the merge, "
        "which runs in action_scope"
    ),
    "parcours.scheduling.services.slots_generate_all": (
        "a worker job: one action per agenda (slots_generate)"
    ),
}

WRITE_METHODS = {
    "save",
    "create",
    "bulk_create",
    "bulk_update",
    "delete",
    "get_or_create",
    "update_or_create",
}
WRITE_FUNCTIONS = {"audit_log", "notify"}


def _service_modules() -> list[ModuleType]:
    names = sorted(f"parcours.{path.parent.name}.services" for path in ROOT.glob("*/services.py"))
    return [importlib.import_module(name) for name in [*names, *OTHER_SERVICE_MODULES]]


def _called_names(node: ast.AST) -> list[tuple[str, ast.Call]]:
    """(name, call) for every call in ``node``: the function's name or the method's name."""
    calls = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Name):
                calls.append((func.id, sub))
            elif isinstance(func, ast.Attribute):
                calls.append((func.attr, sub))
    return calls


def _resolve(func: ast.expr, module: ModuleType) -> object:
    """The object a call's ``name`` or ``name.attr`` designates in ``module``, or None."""
    if isinstance(func, ast.Name):
        return getattr(module, func.id, None)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return getattr(getattr(module, func.value.id, None), func.attr, None)
    return None


def _writes_directly(function: ast.AST, module: ModuleType) -> bool:
    for name, call in _called_names(function):
        if name in WRITE_METHODS or name in WRITE_FUNCTIONS:
            return True
        if name == "update" and call.keywords and not call.args:  # QuerySet.update(field=...)
            return True
        if is_action(_resolve(call.func, module)):
            return True  # calls an action, from this module or imported (``services.x``)
    return False


def _writers(module: ModuleType) -> dict[str, bool]:
    """Every top-level function of ``module`` → whether it writes (directly or through
    another function of the module)."""
    tree = ast.parse(Path(module.__file__ or "").read_text(encoding="utf-8"))
    functions = {
        node.name: node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name in vars(module)
    }
    writes = {name: _writes_directly(node, module) for name, node in functions.items()}
    changed = True
    while changed:  # a function that calls a writer of the module writes
        changed = False
        for name, node in functions.items():
            if writes[name]:
                continue
            if any(callee in functions and writes[callee] for callee, _c in _called_names(node)):
                writes[name] = changed = True
    return writes


def _public_writers_not_actions() -> list[str]:
    found = []
    for module in _service_modules():
        for name, writes in _writers(module).items():
            qualified = f"{module.__name__}.{name}"
            if name.startswith("_") or not writes or qualified in NOT_ACTIONS:
                continue
            function = getattr(module, name)
            if getattr(function, "__module__", None) != module.__name__:
                continue  # imported from elsewhere, checked in its own module
            if not is_action(function):
                found.append(qualified)
    return found


def test_every_public_service_that_writes_is_an_action():
    missing = _public_writers_not_actions()
    assert not missing, (
        "These services write but are not actions: decorate them with "
        "@parcours.lib.actions.action (keyword-only arguments), or add them to NOT_ACTIONS "
        "with the reason: " + ", ".join(missing)
    )


@pytest.mark.parametrize("qualified", sorted(NOT_ACTIONS))
def test_each_exception_exists_and_is_really_not_an_action(qualified):
    module_name, _dot, name = qualified.rpartition(".")
    function = getattr(importlib.import_module(module_name), name)
    assert not is_action(function), f"{qualified} is an action now: remove it from NOT_ACTIONS"


def test_the_walk_sees_the_services_of_every_app_and_finds_writers():
    modules = {m.__name__ for m in _service_modules()}
    assert {
        "parcours.referrals.services",
        "parcours.scheduling.services",
        "parcours.patients.services",
        "parcours.messaging.letters",
    } <= modules
    referrals = _writers(importlib.import_module("parcours.referrals.services"))
    assert referrals["referral_submit"] and referrals["referral_cancel"]
    assert not referrals["compute_due"]
    fhir = _writers(importlib.import_module("parcours.fhir.scheduling"))
    assert fhir["appointment_create"], "a call to an action through its module is a write"


def test_no_service_module_opens_its_own_transaction_except_for_a_savepoint():
    """A ``transaction.atomic()`` in a service module is only a savepoint around one statement
    the database may refuse (said by a ``# savepoint:`` comment), or a transaction that is not
    an action (``# not an action:`` and why); the action opens the transaction, and nothing
    pairs it by hand with ``audit_batch``."""
    offending = []
    for module in _service_modules():
        path = Path(module.__file__ or "")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            justified = "# savepoint:" in line or "# not an action:" in line
            if "transaction.atomic" in code and not justified:
                offending.append(f"{path.relative_to(ROOT)}:{number}")
            if "audit_batch(" in code and module.__name__ != "parcours.audit.services":
                offending.append(f"{path.relative_to(ROOT)}:{number}")
    assert not offending, "transaction opened by hand (use @action): " + ", ".join(offending)
