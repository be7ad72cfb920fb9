"""Delete: a study, series or instance removed from the index, then its files."""
