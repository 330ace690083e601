"""The action frame: one transaction, buffers written last, files removed on rollback, nesting."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection

from parcours.lib.actions import (
    action,
    action_scope,
    current_action,
    delete_file_on_rollback,
    is_action,
)

pytestmark = pytest.mark.django_db


def test_an_action_must_take_keyword_only_arguments():
    with pytest.raises(TypeError, match="keyword-only"):

        @action
        def slot_book(slot, *, actor):  # pragma: no cover - refused at decoration
            return slot


def test_an_action_runs_in_a_transaction_with_a_scope_and_keeps_its_signature():
    @action
    def thing_do(*, value: int) -> int:
        """Doc kept."""
        scope = current_action()
        assert scope is not None and scope.name.endswith("thing_do")
        assert connection.in_atomic_block
        return value * 2

    assert current_action() is None
    assert thing_do(value=21) == 42
    assert thing_do.__doc__ == "Doc kept."
    assert current_action() is None


def test_buffers_are_flushed_once_at_the_end_only_when_the_action_succeeds():
    flushed: list[list[str]] = []

    with action_scope("ok") as scope:
        scope.buffer("rows", flushed.append).append("a")
        scope.buffer("rows", flushed.append).append("b")
        assert flushed == []
    assert flushed == [["a", "b"]]

    flushed.clear()
    with pytest.raises(ValueError), action_scope("fails") as scope:
        scope.buffer("rows", flushed.append).append("a")
        raise ValueError
    assert flushed == []


def test_a_nested_action_shares_the_outer_scope_and_its_rollback_drops_only_its_own_rows():
    flushed: list[list[str]] = []
    removed: list[str] = []

    with action_scope("outer") as outer:
        outer.buffer("rows", flushed.append).append("outer")
        outer.on_rollback(lambda: removed.append("outer file"))
        with pytest.raises(ValueError), action_scope("inner") as inner:
            assert inner is outer
            inner.buffer("rows", flushed.append).append("inner")
            inner.on_rollback(lambda: removed.append("inner file"))
            raise ValueError
        assert removed == ["inner file"]
        with action_scope("inner ok") as inner:
            inner.buffer("rows", flushed.append).append("inner ok")
    assert flushed == [["outer", "inner ok"]]
    assert removed == ["inner file"]


def test_files_of_nested_actions_are_removed_when_the_outermost_fails():
    removed: list[str] = []
    with pytest.raises(RuntimeError), action_scope("outer"):
        with action_scope("inner") as inner:
            inner.on_rollback(lambda: removed.append("inner file"))
        raise RuntimeError
    assert removed == ["inner file"]


def test_a_failing_cleanup_does_not_hide_the_actions_error():
    def broken() -> None:
        raise OSError("disk gone")

    with pytest.raises(KeyError), action_scope("outer") as scope:
        scope.on_rollback(broken)
        raise KeyError("the real error")


def test_a_file_registered_by_an_action_is_deleted_only_if_the_action_rolls_back(tmp_path):
    storage = FileSystemStorage(location=tmp_path)

    with pytest.raises(ValueError), action_scope("fails"):
        name = storage.save("report.pdf", ContentFile(b"%PDF-1.4"))
        delete_file_on_rollback(storage, name)
        raise ValueError
    assert not storage.exists(name)

    with action_scope("commits"):
        kept = storage.save("report.pdf", ContentFile(b"%PDF-1.4"))
        delete_file_on_rollback(storage, kept)
    assert storage.exists(kept)


def test_a_file_cannot_be_registered_outside_an_action(tmp_path):
    with pytest.raises(RuntimeError, match="outside an action"):
        delete_file_on_rollback(FileSystemStorage(location=tmp_path), "x.pdf")


def test_the_decorator_marks_its_services_and_nothing_else():
    @action
    def thing_do(*, value: int) -> int:
        return value

    def plain(*, value: int) -> int:
        return value

    assert is_action(thing_do)
    assert not is_action(plain)
