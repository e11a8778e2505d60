"""Stage 5, verify: every flow into a refined type proven with Z3 (docs/verification.md)."""

from weftc.verify.stage import (
    ProofReport,
    ProofResult,
    cache_dir_for,
    rlimit_from_env,
    run_verify,
)

__all__ = ["ProofReport", "ProofResult", "cache_dir_for", "rlimit_from_env", "run_verify"]
