"""Package data: lexicons, Punkt parameters, models and samples."""
