"""Every setting is documented with its default; the dashboard uses only metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from signalpost.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_every_setting_is_documented() -> None:
    docs = (ROOT / "docs" / "configuration.md").read_text()
    rows = {line for line in docs.splitlines() if line.startswith("| `SIGNALPOST_")}
    missing = [
        f"SIGNALPOST_{name.upper()}"
        for name in Settings.model_fields
        if not any(f"`SIGNALPOST_{name.upper()}`" in row for row in rows)
    ]
    assert missing == []
    assert "docs/configuration.md" in (ROOT / "README.md").read_text()


def test_the_dashboard_uses_metrics_the_code_exposes() -> None:
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "signalpost.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    used = {m for e in exprs for m in re.findall(r"signalpost_[a-z_]+", e)}
    source = "".join(
        p.read_text() for p in (ROOT / "src" / "signalpost" / "observability").glob("*.py")
    )
    for name in used:
        base = re.sub(r"_(total|bucket|count|sum)$", "", name)
        assert f'"{base}' in source, name


def test_a_dotenv_file_is_read_and_the_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("SIGNALPOST_PORT", "SIGNALPOST_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text("SIGNALPOST_PORT=9123\nSIGNALPOST_LOG_FORMAT=json\nOTHER=1\n")
    monkeypatch.chdir(tmp_path)
    assert Settings().port == 9123
    assert Settings().log_format == "json"
    monkeypatch.setenv("SIGNALPOST_PORT", "9124")
    assert Settings().port == 9124
