"""Dropout-risk model code that also runs inside SageMaker's XGBoost containers.

This package ships alone inside ``sourcedir.tar.gz`` / ``model.tar.gz``: it imports only the standard
library, numpy and xgboost, never another part of ``harness``. Importing the package itself loads
nothing heavy; pick the module you need:

- ``schema``: the feature contract shared by every module (names, order, model file name).
- ``dataset``: the seeded synthetic subject generator with a documented ground truth.
- ``train``: the training entry point (SageMaker training container contract).
- ``inference``: the script-mode handlers ``model_fn``/``input_fn``/``predict_fn``/``output_fn``.
- ``artifacts``: deterministic ``sourcedir.tar.gz`` and ``model.tar.gz`` builders.
- ``digest``: SHA-256 of a file (standard library only; the evidence code uses it too).
"""
