"""game.forest.__init__ (to be built)."""
