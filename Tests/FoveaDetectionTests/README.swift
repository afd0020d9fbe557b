// Tests for FoveaDetection live in this folder, one file per concept.
