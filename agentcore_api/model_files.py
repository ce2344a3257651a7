"""Which AWS service models this package reads, and where the shipped one lives.

Nothing is loaded here, so scripts/vendor_botocore_model.py (which writes the shipped copy) can
use these names before the copy exists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

CONTROL_PLANE_SERVICE: Final = "bedrock-agentcore-control"
CONTROL_PLANE_API_VERSION: Final = "2023-06-05"
DATA_PLANE_SERVICE: Final = "bedrock-agentcore"
DATA_PLANE_API_VERSION: Final = "2024-02-28"
# botocore reads models from `<data path>/<service>/<api version>/`; this folder is laid out so.
MODELS_DIR: Final = Path(__file__).resolve().parent / "models"
CONTROL_PLANE_MODEL_DIR: Final = MODELS_DIR / CONTROL_PLANE_SERVICE / CONTROL_PLANE_API_VERSION
CONTROL_PLANE_MODEL: Final = CONTROL_PLANE_MODEL_DIR / "service-2.json.gz"
