"""game.farm.errors (to be built)."""
