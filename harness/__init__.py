"""Validated SageMaker ML platform as code: the harness that applies, qualifies and reports."""
