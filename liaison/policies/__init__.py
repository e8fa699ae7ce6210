"""Policy packs: the complaint rules and statutory clocks of each jurisdiction."""
