// Tests for FoveaPlot live in this folder, one file per concept.
