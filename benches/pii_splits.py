"""The splits the redaction population scripts (`benches/*_population.py`) read by default.

Training: every split a round may read and tune on; validation: read as aggregate scores
only; honest: the next rounds' held-out splits, never read. A round moves its honest split
into training after scoring it once (docs/redaction-accuracy.md, "Method"). `PII_TRAINING`
(blank-separated split names) overrides the list.
"""
import os

VALIDATION = ["blind16", "blind17"]
HONEST = ["blind40"]


def training():
    """The training splits, in the order the scripts report them."""
    env = os.environ.get("PII_TRAINING")
    if env:
        return env.split()
    return ["dev", "heldout"] + [f"blind{i}" for i in range(2, 40) if f"blind{i}" not in VALIDATION]
