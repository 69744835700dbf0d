"""moto's per-request lookups answered cheaply give moto's own answers."""

from __future__ import annotations

import inspect

from moto.core.utils import method_names_from_class

from harness.emulator import lookups


def test_function_names_answer_as_moto_does() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.iam.responses import IamResponse
    from moto.kms.responses import KmsResponse
    from moto.s3.responses import S3Response
    from moto.sagemaker.responses import SageMakerResponse

    for cls in (CloudTrailResponse, IamResponse, KmsResponse, S3Response, SageMakerResponse):
        names = lookups.FunctionNames(cls)
        expected = method_names_from_class(cls)
        assert list(names) == expected and len(names) == len(expected)
        for name in [*dir(cls), "get_role", "create_key", "mro", "no_such_action", "__init__"]:
            assert (name in names) == (name in expected), (cls.__name__, name)


def test_a_method_added_later_is_seen() -> None:
    class Base:
        def inherited(self) -> None: ...

        @staticmethod
        def static() -> None: ...

        @classmethod
        def klass(cls) -> None: ...

        @property
        def prop(self) -> int:
            return 1

    class Response(Base):
        pass

    names = lookups.FunctionNames(Response)
    assert "added" not in names
    Response.added = lambda self: None  # type: ignore[attr-defined]
    assert "added" in names and "inherited" in names and "static" in names
    assert "klass" not in names and "prop" not in names
    members = [n for n, _ in inspect.getmembers(Response, inspect.isfunction)]
    assert members == list(lookups.FunctionNames(Response))


def test_install_puts_the_lookup_in_moto_and_is_idempotent() -> None:
    from moto.core import responses

    original = responses.method_names_from_class
    try:
        lookups.install()
        lookups.install()
        assert responses.method_names_from_class is lookups.function_names
    finally:
        responses.method_names_from_class = original
