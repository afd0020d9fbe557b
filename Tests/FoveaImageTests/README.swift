// Tests for FoveaImage live in this folder, one file per concept.
