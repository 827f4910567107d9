"""Page images: rasterising, identifying, turning upright and aligning to a template."""
