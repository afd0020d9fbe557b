// Tests for FoveaOCR live in this folder, one file per concept.
