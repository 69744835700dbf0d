# ruff: noqa: E501  (HTML template: long lines read better than split markup)
"""The HTML report template (Jinja2, autoescaped). Self-contained: inline CSS and SVG, no scripts."""

HTML = r"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{ title }} - {{ run_id }}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px;
       color: #1d1d1d; line-height: 1.4; padding: 0 1em; }
h1 { margin-bottom: .2em; } h2 { border-bottom: 2px solid #ddd; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; font-size: 14px; }
th, td { border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; }
code, pre { font-family: Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #f7f7f7; border: 1px solid #e2e2e2; padding: 6px; overflow-x: auto; white-space: pre-wrap;
      word-break: break-all; max-height: 480px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; }
.passed, .PASS { background: #2a7a2a; } .failed, .FAIL, .error { background: #b03030; }
.skipped, .incomplete { background: #b07d10; } .not-covered { background: #666; } .insufficiently-covered { background: #b04010; } .kept { background: #2a7; } .not-run { background: #666; } .running { background: #666; }
.verdict { font-size: 20px; padding: 4px 14px; }
details { margin: .3em 0; } summary { cursor: pointer; }
.scenario { border: 1px solid #ddd; border-radius: 4px; padding: 4px 8px; margin: 6px 0; }
.muted { color: #666; font-size: 13px; }
.err { color: #b03030; white-space: pre-wrap; font-family: Menlo, Consolas, monospace; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 2em; }
.sig td { height: 2.2em; } .sig td.blank { width: 28%; }
.chain { font-family: Menlo, Consolas, monospace; font-size: 13px; }
@media print { details { display: block; } details > summary { list-style: none; } }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="muted">Run <code>{{ run_id }}</code> &middot; target <b>{{ context.target or "?" }}</b>
{%- if context.region %} &middot; region {{ context.region }}{% endif %}
{%- if context.account %} &middot; account {{ context.account }}{% endif %}
&middot; report generated {{ generated }}</p>
<p id="target"><b>{{ target.statement }}</b></p>
<p>Verdict: <span class="badge verdict {{ verdict.result }}">{{ verdict.result }}</span>
&middot; release-grade: <b>{{ "yes" if verdict.release else "no" }}</b></p>
{% if verdict.reasons %}<ul>{% for r in verdict.reasons %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}
{% if verdict.release_reasons %}<p class="muted">Not release-grade because:</p>
<ul>{% for r in verdict.release_reasons %}<li>{{ r }}</li>{% endfor %}</ul>{% endif %}
{% if protocol %}<p class="muted">Protocol <code>{{ protocol.sha256 }}</code> (specification version
{{ protocol.specification_version }}): {{ "approved" if protocol.approved else "not approved" }}</p>{% endif %}
{% if stage_table %}
<h2 id="stage-table">Stage table</h2>
<table><tr><th>Stage</th><th>Status</th><th>Seconds</th><th>Detail</th><th>Run as (STS identity)</th></tr>
{% for s in stage_table %}<tr><td><b>{{ s.name }}</b></td><td><span class="badge {{ s.status | replace(' ', '-') }}">{{ s.status }}</span></td>
<td>{{ s.seconds }}{% if s.overlapped %}<br><span class="muted">overlapped; waited {{ s.waited }}</span>{% endif %}</td><td>{{ s.detail }}{% if s.parts %}<br><span class="muted">cost: {% for part, sec in s.parts.items() %}{{ part }} {{ sec }}s{% if not loop.last %}, {% endif %}{% endfor %}</span>{% endif %}</td>
<td>{% if s.identity %}<code>{{ s.identity.arn }}</code>{% if s.identity.source_identity %}<br>source identity {{ s.identity.source_identity }}{% endif %}{% if s.identity.runs_as %}<br><span class="muted">{{ s.identity.runs_as }}</span>{% endif %}{% if s.identity.note %}<br><span class="muted">{{ s.identity.note }}</span>{% endif %}{% else %}&ndash;{% endif %}</td></tr>{% endfor %}</table>
<p class="muted">The report and verify stages finish after this report is sealed: their outcome is in
<code>receipt.json</code>, hashed and signed beside the package.</p>
{% endif %}

<h2 id="summary">Summary per stage</h2>
<table>
<tr><th>Stage</th><th>Scenarios</th><th>Passed</th><th>Failed</th><th>Error</th><th>Skipped</th>
<th>Steps passed / failed / skipped</th><th>Duration</th></tr>
{% for s in stages %}
<tr><td><b>{{ s.stage | upper }}</b></td><td>{{ s.scenarios }}</td><td>{{ s.passed }}</td><td>{{ s.failed }}</td>
<td>{{ s.error }}</td><td>{{ s.skipped }}</td>
<td>{{ s.steps_passed }} / {{ s.steps_failed }} / {{ s.steps_skipped }}</td><td>{{ s.duration }}</td></tr>
{% else %}<tr><td colspan="8">No scenario was recorded.</td></tr>{% endfor %}
</table>
<p class="muted">Requirements: {{ matrix.summary.requirements }} &middot; passed {{ matrix.summary.passed }}
&middot; failed {{ matrix.summary.failed }} &middot; incomplete {{ matrix.summary.incomplete }}
&middot; not covered {{ matrix.summary["not covered"] }}
&middot; insufficiently covered {{ matrix.summary["insufficiently covered"] }}</p>

<h2 id="requirements">Requirements and traceability</h2>
<table>
<tr><th>Requirement</th><th>Risk</th><th>Source</th><th>Statement and acceptance criterion</th><th>Status</th><th>Scenarios</th>
<th>Static checks</th></tr>
{% for row in matrix.rows %}
<tr id="{{ row.requirement }}"><td><b>{{ row.requirement }}</b></td><td>{{ row.risk }}</td><td>{{ row.source }}</td>
<td>{{ row.statement }}{% if row.criterion %}<br><i>Criterion:</i> {{ row.criterion }}{% endif %}</td>
<td><span class="badge {{ row.status | replace(' ', '-') }}">{{ row.status }}</span>
<br><span class="muted">{{ row.coverage.scenarios }} scenario(s), {{ row.coverage.negative }} negative</span></td>
<td>{% for sc in row.scenarios %}<a href="#sc-{{ sc.id }}">{{ sc.stage | upper }} {{ sc.scenario }}
{%- if sc.example %} [{{ sc.example.values() | join(", ") }}]{% endif %}</a>
<span class="badge {{ sc.status }}">{{ sc.status }}</span><br>{% else %}<i>none</i>{% endfor %}</td>
<td>{% for c in row.checks %}<code>{{ c }}</code>{% if checkov_failed_ids and c in checkov_failed_ids %}
<span class="badge failed">failed</span>{% endif %}<br>{% endfor %}</td></tr>
{% endfor %}
</table>
{% if matrix.untraced_scenarios %}<p><b>Scenarios tracing to no requirement:</b>
{% for sc in matrix.untraced_scenarios %}<a href="#sc-{{ sc.id }}">{{ sc.scenario }}</a>{% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
{% if matrix.unknown_requirements %}<p><b>Tags naming unknown requirements:</b>
{{ matrix.unknown_requirements.keys() | join(", ") }}</p>{% endif %}

<h2 id="deviations">Deviations</h2>
{% if deviations %}
<table>
<tr><th>Id</th><th>Kind</th><th>Class</th><th>Status</th><th>Requirement</th><th>Stage</th><th>Scenario / check</th><th>Expected</th><th>Observed</th></tr>
{% for d in deviations %}
<tr><td>{{ d.id }}</td><td>{{ d.kind }}</td><td>{{ d.classification }}</td><td>{{ d.status }}</td>
<td>{{ d.requirements | join(", ") }}</td><td>{{ (d.stage or "") | upper }}</td>
<td>{% if d.scenario_id %}<a href="#sc-{{ d.scenario_id }}">{{ d.scenario }}</a>{% else %}{{ d.scenario or "" }}{% endif %}</td>
<td>{{ d.expected }}</td><td><div class="err">{{ d.observed }}</div></td></tr>
{% endfor %}
</table>
{% else %}<p>None.</p>{% endif %}

<h2 id="scenarios">Scenarios and steps</h2>
{% for stage, features in scenario_tree %}
<h3>{{ stage | upper }}</h3>
{% for feature, items in features %}
<h4>Feature: {{ feature }} <span class="muted">({{ items[0].feature_file }})</span></h4>
{% for sc in items %}
<div class="scenario" id="sc-{{ sc.id }}">
<details{% if sc.status != "passed" %} open{% endif %}>
<summary><span class="badge {{ sc.status }}">{{ sc.status }}</span> <b>{{ sc.scenario }}</b>
{%- if sc.example %} [{% for k, v in sc.example.items() %}{{ k }}={{ v }}{% if not loop.last %}, {% endif %}{% endfor %}]{% endif %}
<span class="muted">{{ sc.requirements | join(" ") }} &middot; {{ sc.started or "not started" }} &middot; {{ sc.duration_text }}</span></summary>
<p class="muted">pytest node <code>{{ sc.nodeid }}</code>; tags {{ sc.tags | join(", ") or "none" }}</p>
{% if sc.error and not sc.failed_step %}<div class="err">{{ sc.error }}</div>{% endif %}
{% for a in sc.attachments %}
<details><summary>Scenario evidence: {{ a.name }} <span class="muted">sha256 {{ a.sha256[:16] }}&hellip; at {{ a.attached }}</span></summary>
<pre>{{ a.data | pretty }}</pre></details>
{% endfor %}
<table>
<tr><th>Step</th><th>Status</th><th>Started (UTC)</th><th>Finished (UTC)</th><th>Duration</th></tr>
{% for st in sc.steps %}
<tr><td><b>{{ st.keyword }}</b> {{ st.text }}
{% if st.error %}<div class="err">{{ st.error }}</div>{% endif %}
{% for a in st.attachments %}
<details><summary>Evidence: {{ a.name }} <span class="muted">sha256 {{ a.sha256[:16] }}&hellip; at {{ a.attached }}</span></summary>
<pre>{{ a.data | pretty }}</pre></details>
{% endfor %}</td>
<td><span class="badge {{ st.status }}">{{ st.status }}</span></td><td class="muted">{{ st.started or "" }}</td>
<td class="muted">{{ st.finished or "" }}</td><td class="muted">{{ st.duration | seconds }}</td></tr>
{% endfor %}
</table>
</details>
</div>
{% endfor %}
{% endfor %}
{% else %}<p>No scenario was recorded.</p>{% endfor %}

{% if checkov %}
<h2 id="checkov">Static analysis (checkov)</h2>
{% if checkov.reused %}<p>{% if checkov.reused.scans %}The code scans ({{ checkov.reused.scans|join(', ') }}) were not run again{% else %}Not scanned again{% endif %}: {{ checkov.reused.said }}; checkov {{ checkov.reused.versions.checkov }}; results copied into this package from <code>{{ checkov.reused.copied_from }}</code> after its package verified against this platform's signing key. See <code>scan-inputs.json</code>.</p>{% endif %}
<table><tr>{% for k, v in checkov.summary.items() %}<th>{{ k }}</th>{% endfor %}</tr>
<tr>{% for k, v in checkov.summary.items() %}<td>{{ v }}</td>{% endfor %}</tr></table>
{% if checkov.failed_checks %}<h3>Failed checks</h3><table><tr><th>Check</th><th>Name</th><th>Resource</th><th>File</th></tr>
{% for c in checkov.failed_checks %}<tr><td><code>{{ c.check_id }}</code></td><td>{{ c.check_name }}</td><td>{{ c.resource }}</td>
<td>{{ c.file_path }}{% if c.file_line_range %}:{{ c.file_line_range | join("-") }}{% endif %}</td></tr>{% endfor %}</table>{% endif %}
{% if checkov.skipped_checks %}<h3>Suppressed checks</h3><table><tr><th>Check</th><th>Resource</th><th>Reason</th></tr>
{% for c in checkov.skipped_checks %}<tr><td><code>{{ c.check_id }}</code></td><td>{{ c.resource }}</td><td>{{ c.suppress_comment }}</td></tr>{% endfor %}</table>{% endif %}
{% endif %}

{% if lineage %}
<h2 id="lineage">Model lineage</h2>
<p class="chain">{% for k, v in lineage %}{{ k }}{% if not loop.last %} &rarr; {% endif %}{% endfor %}</p>
<table>
{% for k, v in lineage %}
<tr><th>{{ k }}</th><td>{% if v is mapping %}{% for kk, vv in v.items() %}<b>{{ kk }}</b>: <code>{{ vv }}</code><br>{% endfor %}{% else %}<code>{{ v }}</code>{% endif %}</td></tr>
{% endfor %}
</table>
{% endif %}

{% if metrics_table or charts %}
<h2 id="metrics">Model and endpoint metrics</h2>
{% if charts %}<div class="charts">{% for svg in charts %}<div>{{ svg | safe }}</div>{% endfor %}</div>{% endif %}
{% if metrics_table %}<table><tr><th>Metric</th><th>Value</th></tr>
{% for k, v in metrics_table %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}</table>{% endif %}
{% endif %}

<h2 id="context">Run context and tool versions</h2>
<table>
<tr><th>Run id</th><td><code>{{ run_id }}</code></td></tr>
<tr><th>Target / region</th><td>{{ context.target }} / {{ context.region }}</td></tr>
<tr><th>Account / caller</th><td>{{ context.account }} / <code>{{ (context.caller or {}).arn }}</code>
{% if (context.caller or {}).error %}<div class="err">{{ context.caller.error }}</div>{% endif %}</td></tr>
<tr><th>Operator</th><td>{{ context.operator }}</td></tr>
<tr><th>Started / finished</th><td>{{ context.started or results_started }} / {{ context.finished or results_finished }}</td></tr>
<tr><th>Git</th><td>{% set g = context.git or {} %}commit <code>{{ g.commit }}</code> on {{ g.branch }}
{% if g.dirty %}<span class="badge failed">work tree modified</span> {{ (g.changed or []) | join(", ") }}{% elif g.dirty is sameas false %}(clean){% endif %}</td></tr>
{% set tf = context.terraform or {} %}
<tr><th>Terraform</th><td>{{ tf.version }} {{ tf.platform or "" }}; state serial {{ tf.state_serial }}</td></tr>
<tr><th>Providers</th><td>{% for k, v in (tf.providers or {}).items() %}<code>{{ k }}</code> {{ v }}<br>{% endfor %}</td></tr>
<tr><th>Python</th><td>{{ (context.python or {}).version }} ({{ (context.python or {}).implementation }}) on {{ (context.python or {}).platform }}</td></tr>
<tr><th>Harness</th><td>{{ context.harness_version }}; pytest {{ results_meta.pytest }}, pytest-bdd {{ results_meta.pytest_bdd }}</td></tr>
<tr><th>Requirements file</th><td><code>{{ requirements_origin }}</code> sha256 <code>{{ requirements_sha }}</code></td></tr>
<tr><th>Specification version</th><td>{{ specification.version or "unversioned" }}</td></tr>
</table>
{% if specification.history %}
<h3 id="specification-history">Specification change history</h3>
<table><tr><th>Version</th><th>Date</th><th>Change</th></tr>
{% for h in specification.history %}<tr><td>{{ h.version }}</td><td>{{ h.date }}</td><td>{{ h.change }}</td></tr>{% endfor %}
</table>
{% endif %}
{% if context.packages %}
<details><summary>Python packages ({{ context.packages | length }})</summary>
<table><tr><th>Package</th><th>Pinned</th><th>Installed</th></tr>
{% for name, p in context.packages.items() %}<tr><td>{{ name }}</td><td>{{ p.pinned }}</td>
<td>{{ p.installed }}{% if p.pinned and p.installed != p.pinned %} <span class="badge failed">differs</span>{% endif %}</td></tr>{% endfor %}
</table></details>
{% endif %}

<h2 id="signatures">Signatures</h2>
<p class="muted">By signing, the reviewer and approver confirm that the results above were reviewed and that
every deviation is resolved or justified. The evidence package integrity is protected by
<code>manifest.json</code> (SHA-256 of every file) and its KMS signature <code>manifest.sig</code>.</p>
<table class="sig">
<tr><th>Role</th><th>Name</th><th>Signature</th><th>Date</th></tr>
{% for s in signatures %}
<tr><td><b>{{ s.role }}</b></td><td class="blank">{{ s.name or "" }}</td><td class="blank"></td><td class="blank">{{ s.date or "" }}</td></tr>
{% endfor %}
</table>
<p class="muted">Files of this report: {{ files | join(", ") }}</p>
</body>
</html>
"""
