"""The local SageMaker data plane: training jobs that train, endpoints that serve.

moto only records training jobs and endpoints; this package makes the local target do the real work
through the real SageMaker contracts (see each module's docstring):

- ``moto_hooks``: CreateTrainingJob / StopTrainingJob / CreateProcessingJob / StopProcessingJob /
  CreateEndpoint / UpdateEndpoint / DeleteEndpoint in moto's SageMaker backend hand over to the runtime;
- ``training``: a job's container layout, channel data from S3, the script-mode program as a
  separate process, ``model.tar.gz`` back to S3, status, metrics and logs;
- ``jobs``: what both kinds of job share (layout folder, one process, deadline, stop, log stream, status);
- ``processing``: a processing job's inputs from S3 under ``/opt/ml/processing``, its container entry
  point as a separate process, outputs back to S3 with their KMS key, status and logs;
- ``hosting``: model server processes per variant instance, health checks and replacement;
- ``model_server``: the stand-in for the framework container's ``serve`` (stdlib only);
- ``invoke``: the sagemaker-runtime InvokeEndpoint route on the front router;
- ``featurestore``: sagemaker-featurestore-runtime records, online store and the Parquet offline store;
- ``capture``: endpoint data capture to S3; ``backends``: moto's S3 and Logs in-process;
- ``alarms``: CloudWatch metric alarms evaluated (every few seconds) with their state-change events;
- ``state``: what runs, and its clean-up.

``install(router)`` is the one call the emulator's server makes. Importing this package loads nothing.
"""

from __future__ import annotations

from typing import Any

_installed = False


def install(router: Any) -> None:
    """Hook moto's SageMaker backend, mount InvokeEndpoint on ``router``, stop children at exit."""
    global _installed
    import atexit

    from . import alarms, featurestore, invoke, moto_hooks, state

    moto_hooks.apply()
    alarms.start()
    router.mount(invoke.is_invocation, invoke.app, description="sagemaker-runtime InvokeEndpoint")
    router.mount(featurestore.is_request, featurestore.app, description="sagemaker-featurestore-runtime")
    if not _installed:
        atexit.register(state.shutdown)
        atexit.register(featurestore.shutdown)
        _installed = True
