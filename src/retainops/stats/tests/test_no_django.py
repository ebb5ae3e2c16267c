"""The statistics package stands alone: importing all of it loads no Django."""

import pkgutil
import subprocess
import sys

import retainops.stats


def test_every_stats_module_imports_without_django() -> None:
    modules = [
        f"retainops.stats.{info.name}"
        for info in pkgutil.iter_modules(retainops.stats.__path__)
        if info.name != "tests"
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "import retainops.stats\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"django modules loaded: {result.stdout.strip()}"
