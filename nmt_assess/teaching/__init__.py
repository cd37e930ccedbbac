"""Teaching: grading a student's analysis, the practice flow and the practice log (no terminal)."""
