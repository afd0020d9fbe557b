// Tests for FoveaCLI live in this folder, one file per concept.
