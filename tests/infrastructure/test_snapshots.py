"""Every environment's template, snapshotted: any change to what gets deployed shows up in review.

Update deliberately with `pytest --snapshot-update` and commit the diff with the change.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from synthesis import FIXTURE_ENVIRONMENT_NAMES, SynthesizedApp
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

# Asset hashes change with every edit of the handler and with the machine's file modes, so a
# snapshot pins the template's shape, not the bytes of the assets (the asset tests cover those).
ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")


def normalized(template: dict[str, Any]) -> Any:
    return json.loads(ASSET_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("environment", FIXTURE_ENVIRONMENT_NAMES)
def test_template_matches_snapshot(
    fixture_app: SynthesizedApp, environment: str, snapshot_json: SnapshotAssertion
) -> None:
    assert normalized(fixture_app.templates[environment]) == snapshot_json


def test_normalization_hides_only_asset_hashes() -> None:
    digest = "a" * 64
    template = {"S3Key": f"{digest}.zip", "Name": "b" * 63, "Other": digest.upper()}
    assert normalized(template) == {
        "S3Key": "<asset-hash>.zip",
        "Name": "b" * 63,
        "Other": digest.upper(),
    }


# The variants' monitoring differs from the shipped default: alarms notifying an existing topic
# ("pinned"), and none at all (`monitoring: false`, "open").
@pytest.mark.parametrize("environment", ["pinned", "open"])
def test_variant_template_matches_snapshot(
    variant_app: SynthesizedApp, environment: str, snapshot_json: SnapshotAssertion
) -> None:
    assert normalized(variant_app.templates[environment]) == snapshot_json
