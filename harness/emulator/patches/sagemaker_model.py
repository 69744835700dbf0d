"""SageMaker CreateModel keeps EnableNetworkIsolation and an absent VpcConfig stays absent.

moto: ``Model`` always sets ``enable_network_isolation = False`` (the request parameter is
dropped), and DescribeModel answers ``VpcConfig: {}`` for a model created without one.
AWS: DescribeModel returns the ``EnableNetworkIsolation`` value given at creation and omits
``VpcConfig`` when none was given. Terraform would otherwise plan to replace the model on every run
(network isolation false vs true; an empty ``vpc_config`` block vs none).
"""

from __future__ import annotations

from typing import Any

from ._util import replace


def apply() -> None:
    from moto.sagemaker.models import Model
    from moto.sagemaker.responses import SageMakerResponse

    def create_model_factory(original: Any) -> Any:
        def create_model(self: Any) -> Any:
            result = original(self)
            model = self.sagemaker_backend.describe_model(self._get_param("ModelName"))
            model.enable_network_isolation = bool(self._get_param("EnableNetworkIsolation", False))
            return result

        return create_model

    replace(SageMakerResponse, "create_model", create_model_factory)

    def response_object_factory(original: Any) -> Any:
        def response_object(self: Any) -> dict[str, Any]:
            response = dict(original.fget(self))
            if not response.get("VpcConfig"):
                response.pop("VpcConfig", None)
            if not response.get("Containers"):
                response.pop("Containers", None)
            response["EnableNetworkIsolation"] = bool(getattr(self, "enable_network_isolation", False))
            return response

        return property(response_object)

    replace(Model, "response_object", response_object_factory)
