"""Matching: placement requests, eligibility, search, holds, placements and the solver."""
