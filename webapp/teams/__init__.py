"""Teams and ownership: who sits in which team (`service`), and what a team's members may see (`scope`)."""
