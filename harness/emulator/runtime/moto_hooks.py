"""Hooks into moto's SageMaker backend that hand training jobs and endpoints to the runtime.

moto: CreateTrainingJob records a job that is ``Completed`` at once with no artifact and replaces the
caller's MetricDefinitions with a canned one; StopTrainingJob and UpdateEndpoint do not exist;
CreateEndpoint is ``InService`` at once and DeleteEndpoint only forgets the record.
Here: CreateTrainingJob starts a ``training.TrainingContainer`` (InProgress until it ends) and keeps the
MetricDefinitions; StopTrainingJob stops it; CreateEndpoint / UpdateEndpoint start an
``hosting.EndpointHost`` (Creating / Updating until the model servers answer /ping);
DeleteEndpoint stops the endpoint's model servers. CreateProcessingJob (which moto records as
``Completed`` at once, dropping ProcessingResources and Environment) starts a
``processing.ProcessingRun`` and keeps the whole request; StopProcessingJob stops it (moto: ``Stopped``
at once, whatever the status). StartPipelineExecution (moto: ``Succeeded`` at once) starts a
``pipelines.PipelineRun``; DescribePipelineExecution gives its FailureReason; ListPipelineExecutionSteps
and StopPipelineExecution (absent in moto) are added.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from . import hosting, pipelines, processing, state, training

_MARK = "__harness_runtime_original__"


def _replace(owner: Any, name: str, factory: Any) -> None:
    current = owner.__dict__.get(name)
    if current is not None and hasattr(current, _MARK):
        return
    new = factory(current)
    setattr(new, _MARK, current)
    setattr(owner, name, new)


def _validation(message: str) -> Exception:
    from moto.sagemaker.exceptions import ValidationError

    return ValidationError(message=message)


def apply() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    def create_training_job_factory(original: Any) -> Any:
        def create_training_job(self: Any, **kwargs: Any) -> Any:
            name = kwargs["training_job_name"]
            if name in self.training_jobs:
                raise _validation(
                    f"Training job names must be unique within an AWS account and region, "
                    f"and a training job with this name already exists ({name})"
                )
            spec = kwargs.get("algorithm_specification") or {}
            definitions = spec.get("MetricDefinitions")
            job = original(self, **kwargs)
            if definitions is None:
                job.algorithm_specification.pop("MetricDefinitions", None)
            else:
                job.algorithm_specification["MetricDefinitions"] = definitions
            now = dt.datetime.now(dt.UTC)
            job.training_job_status = "InProgress"
            job.secondary_status = "Starting"
            job.failure_reason = None
            job.model_artifacts = None
            job.training_start_time = None
            job.training_end_time = None
            job.training_time_in_seconds = None
            job.billable_time_in_seconds = None
            job.final_metric_data_list = None
            job.secondary_status_transitions = [
                {
                    "Status": "Starting",
                    "StartTime": now,
                    "StatusMessage": "Preparing the instances for training",
                }
            ]
            job.creation_time = job.last_modified_time = now
            training.launch(self.account_id, self.region_name, job)
            return job

        return create_training_job

    _replace(SageMakerModelBackend, "create_training_job", create_training_job_factory)

    def stop_training_job(self: Any, training_job_name: str) -> None:
        job = self.training_jobs.get(training_job_name)
        if job is None:
            raise _validation(f"Could not find training job '{training_job_name}'.")
        run = state.training_runs.get((self.account_id, self.region_name, training_job_name))
        if job.training_job_status != "InProgress" or run is None:
            raise _validation(
                f"The request was rejected because the training job is in status {job.training_job_status}."
            )
        run.stop()

    _replace(SageMakerModelBackend, "stop_training_job", lambda _orig: stop_training_job)

    def stop_training_job_response(self: Any) -> Any:
        self.sagemaker_backend.stop_training_job(self._get_param("TrainingJobName"))
        return EmptyResult()

    _replace(SageMakerResponse, "stop_training_job", lambda _orig: stop_training_job_response)

    # ------------------------------------------------------------------------------------- hosting

    def create_endpoint_factory(original: Any) -> Any:
        def create_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str, tags: Any) -> Any:
            if endpoint_name in self.endpoints:
                raise _validation(
                    f'Cannot create already existing endpoint "{self.endpoints[endpoint_name].arn}".'
                )
            endpoint = original(
                self, endpoint_name=endpoint_name, endpoint_config_name=endpoint_config_name, tags=tags
            )
            endpoint.endpoint_status = "Creating"
            endpoint.failure_reason = None
            hosting.launch(self, endpoint)
            return endpoint

        return create_endpoint

    _replace(SageMakerModelBackend, "create_endpoint", create_endpoint_factory)

    def update_endpoint(self: Any, endpoint_name: str, endpoint_config_name: str) -> Any:
        endpoint = self.endpoints.get(endpoint_name)
        if endpoint is None:
            raise _validation(f"Could not find endpoint '{endpoint_name}'.")
        if endpoint.endpoint_status not in ("InService", "Failed"):
            raise _validation(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        config = self.describe_endpoint_config(endpoint_config_name)  # ValidationError when unknown
        hosting.update(self, endpoint, config)
        return endpoint

    _replace(SageMakerModelBackend, "update_endpoint", lambda _orig: update_endpoint)

    def update_endpoint_response(self: Any) -> Any:
        endpoint = self.sagemaker_backend.update_endpoint(
            self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        )
        return ActionResult({"EndpointArn": endpoint.arn})

    _replace(SageMakerResponse, "update_endpoint", lambda _orig: update_endpoint_response)

    def delete_endpoint_factory(original: Any) -> Any:
        def delete_endpoint(self: Any, endpoint_name: str) -> None:
            original(self, endpoint_name)
            hosting.remove(self.account_id, self.region_name, endpoint_name)

        return delete_endpoint

    _replace(SageMakerModelBackend, "delete_endpoint", delete_endpoint_factory)

    # ---------------------------------------------------------------------------------- processing

    def create_processing_job_response(self: Any) -> Any:
        job = self.sagemaker_backend.create_processing_job(
            app_specification=self._get_param("AppSpecification"),
            experiment_config=self._get_param("ExperimentConfig"),
            network_config=self._get_param("NetworkConfig"),
            processing_inputs=self._get_param("ProcessingInputs") or [],
            processing_job_name=self._get_param("ProcessingJobName"),
            processing_output_config=self._get_param("ProcessingOutputConfig"),
            role_arn=self._get_param("RoleArn"),
            stopping_condition=self._get_param("StoppingCondition"),
            tags=self._get_param("Tags"),
            processing_resources=self._get_param("ProcessingResources"),
            environment=self._get_param("Environment"),
        )
        return ActionResult({"ProcessingJobArn": job.arn})

    _replace(SageMakerResponse, "create_processing_job", lambda _orig: create_processing_job_response)

    def create_processing_job_factory(original: Any) -> Any:
        def create_processing_job(
            self: Any, *, processing_resources: Any = None, environment: Any = None, **kwargs: Any
        ) -> Any:
            name = kwargs["processing_job_name"]
            if name in self.processing_jobs:
                raise _validation(
                    f"Processing job names must be unique within an AWS account and region, and a "
                    f"processing job with this name already exists ({name})"
                )
            problem = processing.validate_request(
                kwargs.get("processing_inputs") or [], kwargs.get("processing_output_config")
            )
            if problem:
                raise _validation(problem)
            job = original(self, **kwargs)
            now = dt.datetime.now(dt.UTC)
            job.processing_resources = processing_resources
            job.environment = environment
            job.processing_job_status = "InProgress"
            job.processing_start_time = None
            job.processing_end_time = None
            job.failure_reason = None
            job.exit_message = None
            job.creation_time = job.last_modified_time = now
            processing.launch(self.account_id, self.region_name, job)
            return job

        return create_processing_job

    _replace(SageMakerModelBackend, "create_processing_job", create_processing_job_factory)

    def stop_processing_job(self: Any, processing_job_name: str) -> None:
        job = self.processing_jobs.get(processing_job_name)
        if job is None:
            raise _validation(f"Could not find processing job '{processing_job_name}'.")
        run = state.processing_runs.get((self.account_id, self.region_name, processing_job_name))
        if job.processing_job_status != "InProgress" or run is None:
            raise _validation(
                "The request was rejected because the processing job is in status "
                f"{job.processing_job_status}."
            )
        run.stop()

    _replace(SageMakerModelBackend, "stop_processing_job", lambda _orig: stop_processing_job)

    # ----------------------------------------------------------------------------------- pipelines

    def start_pipeline_execution_factory(original: Any) -> Any:
        def start_pipeline_execution(
            self: Any,
            pipeline_name: str,
            pipeline_execution_display_name: str,
            pipeline_parameters: Any,
            pipeline_execution_description: str,
            parallelism_configuration: Any,
            client_request_token: str,
        ) -> Any:
            from moto.sagemaker.utils import get_pipeline_from_name

            pipeline = get_pipeline_from_name(self.pipelines, pipeline_name)
            try:
                definition = json.loads(pipeline.pipeline_definition or "{}")
                params = pipelines.declared_parameters(definition, pipeline_parameters)
                pipelines.flatten_steps(definition.get("Steps") or [])
            except ValueError as exc:
                raise _validation(str(exc)) from None
            answer = original(
                self,
                pipeline_name,
                pipeline_execution_display_name,
                pipeline_parameters,
                pipeline_execution_description,
                parallelism_configuration,
                client_request_token,
            )
            execution = pipeline.pipeline_executions[answer["PipelineExecutionArn"]]
            execution.pipeline_execution_status = "Executing"
            execution.pipeline_parameters = [
                {"Name": k, "Value": pipelines.PipelineRun._text(v)} for k, v in params.items()
            ]
            pipelines.launch(self, pipeline, execution, definition, params)
            return answer

        return start_pipeline_execution

    _replace(SageMakerModelBackend, "start_pipeline_execution", start_pipeline_execution_factory)

    def describe_pipeline_execution_factory(original: Any) -> Any:
        def describe_pipeline_execution(self: Any, pipeline_execution_arn: str) -> Any:
            from moto.sagemaker.utils import get_pipeline_execution_from_arn

            answer = dict(original(self, pipeline_execution_arn))
            execution = get_pipeline_execution_from_arn(self.pipelines, pipeline_execution_arn)
            answer.pop("FailureReason", None)
            if execution.pipeline_execution_failure_reason:
                answer["FailureReason"] = execution.pipeline_execution_failure_reason
            if not answer.get("ParallelismConfiguration"):
                answer.pop("ParallelismConfiguration", None)
            return answer

        return describe_pipeline_execution

    _replace(SageMakerModelBackend, "describe_pipeline_execution", describe_pipeline_execution_factory)

    def _pipeline_run(self: Any, arn: str) -> Any:
        from moto.sagemaker.utils import get_pipeline_execution_from_arn

        get_pipeline_execution_from_arn(self.sagemaker_backend.pipelines, arn)  # ValidationError if unknown
        return state.pipeline_runs.get(arn)

    def list_pipeline_execution_steps(self: Any) -> Any:
        arn = self._get_param("PipelineExecutionArn")
        run = _pipeline_run(self, arn)
        records = [dict(r) for r in (run.records if run is not None else [])]
        if self._get_param("SortOrder", "Descending") == "Descending":
            records.reverse()
        return ActionResult({"PipelineExecutionSteps": records})

    SageMakerResponse.list_pipeline_execution_steps = list_pipeline_execution_steps  # type: ignore[attr-defined]

    def stop_pipeline_execution(self: Any) -> Any:
        arn = self._get_param("PipelineExecutionArn")
        run = _pipeline_run(self, arn)
        status = run.execution.pipeline_execution_status if run is not None else "Succeeded"
        if run is None or status != "Executing":
            raise _validation(f"Pipeline execution with ARN {arn} status {status}. Cannot stop pipeline.")
        run.stop()
        return ActionResult({"PipelineExecutionArn": arn})

    SageMakerResponse.stop_pipeline_execution = stop_pipeline_execution  # type: ignore[attr-defined]
