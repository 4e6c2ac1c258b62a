"""The README's "Command line" section is a real transcript: replay it and compare."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from rolodex.crm.context import os_account

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
PG = bool(os.environ.get("ROLODEX_TEST_PG_URL"))
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\dZ?")


def _transcript() -> list[tuple[str, str]]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## Command line") :]
    steps: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", section, flags=re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _nl, output = chunk.partition("\n")
            steps.append((command, output))
    return steps


def _normal(text: str) -> str:
    text = TIMESTAMP.sub("<time>", text)
    text = re.sub(rf"\b{re.escape(os_account())}\b", "<actor>", text)
    text = re.sub(r"\broot\b", "<actor>", text)
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines())


@pytest.mark.skipif(PG, reason="the README uses a SQLite file")
@pytest.mark.skipif(not (BIN / "rolodex").exists(), reason="the console script is not installed")
def test_readme_command_line_examples_print_what_the_readme_shows(tmp_path):
    steps = _transcript()
    assert len(steps) >= 20
    env = {**os.environ, "ROLODEX_DB": str(tmp_path / "crm.db")}
    env["PATH"] = f"{BIN}{os.pathsep}{env['PATH']}"
    for command, expected in steps:
        done = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert _normal(done.stdout + done.stderr) == _normal(expected), command
