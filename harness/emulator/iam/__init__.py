"""IAM policy evaluation for the local emulator (the decision, the request mapping, the principals).

:mod:`.conditions` the condition operators; :mod:`.evaluator` the decision for one request;
:mod:`.principals` who signed a request and their policies; :mod:`.requests` the actions, resources
and condition keys of a request. The emulator fix ``patches/iam_policy_evaluation`` wires them into
every request; ``patches/iam_policy_simulation`` answers SimulatePrincipalPolicy from them.
"""
