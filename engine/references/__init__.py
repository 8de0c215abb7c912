"""Reference computations done by real torch code, to check answers against.

Importing this package, listing references and describing them imports neither torch nor
numpy; both are imported when a reference is first run.
"""

from engine.references.describe import describe, render_reference_docs
from engine.references.registry import (
    TOPICS,
    FunctionInput,
    Mistake,
    Output,
    Param,
    Reference,
    ReferenceInputError,
    UnknownReference,
    all_references,
    get_reference,
    resolve_device,
    run_reference,
)

__all__ = [
    "TOPICS",
    "FunctionInput",
    "Mistake",
    "Output",
    "Param",
    "Reference",
    "ReferenceInputError",
    "UnknownReference",
    "all_references",
    "describe",
    "get_reference",
    "render_reference_docs",
    "resolve_device",
    "run_reference",
]
