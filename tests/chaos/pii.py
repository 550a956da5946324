"""Scanning service logs for the test subjects' personal data (tests/samples.py): names, e-mail addresses and phone
numbers must never be logged (GDPR; docs/reliability.md)."""

import re
from pathlib import Path

SUBJECT_DATA = ("Griet Vermeulen", "griet.vermeulen@example.be", "+32 9 223 45 67", "+3292234567", "223 45 67")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def scan(logs: Path) -> list[str]:
    """One finding per log file that holds any of the subjects' data or any e-mail address."""
    findings = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace")
        found = [value for value in SUBJECT_DATA if value in text] + EMAIL.findall(text)[:3]
        if found:
            findings.append(f"{log.name} contains {found}")
    return findings
