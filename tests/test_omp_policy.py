import os
import subprocess
import sys


def passive_policy_seen_by(env: dict[str, str]) -> str:
    code = "import retrieval.embedders, os; print(os.environ['OMP_WAIT_POLICY'])"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_openmp_threads_do_not_spin_unless_the_operator_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    assert passive_policy_seen_by(env) == "PASSIVE"
    assert passive_policy_seen_by({**env, "OMP_WAIT_POLICY": "ACTIVE"}) == "ACTIVE"
