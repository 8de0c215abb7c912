"""Many instances' random streams at once: what `numpy.random.default_rng(seed)` draws, per seed.

Each instance of a card is drawn from its own generator, seeded from (card id, seed), so
that an instance is the same whoever draws it and whatever else is drawn (see
`engine.decks.instance.instance_rng`). Drawing 10,000 instances through 10,000 numpy
generators costs far more in Python than in arithmetic, so this module runs the same
generators side by side in numpy arrays: SeedSequence's hashing of the seed, PCG64's
seeding and its 128-bit steps, and the ways `Generator.uniform`, `integers` and `choice`
turn raw 64-bit outputs into numbers (and 32-bit halves, buffered as PCG64 buffers them).
The values are the very ones each seed's own generator gives, bit for bit; the tests and
`batch_matches` compare the two.

What it does not reproduce it declines (`Unsupported`): `normal` (numpy's ziggurat and its
tables), and integer ranges of 2³² or more. A stream whose `integers` draw hit Lemire's
rejection step (a chance of range/2³² per number) is marked in `redraw`, to be drawn by
its own generator instead: after a rejection its stream is one number longer than the rest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

U64 = npt.NDArray[np.uint64]
U32 = npt.NDArray[np.uint32]
Array = npt.NDArray[np.float64]

_M32: Final = 0xFFFFFFFF
# SeedSequence's constants (numpy/random/bit_generator.pyx).
_INIT_A: Final = 0x43B0D7E5
_MULT_A: Final = 0x931E8875
_INIT_B: Final = 0x8B51F9DD
_MULT_B: Final = 0x58F38DED
_MIX_MULT_L: Final = 0xCA01F9DD
_MIX_MULT_R: Final = 0x4973F715
_XSHIFT: Final = 16
_POOL: Final = 4
# PCG64's 128-bit multiplier, as high and low 64-bit words.
_MULT_HI: Final = np.uint64(0x2360ED051FC65DA4)
_MULT_LO: Final = np.uint64(0x4385DF649FCCF645)
_TO_DOUBLE: Final = 1.0 / 9007199254740992.0  # 2^-53: numpy's next_double


class Unsupported(ValueError):
    """A draw this module does not reproduce; the caller draws each seed with its own generator."""


def _hashmix(value: U32, const: int) -> tuple[U32, int]:
    value = value ^ np.uint32(const)
    const = (const * _MULT_A) & _M32
    value = value * np.uint32(const)
    return value ^ (value >> np.uint32(_XSHIFT)), const


def _mix(x: U32, y: U32) -> U32:
    result: U32 = np.uint32(_MIX_MULT_L) * x - np.uint32(_MIX_MULT_R) * y
    return result ^ (result >> np.uint32(_XSHIFT))


def _seed_state(words: list[U32]) -> list[U32]:
    """SeedSequence(entropy).generate_state(8, uint32) for entropies of `len(words)` 32-bit words."""
    const = _INIT_A
    mixer: list[U32] = []
    zero = np.zeros_like(words[0])
    for index in range(_POOL):
        value, const = _hashmix(words[index] if index < len(words) else zero, const)
        mixer.append(value)
    for source in range(_POOL):
        for target in range(_POOL):
            if source != target:
                hashed, const = _hashmix(mixer[source], const)
                mixer[target] = _mix(mixer[target], hashed)
    for extra in words[_POOL:]:  # never for 64-bit seeds; kept for SeedSequence's rule
        for target in range(_POOL):
            hashed, const = _hashmix(extra, const)
            mixer[target] = _mix(mixer[target], hashed)
    const = _INIT_B
    state = []
    for index in range(8):
        value = mixer[index % _POOL] ^ np.uint32(const)
        const = (const * _MULT_B) & _M32
        value = value * np.uint32(const)
        state.append(value ^ (value >> np.uint32(_XSHIFT)))
    return state


def _mul_64(a: U64, b: np.uint64) -> tuple[U64, U64]:
    """The full 128-bit product of 64-bit words, as (high, low)."""
    mask = np.uint64(_M32)
    shift = np.uint64(32)
    a0, a1 = a & mask, a >> shift
    b0, b1 = b & mask, b >> shift
    p00, p01, p10, p11 = a0 * b0, a0 * b1, a1 * b0, a1 * b1
    middle = (p00 >> shift) + (p01 & mask) + (p10 & mask)
    low = (p00 & mask) | (middle << shift)
    high = p11 + (p01 >> shift) + (p10 >> shift) + (middle >> shift)
    return high, low


def _add_128(a_hi: U64, a_lo: U64, b_hi: U64, b_lo: U64) -> tuple[U64, U64]:
    low = a_lo + b_lo
    return a_hi + b_hi + (low < a_lo).astype(np.uint64), low


class Streams:
    """The PCG64 generators `numpy.random.default_rng(seed)` makes for `seeds`, stepped together."""

    def __init__(self, seeds: Sequence[int] | U64) -> None:
        seeds_u: U64 = np.asarray(seeds, dtype=np.uint64)
        count = len(seeds_u)
        self.hi: U64 = np.zeros(count, dtype=np.uint64)
        self.lo: U64 = np.zeros(count, dtype=np.uint64)
        self.inc_hi: U64 = np.zeros(count, dtype=np.uint64)
        self.inc_lo: U64 = np.zeros(count, dtype=np.uint64)
        self.redraw = np.zeros(count, dtype=bool)
        """Streams a draw could not follow (a rejection in `integers`): draw those seeds on their own."""
        self._buffered = False  # PCG64's has_uint32: the same for every stream that is followed
        self._half: U32 = np.zeros(count, dtype=np.uint32)
        # SeedSequence reads an int as its 32-bit words, least significant first: one word
        # below 2^32, two from there on.
        wide = seeds_u > np.uint64(_M32)
        for two_words in (False, True):
            rows = np.flatnonzero(wide == two_words)
            if rows.size:
                self._seed(rows, seeds_u[rows], two_words)

    def _seed(self, rows: npt.NDArray[np.intp], seeds: U64, two_words: bool) -> None:
        low = (seeds & np.uint64(_M32)).astype(np.uint32)
        words = [low, (seeds >> np.uint64(32)).astype(np.uint32)] if two_words else [low]
        state = [w.astype(np.uint64) for w in _seed_state(words)]
        val = [state[2 * k] | (state[2 * k + 1] << np.uint64(32)) for k in range(4)]
        # pcg64_set_seed: initstate = val[0]:val[1], initseq = val[2]:val[3];
        # inc = initseq << 1 | 1; state = 0; step; state += initstate; step.
        one = np.uint64(1)
        inc_hi = (val[2] << one) | (val[3] >> np.uint64(63))
        inc_lo = (val[3] << one) | one
        self.inc_hi[rows], self.inc_lo[rows] = inc_hi, inc_lo
        hi, lo = _add_128(inc_hi, inc_lo, val[0], val[1])  # state = 0·M + inc, then + initstate
        self.hi[rows], self.lo[rows] = self._step(hi, lo, inc_hi, inc_lo)

    @staticmethod
    def _step(hi: U64, lo: U64, inc_hi: U64, inc_lo: U64) -> tuple[U64, U64]:
        """One step of the 128-bit LCG: state·M + inc, modulo 2^128."""
        carry, low = _mul_64(lo, _MULT_LO)
        high = carry + lo * _MULT_HI + hi * _MULT_LO
        return _add_128(high, low, inc_hi, inc_lo)

    def next64(self) -> U64:
        """One raw 64-bit output of every stream (PCG64's XSL-RR output of the stepped state)."""
        self.hi, self.lo = self._step(self.hi, self.lo, self.inc_hi, self.inc_lo)
        mixed = self.hi ^ self.lo
        rotation = self.hi >> np.uint64(58)
        left = (np.uint64(64) - rotation) & np.uint64(63)
        wrapped: U64 = np.where(rotation == 0, np.uint64(0), mixed << left)
        return (mixed >> rotation) | wrapped

    def next32(self) -> U32:
        """One 32-bit output: the low half of a fresh 64-bit one, then its buffered high half."""
        if self._buffered:
            self._buffered = False
            return self._half
        raw = self.next64()
        self._buffered = True
        self._half = (raw >> np.uint64(32)).astype(np.uint32)
        return (raw & np.uint64(_M32)).astype(np.uint32)

    def uniform(self, low: float, high: float, shape: tuple[int, ...]) -> Array:
        """`Generator.uniform(low, high, size=shape or None)` of every stream: (streams, *shape)."""
        width = high - low
        if not np.isfinite(width):
            raise Unsupported("uniform() over an infinite width")
        columns = [
            low + width * ((self.next64() >> np.uint64(11)).astype(np.float64) * _TO_DOUBLE)
            for _ in range(int(np.prod(shape, dtype=np.int64)))
        ]
        return _gather(columns, len(self.hi), shape)

    def integers(self, low: int, high: int, shape: tuple[int, ...]) -> Array:
        """`Generator.integers(low, high, size=shape or None)` (high excluded), as float64."""
        span = high - 1 - low
        if span < 0:
            raise Unsupported(f"integers({low}, {high}) is empty")
        if span >= _M32:
            raise Unsupported("integers() over a range of 2^32 or more")
        columns = []
        for _ in range(int(np.prod(shape, dtype=np.int64))):
            if span == 0:  # numpy draws nothing for a range of one number
                columns.append(np.full(len(self.hi), float(low)))
                continue
            # Lemire's bounded integers: the high word of u·(span + 1); a low word under
            # span + 1 may be rejected and redrawn, which only that stream's own generator follows.
            product = self.next32().astype(np.uint64) * np.uint64(span + 1)
            self.redraw |= (product & np.uint64(_M32)) < np.uint64(span + 1)
            columns.append((product >> np.uint64(32)).astype(np.int64).astype(np.float64) + float(low))
        return _gather(columns, len(self.hi), shape)

    def choice(self, values: Sequence[float], shape: tuple[int, ...]) -> Array:
        """`Generator.choice(values, size=shape or None)`: uniform indices drawn by `integers`."""
        table = np.asarray(values, dtype=np.float64)
        indices = self.integers(0, len(table), shape).astype(np.intp)
        return table[indices]


def _gather(columns: list[Array], count: int, shape: tuple[int, ...]) -> Array:
    """Numbers drawn one element at a time (C order) as (streams, *shape)."""
    if not shape:
        return columns[0]
    return np.stack(columns, axis=1).reshape(count, *shape) if columns else np.zeros((count, *shape))
