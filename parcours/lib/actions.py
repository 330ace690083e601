"""One shape for every write (issue 15, item 1): ``@action`` around a keyword-only service.

An *action* is what one user does in one click (submit a request, book a slot, send a letter):
it commits whole or not at all. The decorator gives every service of every app the same frame,
after Zulip's ``zerver/actions/*`` (``@transaction.atomic(durable=True)``, lock, change, audit
row, events on commit):

- **one transaction**: the outermost action opens a *durable* ``transaction.atomic`` (Django
  refuses it inside another atomic block, so an action is never committed by surprise as part
  of a caller's longer transaction). An action called from another action is a savepoint of it
  (nest-safe). A batch command that groups many actions in its own ``atomic`` block (the demo
  loader, an importer) gets savepoints too: the command's block is then the unit of commit;
- **buffers written last**: rows that belong to the action but not to its logic (the audit
  trail) are appended to a buffer of the scope and written as the action's last statements, in
  one INSERT, only if the action got that far (``ActionScope.buffer``);
- **files removed on rollback**: a file written to storage is registered with
  ``ActionScope.on_rollback``; Django has no rollback hook, so the scope runs the removals when
  its block raises — including a nested action whose savepoint rolled back, and the files of
  nested actions when the outermost one fails;
- **side effects on commit**: live pushes and e-mails go through ``transaction.on_commit`` (the
  notification outbox), never from inside the transaction.

The scope lives in a ``contextvars.ContextVar`` (safe under threads and asyncio, copied by
asgiref into sync views), not on the database connection.

Lower layers see the scope through ``current_action()``; ``lib`` imports no app.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.db import connection, transaction

P = ParamSpec("P")
_MARK = "__parcours_action__"  # set by @action on the wrapper: the action's name
R = TypeVar("R")


@dataclass(eq=False)
class ActionScope:
    """The state of the action being run: its name, its buffers, its rollback removals."""

    name: str
    buffers: dict[str, list[Any]] = field(default_factory=dict)
    flushes: dict[str, Callable[[list[Any]], None]] = field(default_factory=dict)
    cleanups: list[Callable[[], None]] = field(default_factory=list)

    def buffer(self, key: str, flush: Callable[[list[Any]], None]) -> list[Any]:
        """The list kept under ``key`` for this action (created empty on first use).

        ``flush`` receives the list once, as the action's last statements inside its
        transaction (buffers are flushed in the order they were first asked for); items added
        by a nested action that rolled back are dropped first. Returns the list to append to.
        """
        if key not in self.buffers:
            self.buffers[key] = []
            self.flushes[key] = flush
        return self.buffers[key]

    def on_rollback(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` (no argument, returns nothing) if this action does not commit.

        For what the database cannot roll back: a file written to storage. A cleanup that
        raises is not allowed to hide the action's own exception (it is logged and skipped)."""
        self.cleanups.append(cleanup)


_current: ContextVar[ActionScope | None] = ContextVar("parcours_action", default=None)


def current_action() -> ActionScope | None:
    """The scope of the action being run in this context, or None outside any action."""
    return _current.get()


def delete_file_on_rollback(storage: Any, name: str) -> None:
    """Register, in the running action, the removal of file ``name`` from ``storage`` (a
    Django Storage) should the action not commit: a rolled-back action leaves no health
    document on disk. Raises RuntimeError outside an action (the file would have no owner)."""
    scope = _current.get()
    if scope is None:
        raise RuntimeError("delete_file_on_rollback() outside an action")

    def cleanup() -> None:
        if storage.exists(name):
            storage.delete(name)

    scope.on_rollback(cleanup)


def _run_cleanups(cleanups: list[Callable[[], None]]) -> None:
    for cleanup in reversed(cleanups):
        try:
            cleanup()
        except Exception:  # noqa: BLE001 — the action's own error is the one to raise
            logging.getLogger(__name__).exception("rollback cleanup failed")


@contextmanager
def action_scope(name: str) -> Iterator[ActionScope]:
    """Run the block as one action named ``name`` (for logs and errors); yield its scope.

    Outermost: a durable transaction (a savepoint instead when a batch command already holds
    an atomic block), buffers flushed at the end inside it, rollback removals run if the block
    raises. Nested in another action: a savepoint; on an exception, what the nested block
    buffered or registered is dropped (its files removed) and the exception goes on. Raises
    what the block raises, and RuntimeError from Django if a durable block is misused.
    """
    outer = _current.get()
    if outer is not None:
        marks = {key: len(items) for key, items in outer.buffers.items()}
        first_cleanup = len(outer.cleanups)
        try:
            with transaction.atomic():
                yield outer
        except BaseException:
            for key, items in outer.buffers.items():
                del items[marks.get(key, 0) :]
            mine = outer.cleanups[first_cleanup:]
            del outer.cleanups[first_cleanup:]
            _run_cleanups(mine)
            raise
        return

    scope = ActionScope(name=name)
    token = _current.set(scope)
    try:
        with transaction.atomic(durable=not connection.in_atomic_block):
            yield scope
            for key, items in scope.buffers.items():
                if items:
                    scope.flushes[key](items)
    except BaseException:
        _run_cleanups(scope.cleanups)
        raise
    finally:
        _current.reset(token)


def action(service: Callable[P, R]) -> Callable[P, R]:
    """Make ``service`` an action: each call runs in ``action_scope(<module>.<name>)``.

    Takes a function whose parameters are all keyword-only (``def slot_book(*, actor, slot,
    patient)``): a call cannot swap two arguments of the same type (a patient for another).
    Returns the wrapped function, same signature. Raises TypeError at import time when a
    parameter can be passed by position."""
    positional = [
        p.name
        for p in inspect.signature(service).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if positional:
        raise TypeError(
            f"{service.__qualname__}: an action takes keyword-only arguments "
            f"(put '*' before {', '.join(positional)})"
        )
    name = f"{service.__module__}.{service.__qualname__}"

    @functools.wraps(service)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with action_scope(name):
            return service(*args, **kwargs)

    setattr(run, _MARK, name)  # noqa: B010 — a plain attribute mypy does not know of
    return run


def is_action(service: object) -> bool:
    """True when ``service`` is wrapped by ``@action`` (the test that every write service is
    an action reads this mark)."""
    return isinstance(getattr(service, _MARK, None), str)
