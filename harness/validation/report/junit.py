"""``junit.xml``: one ``testsuite`` per stage and feature, one ``testcase`` per scenario."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from harness.validation.report.common import example_suffix


def junit_xml(results: Mapping[str, Any]) -> bytes:
    scenarios = list(results.get("scenarios", []))
    root = ET.Element("testsuites", name="qualification")
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for sc in scenarios:
        groups.setdefault((sc["stage"], sc["feature"]), []).append(sc)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for (stage, feature), items in groups.items():
        suite = ET.SubElement(root, "testsuite", name=f"{stage.upper()}: {feature}")
        counts = {"tests": len(items), "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
        for sc in items:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{stage}.{sc.get('feature_file', feature)}",
                name=sc["scenario"] + example_suffix(sc.get("example")),
                time=f"{sc.get('duration') or 0:.6f}",
            )
            counts["time"] += sc.get("duration") or 0.0
            props = ET.SubElement(case, "properties")
            for req in sc.get("requirements", []):
                ET.SubElement(props, "property", name="requirement", value=req)
            ET.SubElement(props, "property", name="started", value=str(sc.get("started")))
            failed = next((st for st in sc.get("steps", []) if st["status"] == "failed"), None)
            if sc["status"] == "failed":
                counts["failures"] += 1
                msg = (failed or {}).get("error") or sc.get("error") or "failed"
                el = ET.SubElement(case, "failure", message=msg.splitlines()[0][:500] if msg else "failed")
                el.text = (f"{failed['keyword']} {failed['text']}\n" if failed else "") + msg
            elif sc["status"] == "error":
                counts["errors"] += 1
                el = ET.SubElement(case, "error", message=(sc.get("error") or "error").splitlines()[0][:500])
                el.text = sc.get("error") or ""
            elif sc["status"] == "skipped":
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=(sc.get("error") or "skipped")[:500])
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(
                f"[{st['status']:>7}] {st['keyword']} {st['text']}"
                + (f"  ({st['started']}, {st['duration']}s)" if st.get("started") else "")
                for st in sc.get("steps", [])
            )
        for key in ("tests", "failures", "errors", "skipped"):
            suite.set(key, str(counts[key]))
            totals[key] += counts[key]
        suite.set("time", f"{counts['time']:.6f}")
        totals["time"] += counts["time"]
    for key in ("tests", "failures", "errors", "skipped"):
        root.set(key, str(totals[key]))
    root.set("time", f"{totals['time']:.6f}")
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"
