"""SageMaker model registry: DeleteModelPackageGroup, DeleteModelPackage, the group policy calls.

moto: DeleteModelPackageGroup, Put/Get/DeleteModelPackageGroupPolicy are not implemented (HTTP 500
"not implemented"), so ``terraform destroy`` of ``aws_sagemaker_model_package_group`` (and any
``aws_sagemaker_model_package_group_policy``) fails.
AWS: the group is deleted (ValidationException when it does not exist, ConflictException while it
still holds model packages); the policy calls store, return and delete a JSON resource policy
(ValidationException when the group or its policy does not exist). moto's DeleteModelPackage is
missing too (500), so the registered versions, and with them the group, could never be removed.
"""

from __future__ import annotations

import json
from typing import Any

from ._util import add


def _policies(backend: Any) -> dict[str, str]:
    store = getattr(backend, "_harness_model_package_group_policies", None)
    if store is None:
        store = {}
        backend._harness_model_package_group_policies = store
    return store


def _group_name(value: str) -> str:
    # The API accepts a name or an ARN (.../model-package-group/<name>).
    return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value


def apply() -> None:
    from moto.core.responses import ActionResult, EmptyResult
    from moto.sagemaker.exceptions import ConflictException, ValidationError
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse

    def delete_model_package_group_backend(self: Any, model_package_group_name: str) -> None:
        name = _group_name(model_package_group_name)
        self.describe_model_package_group(name)  # ValidationException when missing
        if any(getattr(p, "model_package_group_name", None) == name for p in self.model_packages.values()):
            raise ConflictException(
                f"Model Package Group {name} cannot be deleted while it contains model packages."
            )
        del self.model_package_groups[name]
        _policies(self).pop(name, None)

    def put_policy_backend(self: Any, model_package_group_name: str, resource_policy: str) -> str:
        name = _group_name(model_package_group_name)
        group = self.describe_model_package_group(name)
        try:
            json.loads(resource_policy)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"Invalid resource policy: {exc}") from exc
        _policies(self)[name] = resource_policy
        return str(group.arn)

    def get_policy_backend(self: Any, model_package_group_name: str) -> str:
        name = _group_name(model_package_group_name)
        group = self.describe_model_package_group(name)
        policy = _policies(self).get(name)
        if policy is None:
            raise ValidationError(f"Cannot find resource policy for {group.arn}.")
        return policy

    def delete_policy_backend(self: Any, model_package_group_name: str) -> None:
        name = _group_name(model_package_group_name)
        group = self.describe_model_package_group(name)
        if _policies(self).pop(name, None) is None:
            raise ValidationError(f"Cannot find resource policy for {group.arn}.")

    def delete_model_package_backend(self: Any, model_package_name: str) -> None:
        package = self.describe_model_package(model_package_name)  # ValidationException when missing
        del self.model_packages[package.arn]
        for alias in [k for k, v in self.model_package_name_mapping.items() if v == package.arn]:
            del self.model_package_name_mapping[alias]

    add(SageMakerModelBackend, "delete_model_package", delete_model_package_backend)
    add(SageMakerModelBackend, "delete_model_package_group", delete_model_package_group_backend)
    add(SageMakerModelBackend, "put_model_package_group_policy", put_policy_backend)
    add(SageMakerModelBackend, "get_model_package_group_policy", get_policy_backend)
    add(SageMakerModelBackend, "delete_model_package_group_policy", delete_policy_backend)

    def delete_model_package_group(self: Any) -> Any:
        self.sagemaker_backend.delete_model_package_group(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    def put_model_package_group_policy(self: Any) -> Any:
        arn = self.sagemaker_backend.put_model_package_group_policy(
            self._get_param("ModelPackageGroupName"), self._get_param("ResourcePolicy")
        )
        return ActionResult({"ModelPackageGroupArn": arn})

    def get_model_package_group_policy(self: Any) -> Any:
        policy = self.sagemaker_backend.get_model_package_group_policy(
            self._get_param("ModelPackageGroupName")
        )
        return ActionResult({"ResourcePolicy": policy})

    def delete_model_package_group_policy(self: Any) -> Any:
        self.sagemaker_backend.delete_model_package_group_policy(self._get_param("ModelPackageGroupName"))
        return EmptyResult()

    def delete_model_package(self: Any) -> Any:
        self.sagemaker_backend.delete_model_package(self._get_param("ModelPackageName"))
        return EmptyResult()

    add(SageMakerResponse, "delete_model_package", delete_model_package)
    add(SageMakerResponse, "delete_model_package_group", delete_model_package_group)
    add(SageMakerResponse, "put_model_package_group_policy", put_model_package_group_policy)
    add(SageMakerResponse, "get_model_package_group_policy", get_model_package_group_policy)
    add(SageMakerResponse, "delete_model_package_group_policy", delete_model_package_group_policy)
