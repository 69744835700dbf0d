"""Step definitions of the persona scenarios (``personas.feature``), imported by ``test_oq.py``.

Each step runs the call as the persona (its assumed role) through :mod:`features.personas` and
attaches the call, IAM's answer (code, message, request id) as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from features import personas
from features.support import Clients
from harness import target as targets

KEY_CUSTODY = r"every persona (?P<verb>schedules deletion of|disables) the KMS key for data at rest"
AUDITOR_READS = (
    "the {name} reads the evidence bucket, the training jobs, the endpoints, the model registry"
    + " and the trail"
)
EVIDENCE_OBJECT = (
    r"the (?P<name>.+) (?P<verb>writes|deletes) an object (?P<where>under|outside) evidence/"
    + r" in the evidence bucket"
)


@pytest.fixture(scope="session")
def persona_sessions(target: targets.Target, outputs: dict[str, Any]) -> Callable[[str], Any]:
    """``persona_sessions("auditor")``: the persona's assumed-role session (one per persona and run)."""
    sessions: dict[str, Any] = {}

    def get(persona: str) -> Any:
        if persona not in sessions:
            role_arn = outputs[personas.PERSONA_OUTPUTS[persona]]
            person = f"oq-{persona.replace(' ', '-')}"
            sessions[persona] = personas.assume(target, role_arn, person, purpose="operational qualification")
        return sessions[persona]

    return get


@given(parsers.parse("a session as the {persona}"), target_fixture="persona")
def a_session(persona: str, persona_sessions: Callable[[str], Any], evidence: Any) -> Any:
    session = persona_sessions(persona)
    identity = session.client("sts").get_caller_identity()
    evidence.attach(f"caller identity of the {persona}", identity)
    return session


@when(
    parsers.parse("the {name} creates the platform's training job with every guard setting"),
    target_fixture="attempts",
)
def create_training_job(
    persona: Any, outputs: dict[str, Any], target: targets.Target, evidence: Any
) -> list[personas.Attempt]:
    request = personas.training_request(outputs)
    evidence.attach("CreateTrainingJob request", request)
    result = personas.try_training(
        persona, target, request, "sagemaker:CreateTrainingJob with every guard setting"
    )
    evidence.attach("outcome", result.evidence())
    return [result]


@when(parsers.parse("the {name} creates a training job passing the {other} role"), target_fixture="attempts")
def create_training_job_passing(
    persona: Any, other: str, outputs: dict[str, Any], target: targets.Target, evidence: Any
) -> list[personas.Attempt]:
    role_arn = outputs[personas.PERSONA_OUTPUTS[f"{other} role"]]
    request = personas.training_request(outputs, role_arn=role_arn)
    evidence.attach("CreateTrainingJob request", request)
    result = personas.try_training(
        persona, target, request, f"sagemaker:CreateTrainingJob passing {role_arn}"
    )
    evidence.attach("outcome", result.evidence())
    return [result]


@when(parsers.parse("the {name} tries every write and delete probe"), target_fixture="attempts")
def every_write_probe(persona: Any, outputs: dict[str, Any], evidence: Any) -> list[personas.Attempt]:
    results = [
        personas.attempt(call, lambda probe=probe: probe(persona))
        for call, probe in personas.write_and_delete_probes(outputs).items()
    ]
    evidence.attach("outcomes", [r.evidence() for r in results])
    return results


@when(
    parsers.parse(AUDITOR_READS),
    target_fixture="attempts",
)
def platform_reads(persona: Any, outputs: dict[str, Any], evidence: Any) -> list[personas.Attempt]:
    results = [
        personas.attempt(call, lambda read=read: read(persona))
        for call, read in personas.read_probes(outputs).items()
    ]
    evidence.attach("outcomes", [r.evidence() for r in results])
    return results


@when(
    parsers.re(EVIDENCE_OBJECT),
    target_fixture="attempts",
)
def evidence_object(
    persona: Any, verb: str, where: str, outputs: dict[str, Any], evidence: Any
) -> list[personas.Attempt]:
    result = personas.evidence_write(persona, outputs, delete=verb == "deletes", inside=where == "under")
    evidence.attach("outcome", result.evidence())
    return [result]


