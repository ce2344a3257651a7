"""Facts about the AgentCore API that the stacks, the custom-resource handler and the agent
package share, so that each is stated once.

- `model_files`: which service models, and where the shipped control-plane copy lives.
- `model`: reads AWS's service models (the control-plane model shipped in `models/`, the data-plane
  model of the installed botocore) and turns their shapes into rules.
- `constraints`: the rules this project checks before calling the API (names, ids, ARNs, list
  sizes), taken from those models, plus the few limits AWS states only in prose.
- `resources`: ARN formats, service principals and the tag that marks what a stack owns.
- `discovery`: the names under which a stack publishes what agents need (SSM, stack outputs).
- `naming`: how an interpreter's name derives from its base name.

Standard library only (botocore is used for the data-plane model, and only when asked for), because
this package also ships inside the custom-resource handler's Lambda asset.
"""
