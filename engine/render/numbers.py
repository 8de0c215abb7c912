"""Numbers, vectors and matrices as a person writes them: `0.53`, `1e-8`, `[1, -2.5]`.

Every view of a value uses these (a prompt's placeholders, a verdict's expected answer,
the command line, a plot's axis), so that one number always reads the same way.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def format_number(value: float) -> str:
    """A number as a person writes it: 0.53, -1.2, 3, 1e-8, 2.5e+06."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.6g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text


def format_value(value: npt.ArrayLike) -> str:
    """Numbers, vectors and matrices formatted for reading."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        return format_number(float(array))
    return "[" + ", ".join(format_value(item) for item in array) + "]"


def format_apart(a: float, b: float) -> tuple[str, str]:
    """Two different numbers printed with just enough digits to show that they differ.

    `format_number` keeps 6 significant digits, so 2366841.23 and 2366840 would both read
    "2.36684e6" in a message that says they differ; here digits are added (up to 17, all
    that a float64 has) until the two texts differ. Equal numbers print as `format_number`.
    """
    if a == b or not (math.isfinite(a) and math.isfinite(b)) or f"{a:.6g}" != f"{b:.6g}":
        return format_number(a), format_number(b)
    for digits in range(7, 18):
        if f"{a:.{digits}g}" != f"{b:.{digits}g}":
            break
    return _with_digits(a, digits), _with_digits(b, digits)


def _with_digits(value: float, digits: int) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text
