"""Writers turn assessments into text: one module per output format."""
