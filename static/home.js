// Home needs no live parts today; kept for symmetry.
