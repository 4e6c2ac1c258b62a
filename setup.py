"""Build hook: the wheel carries the repository's top-level demo.db and themes/.

They stay at the top of the repository (the README, the tests and the demo builder use
them there); building copies them into the package as ``rolodex/data/`` so that an
installed Rolodex finds them with importlib.resources (rolodex/assets.py).
Everything else is configured in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("demo.db", "themes")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the top-level files themselves
        target = Path(self.build_lib) / "rolodex" / "data"
        target.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED:
            source = HERE / name
            if source.is_dir():
                shutil.copytree(
                    source, target / name, dirs_exist_ok=True, ignore=_not_a_theme_file
                )
            else:
                shutil.copyfile(source, target / name)


def _not_a_theme_file(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if not name.endswith(".toml")]


setup(cmdclass={"build_py": BuildWithData})
