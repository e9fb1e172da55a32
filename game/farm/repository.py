"""game.farm.repository (to be built)."""
