"""Capacity: the shared vocabulary and the tables of organisations, houses and beds."""
