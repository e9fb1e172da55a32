"""The game: forest (balls, friends, plantings, certificates, groups) and farm (chicken, eggs, donations)."""
