"""UpdateModelPackage changes only what the request names, as SageMaker does.

moto: UpdateModelPackage assigns every field of the request, so a call that sets only
``ModelApprovalStatus`` erases ``CustomerMetadataProperties`` and ``ApprovalDescription`` (and one
that sets only metadata erases the approval status).
AWS: fields left out of the request keep their values; ``CustomerMetadataProperties`` are added or
updated key by key and removed only through ``CustomerMetadataPropertiesToRemove``. The model
approval relies on it: the identity that trained a version is recorded in its metadata when it is
registered, and must still be there when a person approves it.
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def apply() -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    def factory(original: Any) -> Any:
        def update_model_package(
            self: Any,
            model_package_arn: str,
            model_approval_status: str | None,
            approval_description: str | None,
            customer_metadata_properties: dict[str, str] | None,
            customer_metadata_properties_to_remove: list[str],
            additional_inference_specifications_to_add: list[Any] | None,
        ) -> str:
            name = self.model_package_name_mapping.get(model_package_arn, model_package_arn)
            current = self.model_packages.get(name)
            if current is not None:
                if model_approval_status is None:
                    model_approval_status = current.model_approval_status
                if approval_description is None:
                    approval_description = current.approval_description
                customer_metadata_properties = {
                    **(current.customer_metadata_properties or {}),
                    **(customer_metadata_properties or {}),
                }
            return original(
                self,
                model_package_arn,
                model_approval_status,
                approval_description,
                customer_metadata_properties,
                customer_metadata_properties_to_remove,
                additional_inference_specifications_to_add,
            )

        return update_model_package

    replace(SageMakerModelBackend, "update_model_package", factory)
