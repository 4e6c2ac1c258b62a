"""Editing a long text in the person's own editor ($VISUAL, else $EDITOR, else vi) while
the app steps aside (Textual's ``App.suspend``)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported

from rolodex.i18n import _


def editor_command() -> list[str]:
    return shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")


def edit_text(app: App, text: str) -> str | None:
    """``text`` as the person left it in the editor, or None (and a notice) when the
    editor could not run or did not exit cleanly: then nothing changes."""
    command = editor_command()
    # A private folder (mode 0700): on a shared host nobody else reads the draft.
    with tempfile.TemporaryDirectory(prefix="rolodex-edit-") as folder:
        path = Path(folder) / "text.txt"
        path.write_text(text, encoding="utf-8")
        try:
            with app.suspend():
                code = subprocess.call([*command, str(path)])
        except SuspendNotSupported:
            app.notify(_("An outside editor cannot run here"), severity="warning")
            return None
        except OSError as error:
            app.notify(
                _("The editor {command} could not start: {reason}").format(
                    command=" ".join(command), reason=error.strerror or error
                ),
                severity="error",
            )
            return None
        if code != 0:
            app.notify(
                _("The editor exited with code {code}; the field is unchanged").format(code=code),
                severity="warning",
            )
            return None
        edited = path.read_text(encoding="utf-8", errors="replace")
    # Editors end a file with a line break; it is not part of the value.
    if edited.endswith("\n") and not text.endswith("\n"):
        edited = edited[:-1]
    return edited
