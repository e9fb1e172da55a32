"""game.farm.services (to be built)."""
