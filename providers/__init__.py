"""Providers: what provider organisations do to capacity (register, update, import)."""
