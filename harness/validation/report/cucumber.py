"""``cucumber.json``: Cucumber JSON (attachments as embeddings) for tools that read it."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from harness.validation.report.common import example_suffix


def cucumber_json(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    features: dict[str, dict[str, Any]] = {}
    for sc in results.get("scenarios", []):
        feat = features.setdefault(
            sc["feature_file"],
            {
                "uri": sc["feature_file"],
                "id": sc["feature_file"],
                "keyword": "Feature",
                "name": sc["feature"],
                "line": 1,
                "description": "",
                "tags": [],
                "elements": [],
            },
        )
        steps = []
        for st in sc.get("steps", []):
            result: dict[str, Any] = {"status": st["status"]}
            if st.get("duration") is not None:
                result["duration"] = int(st["duration"] * 1e9)
            if st.get("error"):
                result["error_message"] = st["error"]
            step = {"keyword": st["keyword"] + " ", "name": st["text"], "line": st["line"], "result": result}
            if st.get("attachments"):
                step["embeddings"] = [
                    {
                        "mime_type": a.get("media_type", "application/json"),
                        "name": a["name"],
                        "data": base64.b64encode(json.dumps(a["data"], sort_keys=True).encode()).decode(),
                    }
                    for a in st["attachments"]
                ]
            steps.append(step)
        feat["elements"].append(
            {
                "id": sc["id"],
                "keyword": "Scenario",
                "name": sc["scenario"] + example_suffix(sc.get("example")),
                "line": sc.get("line") or 0,
                "description": "",
                "type": "scenario",
                "tags": [{"name": f"@{t}", "line": sc.get("line") or 0} for t in sc.get("tags", [])],
                "steps": steps,
            }
        )
    return list(features.values())
