"""Storage: the models, the migrations, and the functions that do the work."""
