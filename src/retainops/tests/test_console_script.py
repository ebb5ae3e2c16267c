"""The installed `retainops` console script wraps Django's management commands."""

import subprocess
import sys
from pathlib import Path


def test_the_installed_retainops_script_lists_django_and_retainops_commands(tmp_path) -> None:
    script = Path(sys.executable).with_name("retainops")
    assert script.exists(), f"the console script is not installed beside {sys.executable}"

    done = subprocess.run(
        [str(script), "help", "--commands"],
        env={"PATH": "/usr/bin:/bin", "RETAINOPS_VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    commands = set(done.stdout.split())
    assert {"migrate", "seed_demo", "worker", "tick"} <= commands
