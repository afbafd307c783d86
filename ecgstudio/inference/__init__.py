"""Running models on the open record and explaining their calls (docks, overlay, background tasks)."""

from ecgstudio.inference.controller import InferenceController, attach_inference

__all__ = ["InferenceController", "attach_inference"]