@when(parsers.parse("the {name} creates an endpoint"), target_fixture="attempts")
def create_endpoint(persona: Any, evidence: Any) -> list[personas.Attempt]:
    result = personas.try_endpoint(persona)
    evidence.attach("outcome", result.evidence())
    return [result]


@when(parsers.re(KEY_CUSTODY), target_fixture="attempts")
def data_key_custody(
    verb: str,
    persona_sessions: Callable[[str], Any],
    target: targets.Target,
    outputs: dict[str, Any],
    evidence: Any,
) -> list[personas.Attempt]:
    key_arn = outputs["kms_key_arns"]["data"]
    results = []
    try:
        for name in personas.PERSONA_OUTPUTS:
            results.append(
                personas.key_custody(persona_sessions(name), key_arn, disable=verb == "disables", caller=name)
            )
    finally:
        personas.restore_key(target, key_arn)  # a control that failed open is undone
    evidence.attach("outcomes", [r.evidence() for r in results])
    return results


@when(
    "IAM simulates deletion and disabling of the key under its live key policy for every principal",
    target_fixture="simulated",
)
def simulate_key_custody(
    kms_key: dict[str, Any], outputs: dict[str, Any], aws: Clients, evidence: Any
) -> dict[str, Any]:
    policy = aws("kms").get_key_policy(KeyId=kms_key["arn"], PolicyName="default")["Policy"]
    glass = personas.break_glass_principals(policy)
    roles = {name: outputs[output] for name, output in personas.PERSONA_OUTPUTS.items()}
    simulated = {
        "break_glass": {
            arn: personas.simulate_key_custody(aws, kms_key["arn"], policy, arn) for arn in glass
        },
        "personas": {
            name: personas.simulate_key_custody(aws, kms_key["arn"], policy, arn)
            for name, arn in roles.items()
        },
    }
    evidence.attach("key policy", policy)
    evidence.attach("SimulateCustomPolicy decisions", simulated)
    return simulated


@then("IAM allows each break-glass principal the key policy names")
def break_glass_allowed(simulated: dict[str, Any], evidence: Any) -> None:
    evidence.attach("break-glass decisions", simulated["break_glass"])
    assert simulated["break_glass"], "the key policy names no break-glass principal"
    refused = {p: d for p, d in simulated["break_glass"].items() if set(d.values()) != {"allowed"}}
    assert not refused, refused


@then("IAM denies every persona even with kms:* in its own policies")
def personas_denied(simulated: dict[str, Any], evidence: Any) -> None:
    evidence.attach("persona decisions", simulated["personas"])
    allowed = {p: d for p, d in simulated["personas"].items() if "allowed" in d.values()}
    assert not allowed, allowed


@then("IAM refuses the call")
@then("IAM refuses every probe")
@then("IAM refuses every one of them")
def refused(attempts: list[personas.Attempt], evidence: Any) -> None:
    evidence.attach("attempts", [a.evidence() for a in attempts])
    through = [a for a in attempts if a.allowed]
    assert not through, f"IAM let through: {[(a.call, a.code or 'succeeded') for a in through]}"


@then("IAM lets the call through")
@then("IAM lets every read through")
def let_through(attempts: list[personas.Attempt], evidence: Any) -> None:
    evidence.attach("attempts", [a.evidence() for a in attempts])
    refused_calls = [a for a in attempts if not a.allowed]
    assert not refused_calls, f"IAM refused: {[(a.call, a.message) for a in refused_calls]}"


@then(parsers.parse("the refusal names {action}"))
def refusal_names(attempts: list[personas.Attempt], action: str, evidence: Any) -> None:
    evidence.attach("refusals", [{"call": a.call, "message": a.message} for a in attempts])
    assert all(action in a.message for a in attempts), [a.message for a in attempts]


@then(parsers.parse("the KMS key for {purpose} is still enabled"))
def key_still_enabled(purpose: str, key_arn_for: Callable[[str], str], aws: Clients, evidence: Any) -> None:
    described = aws("kms").describe_key(KeyId=key_arn_for(purpose))["KeyMetadata"]
    evidence.attach("DescribeKey", described)
    assert described["KeyState"] == "Enabled", described["KeyState"]
