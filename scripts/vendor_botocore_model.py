"""Copy the bedrock-agentcore-control API model from the installed botocore into agentcore_api.

The custom-resource handler loads this copy (shipped in its Lambda asset with the agentcore_api
package) instead of the model bundled with the Lambda runtime's botocore, which lags behind and
rejects newer parameters (VPC mode, tags, certificates); the stacks and the handler read the API's
constraints from it too. Run it after bumping botocore; `--check` exits non-zero when the
vendored files differ from the installed botocore, so CI notices a forgotten refresh.

Usage:
    python scripts/vendor_botocore_model.py            # refresh the vendored copy
    python scripts/vendor_botocore_model.py --check    # verify it, change nothing
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import botocore

# The repository root on the path, as scripts/verify.py does: scripts/ is not a package.
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from agentcore_api.model_files import (  # noqa: E402 - after the path is set
    CONTROL_PLANE_API_VERSION,
    CONTROL_PLANE_MODEL_DIR,
    CONTROL_PLANE_SERVICE,
)

# Only what a client needs to serialize requests, parse replies and resolve the endpoint;
# paginators and waiters are not used by the handler.
MODEL_FILES = ("service-2.json.gz", "endpoint-rule-set-1.json.gz")

VENDORED_DIR = CONTROL_PLANE_MODEL_DIR


def installed_model_dir() -> Path:
    return (
        Path(botocore.__file__).resolve().parent
        / "data"
        / CONTROL_PLANE_SERVICE
        / CONTROL_PLANE_API_VERSION
    )


def stale_files(source_dir: Path, target_dir: Path) -> list[str]:
    """Names of the model files whose vendored copy is missing or differs from the source."""
    return [
        name
        for name in MODEL_FILES
        if not (target_dir / name).is_file()
        or (target_dir / name).read_bytes() != (source_dir / name).read_bytes()
    ]


def vendor(source_dir: Path, target_dir: Path) -> None:
    target_dir.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        # copyfile keeps the bytes as botocore ships them, so the check above stays exact.
        shutil.copyfile(source_dir / name, target_dir / name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the vendored model differs from the installed botocore; change nothing",
    )
    args = parser.parse_args(argv)

    source_dir = installed_model_dir()
    missing = [name for name in MODEL_FILES if not (source_dir / name).is_file()]
    if missing:
        print(
            f"botocore {botocore.__version__} has no {CONTROL_PLANE_SERVICE}"
            f" {CONTROL_PLANE_API_VERSION} model "
            f"({', '.join(missing)} missing under {source_dir})",
            file=sys.stderr,
        )
        return 2

    stale = stale_files(source_dir, VENDORED_DIR)
    if args.check:
        if stale:
            print(
                f"vendored model is out of date with botocore {botocore.__version__}: "
                f"{', '.join(stale)}; run scripts/vendor_botocore_model.py",
                file=sys.stderr,
            )
            return 1
        print(f"vendored model matches botocore {botocore.__version__}")
        return 0

    vendor(source_dir, VENDORED_DIR)
    print(
        f"vendored {CONTROL_PLANE_SERVICE} {CONTROL_PLANE_API_VERSION}"
        f" from botocore {botocore.__version__} "
        f"into {VENDORED_DIR.relative_to(REPO_ROOT)}"
        + (f" (updated: {', '.join(stale)})" if stale else " (already up to date)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
